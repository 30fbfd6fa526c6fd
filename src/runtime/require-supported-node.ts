/**
 * Imported first by every program (CLI, worker, simulator, events receiver, demo): on a Node.js older than the
 * tested line the program stops at once with a message that says what to do, not later on some missing API.
 */
import { unsupportedNodeMessage } from './supported-node';

const refusal = unsupportedNodeMessage(process.version);
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exit(1);
}
