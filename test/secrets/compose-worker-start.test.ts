/**
 * The worker as docker-compose.yml starts it, as a real child process: the compose file rendered by docker-compose
 * with .env.example (the same variable names and values), its secret files made as the README says (`npm run
 * secrets -- create-key`, `public-key --out`, the earlier releases' shared key), each /run/secrets/<name> read from
 * the file that secret mounts, the Dockerfile's ENV (NODE_ENV=production) and its entrypoint and command. Only what
 * must differ on this machine does: the Temporal address and task queue, the metrics port, the prebuilt bundle.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../harness/free-port';
import { getTemporal } from '../harness/temporal';
import { projectRoot, spawnProgram, spawnTsx, workflowBundleFile } from '../provisioning/spawned-process';

interface RenderedService {
  environment?: Record<string, string>;
  secrets?: { source: string }[];
}
interface RenderedCompose {
  services: { worker: RenderedService; client: RenderedService } & Record<string, RenderedService>;
  secrets: Record<string, { file: string }>;
}

const sharedKeyMigration = 'deploy/compose/shared-key-migration.yml';

describe('the production worker, started as docker-compose.yml starts it', function () {
  this.timeout(120_000);
  /** The secret files, by the .env setting that names each. */
  let secretFiles: {
    AEP_CLIENT_SECRET_PATH: string;
    DATAFLOW_SECRETS_KEYRING_PATH: string;
    DATAFLOW_SECRETS_PUBLIC_KEY_PATH: string;
    DATAFLOW_SECRETS_KEY_PATH: string;
  };
  let keyId: string;

  before(async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'compose-worker-')), 'secrets');
    mkdirSync(folder, { mode: 0o700 });
    secretFiles = {
      AEP_CLIENT_SECRET_PATH: join(folder, 'aep-client-secret.txt'),
      DATAFLOW_SECRETS_KEYRING_PATH: join(folder, 'dataflow-keyring.json'),
      DATAFLOW_SECRETS_PUBLIC_KEY_PATH: join(folder, 'dataflow-public.key'),
      DATAFLOW_SECRETS_KEY_PATH: join(folder, 'dataflow-secrets.key'),
    };
    writeFileSync(secretFiles.AEP_CLIENT_SECRET_PATH, 'aep-client-secret', { mode: 0o600 });
    writeFileSync(secretFiles.DATAFLOW_SECRETS_KEY_PATH, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const created = await secretsCommand(
      'create-key',
      '--keyring',
      secretFiles.DATAFLOW_SECRETS_KEYRING_PATH,
      '--json',
    );
    keyId = (JSON.parse(created) as { keyId: string }).keyId;
    await secretsCommand(
      'public-key',
      '--keyring',
      secretFiles.DATAFLOW_SECRETS_KEYRING_PATH,
      '--out',
      secretFiles.DATAFLOW_SECRETS_PUBLIC_KEY_PATH,
    );
    assert.equal(statSync(secretFiles.DATAFLOW_SECRETS_KEYRING_PATH).mode & 0o777, 0o600);
  });

  it('starts with the keyring compose mounts, and the CLI service holds only its public key', async () => {
    const compose = renderCompose();
    const worker = await startWorker(compose);
    try {
      await worker.waitForOutput(/worker started/, 90_000);
      assert.match(worker.output(), new RegExp(`secretsKeyringKeyIds.{0,4}${keyId}`));
      assert.match(worker.output(), /secretsLegacyKeyId.{0,4}none/);
      assert.doesNotMatch(worker.output(), /shared key alone/);
    } finally {
      await worker.stop();
    }
    const client = compose.services.client.environment ?? {};
    assert.equal(client.DATAFLOW_SECRETS_PUBLIC_KEY_FILE, '/run/secrets/dataflow_secrets_public_key');
    assert.equal(client.DATAFLOW_SECRETS_KEYRING_FILE, undefined);
    assert.equal(client.DATAFLOW_SECRETS_KEY_FILE, undefined);
  });

  it('refuses the shared key alone (the earlier releases\u2019 set-up), saying how to migrate', async () => {
    const compose = withoutKeyring(renderCompose(sharedKeyMigration));
    const worker = await startWorker(compose);
    // A worker that starts anyway is stopped, not waited for.
    const started = worker.waitForOutput(/worker started/, 90_000).then(
      () => 'started',
      () => 'exited',
    );
    const outcome = await Promise.race([worker.closed, started]);
    if (outcome === 'started') await worker.stop();
    assert.equal(outcome === 'exited' ? await worker.closed : outcome, 1, worker.output());
    assert.match(worker.output(), /worker failed: only the legacy shared key .* is configured/);
    assert.match(worker.output(), /npm run secrets -- create-key --keyring \/path\/keyring\.json/);
    assert.match(worker.output(), /DATAFLOW_SECRETS_KEYRING_FILE=\/path\/keyring\.json/);
    assert.match(worker.output(), /set DATAFLOW_SECRETS_MIGRATING=1/);
    assert.doesNotMatch(worker.output(), /worker started/);
  });

  it('starts on the shared key alone when told it is migrating, and says so', async () => {
    const worker = await startWorker(withoutKeyring(renderCompose(sharedKeyMigration)), {
      DATAFLOW_SECRETS_MIGRATING: '1',
    });
    try {
      await worker.waitForOutput(/worker started/, 90_000);
      assert.match(worker.output(), /running on the legacy shared key alone while migrating/);
      assert.match(worker.output(), /secretsKeyringKeyIds.{0,4}none/);
    } finally {
      await worker.stop();
    }
  });

  it(`with ${sharedKeyMigration}, holds the keyring and the shared key, with no flag`, async () => {
    const worker = await startWorker(renderCompose(sharedKeyMigration));
    try {
      await worker.waitForOutput(/worker started/, 90_000);
      assert.match(worker.output(), new RegExp(`secretsKeyringKeyIds.{0,4}${keyId}`));
      assert.doesNotMatch(worker.output(), /secretsLegacyKeyId.{0,4}none/);
      assert.doesNotMatch(worker.output(), /shared key alone/);
    } finally {
      await worker.stop();
    }
  });

  /** `npm run secrets -- …`, as the README has the operator run it; its stdout. */
  async function secretsCommand(...args: string[]): Promise<string> {
    const command = spawnTsx('src/secrets/keyring-command.ts', args, { PATH: process.env.PATH }, { runner: 'node' });
    assert.equal(await command.closed, 0, command.output());
    return command.stdout();
  }

  /** `docker-compose config` with .env.example, the secret files' paths given as an operator's .env would. */
  function renderCompose(...overrides: string[]): RenderedCompose {
    const files = ['docker-compose.yml', ...overrides].flatMap((file) => ['-f', file]);
    const yaml = execFileSync('docker-compose', ['--env-file', '.env.example', ...files, 'config'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, ...secretFiles },
      encoding: 'utf8',
    });
    // docker-compose depends on python3-yaml: the rendered YAML as JSON.
    const json = execFileSync(
      'python3',
      ['-c', 'import sys, yaml, json; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
      {
        input: yaml,
        encoding: 'utf8',
      },
    );
    return JSON.parse(json) as RenderedCompose;
  }

  /** The worker service as an earlier release's compose file had it: the shared key, no keyring. */
  function withoutKeyring(compose: RenderedCompose): RenderedCompose {
    const worker = compose.services.worker;
    const { DATAFLOW_SECRETS_KEYRING_FILE: keyring, ...environment } = worker.environment ?? {};
    assert.ok(keyring, 'compose gives the worker its keyring');
    const secrets = (worker.secrets ?? []).filter((secret) => secret.source !== 'dataflow_secrets_keyring');
    return { ...compose, services: { ...compose.services, worker: { ...worker, environment, secrets } } };
  }

  /** The image's entrypoint and command with the worker service's environment and secret files. */
  async function startWorker(compose: RenderedCompose, extra: NodeJS.ProcessEnv = {}) {
    const service = compose.services.worker;
    const mounted = new Map(
      (service.secrets ?? []).map(({ source }) => [`/run/secrets/${source}`, compose.secrets[source]?.file]),
    );
    const environment = Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([name, value]) => {
        if (!value.startsWith('/run/secrets/')) return [name, value];
        const file = mounted.get(value);
        assert.ok(file, `${name}=${value}, but the worker service mounts no such secret`);
        return [name, file];
      }),
    );
    const temporal = await getTemporal();
    const [entrypoint = '', ...command] = imageCommand();
    return spawnProgram(
      'sh',
      [entrypoint, ...command],
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...imageEnvironment(),
        ...environment,
        ...extra,
        // What this machine needs instead: the test's Temporal server, a queue and a port of its own, and the
        // workflow bundle already built (the worker would otherwise spend its start-up bundling).
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        TASK_QUEUE: `compose-worker-${randomUUID()}`,
        METRICS_PORT: String(await findFreePort()),
        METRICS_BIND: '127.0.0.1',
        WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
      },
      'the compose worker',
    );
  }
});

