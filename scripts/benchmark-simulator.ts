/**
 * Bounded throughput benchmark of the platform simulator over loopback.
 *
 *   npm run benchmark:simulator -- [--requests 20000] [--creates 2000] [--connections 4] [--concurrency 16] [--core 1]
 *
 * Starts the simulator as a separate process (pinned with `taskset -c <core>` when --core is given and taskset
 * exists), then drives it from this process with undici over a few keep-alive connections: a fixed number of
 * GET /connections/{id} calls, then a fixed number of creates. Prints requests per second for each phase.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import { Pool } from 'undici';
import { connectionSpecIds, simulatorDefaults } from '../src/simulator/defaults';

interface Options {
  requests: number;
  creates: number;
  connections: number;
  concurrency: number;
  core?: string;
}

const program = new Command()
  .option('--requests <n>', 'GET /connections/{id} calls', Number, 20_000)
  .option('--creates <n>', 'POST /connections calls', Number, 2_000)
  .option('--connections <n>', 'keep-alive connections', Number, 4)
  .option('--concurrency <n>', 'requests in flight', Number, 16)
  .option('--core <core>', 'pin the simulator to this CPU core with taskset')
  .parse();
const options = program.opts<Options>();

async function startSimulatorProcess(): Promise<{ url: string; stop: () => Promise<void> }> {
  const projectRoot = join(__dirname, '..');
  const simulatorArguments = ['--import', 'tsx', 'src/simulator/main.ts', '--port', '0'];
  const [command, args] = options.core
    ? ['taskset', ['-c', options.core, process.execPath, ...simulatorArguments]]
    : [process.execPath, simulatorArguments];
  const child = spawn(command, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function main(): Promise<void> {
  const simulator = await startSimulatorProcess();
  const pool = new Pool(simulator.url, { connections: options.connections, pipelining: 1 });
  try {
    const tokenResponse = await pool.request({
      method: 'POST',
      path: '/ims/token/v3',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: simulatorDefaults.clientId,
        client_secret: simulatorDefaults.clientSecret,
        scope: 'openid,AdobeID',
      }).toString(),
    });
    const { access_token: accessToken } = (await tokenResponse.body.json()) as { access_token: string };
    const headers = {
      authorization: `Bearer ${accessToken}`,
      'x-api-key': simulatorDefaults.clientId,
      'x-gw-ims-org-id': simulatorDefaults.orgId,
      'x-sandbox-name': 'benchmark',
      'content-type': 'application/json',
    };
    const createBody = JSON.stringify({
      name: 'benchmark connection',
      connectionSpec: { id: connectionSpecIds.oneTrust, version: '1.0' },
      auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'benchmark-token' } },
    });
    const create = async (): Promise<string> => {
      const response = await pool.request({
        method: 'POST',
        path: '/data/foundation/flowservice/connections',
        headers,
        body: createBody,
      });
      const body = (await response.body.json()) as { id: string };
      if (response.statusCode !== 201) throw new Error(`create answered ${response.statusCode}`);
      return body.id;
    };
    const connectionId = await create();
    const read = async (): Promise<void> => {
      const response = await pool.request({
        method: 'GET',
        path: `/data/foundation/flowservice/connections/${connectionId}`,
        headers,
      });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`read answered ${response.statusCode}`);
    };

    const measure = async (label: string, total: number, call: () => Promise<unknown>): Promise<void> => {
      let started = 0;
      const worker = async () => {
        while (started < total) {
          started += 1;
          await call();
        }
      };
      const begin = process.hrtime.bigint();
      await Promise.all(Array.from({ length: options.concurrency }, worker));
      const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
      console.log(`${label}: ${total} requests in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} requests/s`);
    };

    await measure('warm-up GET /connections/{id}', 2_000, read);
    await measure('GET /connections/{id}', options.requests, read);
    await measure('POST /connections', options.creates, create);
    console.log(
      `simulator ${options.core ? `pinned to core ${options.core}` : "on this process's CPU affinity"}; ${options.connections} keep-alive connections, ${options.concurrency} requests in flight`,
    );
  } finally {
    await pool.close();
    await simulator.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
