/**
 * The project runs and is tested on one Node.js line: the suite itself must run on it (npm puts the pinned
 * node_modules/.bin/node first), and an older Node is told what to do instead of failing somewhere later.
 */
import assert from 'node:assert/strict';
import { testedNodeMajor, unsupportedNodeMessage } from '../../src/runtime/supported-node';

describe('the supported Node.js line', () => {
  it('is the one this suite runs on', () => {
    console.log(`      (running on Node.js ${process.version}, ${process.execPath})`);
    assert.equal(unsupportedNodeMessage(process.version), undefined, `the suite runs on ${process.version}`);
    assert.equal(Number(process.versions.node.split('.')[0]), testedNodeMajor);
  });

  it('refuses an older Node.js, naming the version, the tested line and how to run on it', () => {
    const message = unsupportedNodeMessage('v20.20.2');
    assert.ok(message);
    assert.match(message, /Node\.js v20\.20\.2 is not supported: this project is tested on Node\.js 24/);
    assert.match(message, /npm run client -- --help/);
    assert.match(message, /node_modules\/\.bin/);
  });

  it('accepts the tested line and newer ones', () => {
    assert.equal(unsupportedNodeMessage('v24.0.0'), undefined);
    assert.equal(unsupportedNodeMessage('v26.1.0'), undefined);
  });
});