/** The Dockerfile's ENV lines (NODE_ENV=production among them). */
function imageEnvironment(): Record<string, string> {
  const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const settings = [...dockerfile.matchAll(/^ENV (.+)$/gm)].flatMap((line) => (line[1] ?? '').trim().split(/\s+/));
  const environment = Object.fromEntries(
    settings
      .map((setting) => setting.split('=', 2) as [string, string])
      // Build arguments (WORKER_BUILD_ID=${WORKER_BUILD_ID}) are empty unless a build passes them.
      .filter(([, value]) => !value.includes('$')),
  );
  assert.equal(environment.NODE_ENV, 'production', 'the image runs with NODE_ENV=production');
  return environment;
}

/** ENTRYPOINT then CMD, with the image's paths and `node` taken to this checkout and this test's Node.js. */
function imageCommand(): string[] {
  const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
  const directive = (name: string) =>
    JSON.parse(new RegExp(`^${name} (\\[.*\\])$`, 'm').exec(dockerfile)?.[1] ?? '[]') as string[];
  const [entrypoint] = directive('ENTRYPOINT');
  assert.equal(entrypoint, '/usr/local/bin/dataflows-entrypoint');
  assert.match(dockerfile, /COPY scripts\/container-entrypoint\.sh \/usr\/local\/bin\/dataflows-entrypoint/);
  const [program, ...args] = directive('CMD');
  assert.equal(program, 'node');
  return [join(projectRoot, 'scripts/container-entrypoint.sh'), process.execPath, ...args];
}
