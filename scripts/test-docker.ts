/**
 * `npm run test:docker`: the image and the compose flow of docker/, end to end, on this machine.
 *
 *  1. a Docker engine and the base image node:24-bookworm-slim: ../shared/tools/docker-engine.sh
 *     when no engine answers or the image is missing (it builds the image locally)
 *  2. the base image has Node 24 and its C headers; images c8y-mtls-mock:test and
 *     c8y-mtls-mock-device:test, built on it with --network host; the image's / is 0755
 *  3. docker/compose.yaml with the host-network override: `up -d c8y-mock` (pki runs first),
 *     then docs/qa-pipelines.md's pipeline command `run --rm device`, whose exit code is the verdict
 *     (REST with curl, then MQTT with mosquitto-clients on a second free port)
 *  4. the mock runs as a non-root user and was healthy within 10 s of its start
 *  5. the device's token verifies against the JWKS the mock publishes
 *  6. a new mock container on the same volumes: the state is kept, the logged-out token stays refused
 *  7. the image's size: what the mock adds to its base image, against an aim
 * Everything is torn down (`down -v`) at the end, also when a step fails or on Ctrl-C.
 */
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENGINE_SCRIPT = resolve(ROOT, '../shared/tools/docker-engine.sh');
/** The Dockerfiles' base image: the current Node.js LTS. */
const BASE_IMAGE = 'node:24-bookworm-slim';
const BASE_NODE_MAJOR = '24';
const IMAGE = 'c8y-mtls-mock:test';
const DEVICE_IMAGE = 'c8y-mtls-mock-device:test';
/** From docker/compose.yaml. */
const MOCK = { service: 'c8y-mock', adminSecret: 'qa-only-not-a-secret', domain: 'c8y-mock' };
const DEVICE_ID = 'qa-device-0001';
const HEALTHY_WITHIN_MS = 10_000;
/**
 * What the mock adds to its base image (production dependencies, dist/, ui/): 61 MB on Node 24
 * (52 MB before the MQTT door: aedes and MQTT.js, the CLI's client for mqtt-token).
 * The base image's own size depends on where it came from (the official image, or the one
 * docker-engine.sh makes from Debian's minbase: 317 MB), so it is reported, not judged.
 */
const LAYERS_AIM_MB = 75;

class CheckFailed extends Error {}

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const ok = (what: string) => log(`ok - ${what}`);
function check(condition: unknown, what: string, detail = ''): asserts condition {
  if (!condition) throw new CheckFailed(`${what}${detail ? `: ${detail}` : ''}`);
  ok(what);
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs a command to its end; its output goes to ours unless `capture`. Throws on a non-zero exit. */
function run(
  command: string,
  args: string[],
  options: { capture?: boolean; input?: string; env?: NodeJS.ProcessEnv; allowFail?: boolean } = {},
): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: options.env ?? process.env,
    input: options.input,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', options.capture ? 'pipe' : 'inherit', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!options.capture && result.stderr) process.stderr.write(result.stderr);
  if (!options.allowFail && result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.status ?? result.signal}${options.capture ? `\n${result.stderr}` : ''}`,
    );
  }
  return result;
}
const output = (command: string, args: string[]) => run(command, args, { capture: true }).stdout.trim();
const succeeds = (command: string, args: string[]) =>
  run(command, args, { capture: true, allowFail: true }).status === 0;

/** Like `run`, without blocking: for the compose flow, while its mock is watched. */
function runAsync(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string }> {
  return new Promise((done, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let line = '';
    const relay = (chunk: Buffer) => {
      out += chunk.toString();
      const lines = (line + chunk.toString()).split('\n');
      line = lines.pop() ?? '';
      for (const complete of lines) log(`    | ${complete}`);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', reject);
    child.on('close', (code) => {
      if (line) log(`    | ${line}`);
      done({ code: code ?? 1, out });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : reject()));
    });
  });
}

/** One HTTPS request to the mock from this machine, trusting its development CA. */
function https(
  url: string,
  ca: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((done, reject) => {
    // agent: false: no kept-alive socket outlives the container it was opened to.
    const req = request(url, { ca, headers, timeout: 10_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

// --- 1. the engine ------------------------------------------------------------------------------

const hasBaseImage = () => succeeds('docker', ['image', 'inspect', BASE_IMAGE]);

function ensureEngine(): void {
  const answers = succeeds('docker', ['info']);
  if (answers && hasBaseImage()) {
    ok(`a Docker engine answers and has ${BASE_IMAGE}`);
    return;
  }
  if (!existsSync(ENGINE_SCRIPT)) {
    // An engine with a registry in reach pulls the base image at the build.
    if (answers) {
      ok('a Docker engine answers');
      return;
    }
    throw new Error(`no Docker engine answers and ${ENGINE_SCRIPT} is not there to start one`);
  }
  log(`# ${answers ? `no ${BASE_IMAGE} here` : 'no Docker engine answers'}: ${ENGINE_SCRIPT}`);
  // Only the base image the Dockerfiles use (the script's default also builds Node 20's).
  run('bash', [ENGINE_SCRIPT], { env: { ...process.env, DOCKER_NODE_MAJORS: BASE_NODE_MAJOR } });
  check(succeeds('docker', ['info']), 'a Docker engine answers after docker-engine.sh');
  check(hasBaseImage(), `${BASE_IMAGE} is there after docker-engine.sh`);
}

/** docker-compose (v1) where installed, else the `docker compose` plugin (v2). */
function composeCommand(): [string, string[]] {
  if (succeeds('docker-compose', ['version'])) return ['docker-compose', []];
  if (succeeds('docker', ['compose', 'version'])) return ['docker', ['compose']];
  throw new Error('neither docker-compose nor docker compose is installed');
}

// --- 2. images ----------------------------------------------------------------------------------

/**
 * A client that builds with BuildKit: on the vfs storage of a local engine the classic builder
 * copies the whole file system for every step (a 15-minute build instead of 6). Clients from
 * 23.0 on need the buildx plugin for it; older ones (Debian's docker.io) have it built in.
 */
function buildClient(): { docker: string; env: NodeJS.ProcessEnv; builder: string } {
  const buildkit = { ...process.env, DOCKER_BUILDKIT: '1' };
  if (succeeds('docker', ['buildx', 'version']))
    return { docker: 'docker', env: buildkit, builder: 'BuildKit' };
  for (const docker of ['docker', '/usr/bin/docker']) {
    const version = run(docker, ['version', '--format', '{{.Client.Version}}'], {
      capture: true,
      allowFail: true,
    }).stdout;
    const major = Number(/^(\d+)\./.exec(version ?? '')?.[1]);
    if (major > 0 && major < 23)
      return { docker, env: buildkit, builder: `BuildKit (client ${version.trim()})` };
  }
  return { docker: 'docker', env: { ...process.env, DOCKER_BUILDKIT: '0' }, builder: 'the classic builder' };
}

/**
 * The build stage compiles better-sqlite3 against the base image's C headers (node-gyp cannot
 * download them here): the official image has them in /usr/local/include/node, and so has the
 * image docker-engine.sh makes. A base image of another Node major would build an image that
 * the documentation does not describe.
 */
function checkBase(): void {
  const probe = run(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'host',
      '--user',
      '0',
      '--entrypoint',
      '/bin/sh',
      BASE_IMAGE,
      '-c',
      'node --version; test -f /usr/local/include/node/node.h && echo headers',
    ],
    { capture: true, allowFail: true },
  );
  const [version = '', headers] = probe.stdout.trim().split('\n');
  check(
    version.startsWith(`v${BASE_NODE_MAJOR}.`),
    `${BASE_IMAGE} runs Node ${version}`,
    `expected Node ${BASE_NODE_MAJOR}${probe.stderr ? ` (${probe.stderr.trim()})` : ''}`,
  );
  check(headers === 'headers', `${BASE_IMAGE} has Node's C headers in /usr/local/include/node`);
}

function buildImages(): void {
  const client = buildClient();
  checkBase();
  log(`# building ${IMAGE} and ${DEVICE_IMAGE} with ${client.builder}, --network host`);
  const started = Date.now();
  run(client.docker, ['build', '--network', 'host', '--progress', 'plain', '-t', IMAGE, '.'], {
    env: client.env,
    capture: true,
  });
  run(
    client.docker,
    ['build', '--network', 'host', '--progress', 'plain', '-t', DEVICE_IMAGE, 'docker/device'],
    {
      env: client.env,
      capture: true,
    },
  );
  ok(`images built in ${seconds(Date.now() - started)}`);
  // The user node reaches nothing if / is closed to it (locally made base images once had 0700).
  const rootMode = output('docker', ['run', '--rm', '--entrypoint', 'stat', IMAGE, '-c', '%a', '/']);
  check(rootMode === '755', `${IMAGE}'s / is mode 755`, `it is ${rootMode}`);
}

// --- 3.–6. the compose flow ---------------------------------------------------------------------

interface Health {
  status: string;
  startedAt: string;
  log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

class ComposeFlow {
  readonly project = `c8ymocktest${process.pid}`;
  readonly env: NodeJS.ProcessEnv;
  readonly origin: string;
  #compose: [string, string[]];

  constructor(port: number, mqttPort: number, apiPort: number) {
    this.#compose = composeCommand();
    this.origin = `https://localhost:${port}`;
    this.env = {
      ...process.env,
      C8Y_MOCK_IMAGE: IMAGE,
      C8Y_MOCK_DEVICE_IMAGE: DEVICE_IMAGE,
      C8Y_MOCK_PORT: String(port),
      C8Y_MOCK_MQTT_PORT: String(mqttPort),
      C8Y_MOCK_API_PORT: String(apiPort),
    };
  }

  args(...rest: string[]): [string, string[]] {
    const [command, prefix] = this.#compose;
    const files = ['-f', 'docker/compose.yaml', '-f', 'docker/compose.host-network.yaml'];
    return [command, [...prefix, '-p', this.project, ...files, ...rest]];
  }

  compose(rest: string[], options: { capture?: boolean; allowFail?: boolean } = {}) {
    const [command, args] = this.args(...rest);
    return run(command, args, { ...options, env: this.env });
  }

  containerOf(service: string): string | undefined {
    return this.compose(['ps', '-q', service], { capture: true, allowFail: true }).stdout.trim() || undefined;
  }

  health(container: string): Health {
    const json = output('docker', ['inspect', '--format', '{{json .State}}', container]);
    const state = JSON.parse(json) as { StartedAt: string; Health?: { Status: string; Log: Health['log'] } };
    return {
      status: state.Health?.Status ?? 'none',
      startedAt: state.StartedAt,
      log: state.Health?.Log ?? [],
    };
  }

  /**
   * Waits for the service's container and its health; returns the container and the time from
   * its start to the end of its first passing health check (Docker's own timestamps).
   */
  async healthy(service: string, timeoutMs = 120_000): Promise<{ container: string; ms: number }> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const container = this.containerOf(service);
      const health = container ? this.health(container) : undefined;
      if (container && health?.status === 'healthy') {
        const healthyAt = this.healthyAt(container, health.startedAt);
        return { container, ms: healthyAt - Date.parse(health.startedAt) };
      }
      if (health?.status === 'unhealthy') throw new CheckFailed(`${service} became unhealthy`);
      await sleep(250);
    }
    throw new CheckFailed(`${service} not healthy within ${seconds(timeoutMs)}`);
  }

  /**
   * When the container turned healthy, by the engine's event. Its health log keeps the last five
   * probes only: on a slow machine the first passing one may be gone before it is read.
   */
  healthyAt(container: string, startedAt: string): number {
    const events = run(
      'docker',
      [
        'events',
        '--since',
        startedAt,
        '--until',
        (Date.now() / 1000).toFixed(3),
        '--filter',
        `container=${container}`,
        '--filter',
        'event=health_status',
        '--format',
        '{{.Status}} {{.TimeNano}}',
      ],
      { capture: true, allowFail: true },
    ).stdout;
    const nanos = /^health_status: healthy (\d+)$/m.exec(events)?.[1];
    if (nanos) return Number(BigInt(nanos) / 1_000_000n);
    const pass = this.health(container).log.find((probe) => probe.ExitCode === 0);
    return pass ? Date.parse(pass.End) : Date.now();
  }

  logs(service: string): string {
    return this.compose(['logs', '--no-color', service], { capture: true, allowFail: true }).stdout;
  }

  down(): void {
    this.compose(['down', '-v', '--remove-orphans'], { capture: true, allowFail: true });
  }
}

async function state(flow: ComposeFlow, ca: string) {
  const response = await https(`${flow.origin}/_mock/state`, ca, {
    authorization: `Bearer ${MOCK.adminSecret}`,
  });
  if (response.status !== 200) throw new CheckFailed(`GET /_mock/state answered ${response.status}`);
  return (
    JSON.parse(response.body) as {
      tables: {
        devices: { tenantId: string; externalId: string; registration: string }[];
        revocations: { hash: string }[];
        signingKeys: { kid: string }[];
        trustedCertificates: { fingerprint: string }[];
      };
    }
  ).tables;
}

async function verifyAgainstJwks(flow: ComposeFlow, ca: string, token: string, when: string) {
  const response = await https(`${flow.origin}/_mock/jwks.json`, ca);
  const jwks = createLocalJWKSet(JSON.parse(response.body) as JSONWebKeySet);
  const { payload } = await jwtVerify(token, jwks, {
    issuer: MOCK.domain,
    audience: MOCK.domain,
    algorithms: ['RS256'],
  });
  check(
    payload.sub === `device_${DEVICE_ID}`,
    `${when}: the token verifies against ${flow.origin}/_mock/jwks.json (RS256, iss=aud=${payload.iss}, sub=${payload.sub}, ten=${payload.ten})`,
  );
}

async function composeFlow(flow: ComposeFlow): Promise<void> {
  log(
    `# compose project ${flow.project}: pki -> ${MOCK.service} (healthy) -> device; mock on ${flow.origin}`,
  );
  // The mock first, alone: its time to healthy is not slowed by making the device's container.
  const started = Date.now();
  flow.compose(['up', '-d', MOCK.service], { capture: true });
  const mock = await flow.healthy(MOCK.service);
  log(
    `# ${MOCK.service} healthy ${seconds(Date.now() - started)} after \`up\` (which first ran pki to its end)`,
  );
  check(
    mock.ms <= HEALTHY_WITHIN_MS,
    `${MOCK.service} healthy ${seconds(mock.ms)} after its container started (at most ${seconds(HEALTHY_WITHIN_MS)})`,
  );
  // docs/qa-pipelines.md's pipeline command: the device's exit code is the verdict.
  const [command, args] = flow.args('run', '--rm', '-T', 'device');
  const device = runAsync(command, args, flow.env);
  const { code, out } = await device;
  check(
    code === 0,
    'the device service succeeded (exit code 0): token, currentUser, logout, 401; over MQTT: token, 100, 200',
    `exit ${code}`,
  );
  const token = /^device token: (\S+)$/m.exec(out)?.[1];
  check(token, 'the device printed its token');
  check(/^device token over MQTT: eyJ\S+$/m.test(out), 'the device printed the token it got over MQTT');

  const user = output('docker', ['inspect', '--format', '{{.Config.User}}', mock.container]);
  const uid = output('docker', ['exec', mock.container, 'id', '-u']);
  check(
    uid !== '0' && user !== '' && !/^(0|root)(:|$)/.test(user),
    `the mock runs as a non-root user (User ${user}, uid ${uid})`,
  );

  const ca = output('docker', ['exec', mock.container, 'cat', '/certs/dev-ca.pem']);
  log(`# header of the token: ${JSON.stringify(decodeProtectedHeader(token))}`);
  await verifyAgainstJwks(flow, ca, token, 'first container');

  const before = await state(flow, ca);
  const registered = before.devices.find((d) => d.externalId === DEVICE_ID);
  check(registered?.registration === 'auto', `${DEVICE_ID} was registered on its first token request`);
  check(before.revocations.length === 1, 'the logged-out token is in the revocations');
  const created = (before as unknown as { managedObjects?: { name: string | null }[] }).managedObjects ?? [];
  check(
    created.some((object) => object.name === `QA device ${DEVICE_ID}`),
    'the managed object its MQTT 100 created is in the state',
  );

  log(`# a new ${MOCK.service} container on the same volumes`);
  flow.compose(['up', '-d', '--no-deps', '--force-recreate', MOCK.service], { capture: true });
  const again = await flow.healthy(MOCK.service);
  check(
    again.container !== mock.container,
    `a new container (${again.container.slice(0, 12)} replaced ${mock.container.slice(0, 12)})`,
  );
  check(
    again.ms <= HEALTHY_WITHIN_MS,
    `the new container healthy ${seconds(again.ms)} after it started (at most ${seconds(HEALTHY_WITHIN_MS)})`,
  );
  check(
    /kept the state in data directory \/data/.test(flow.logs(MOCK.service)),
    'it kept the state of the data volume instead of seeding anew',
  );
  const after = await state(flow, ca);
  check(
    after.devices.some((d) => d.externalId === DEVICE_ID && d.registration === 'auto'),
    `${DEVICE_ID}'s registration survived`,
  );
  check(
    after.revocations.map((r) => r.hash).join() === before.revocations.map((r) => r.hash).join(),
    'the revocation survived',
  );
  check(
    after.signingKeys.map((k) => k.kid).join() === before.signingKeys.map((k) => k.kid).join(),
    'the signing key survived (same kid)',
  );
  const refused = await https(`${flow.origin}/user/currentUser`, ca, { authorization: `Bearer ${token}` });
  check(
    refused.status === 401,
    'the logged-out token is still refused after the restart (401)',
    `got ${refused.status}`,
  );
  await verifyAgainstJwks(flow, ca, token, 'new container');
}

function reportSize(): void {
  const bytes = Number(output('docker', ['image', 'inspect', '--format', '{{.Size}}', IMAGE]));
  const base = Number(output('docker', ['image', 'inspect', '--format', '{{.Size}}', BASE_IMAGE]));
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const line = `image ${IMAGE}: ${mb(bytes)}: the mock's layers ${mb(bytes - base)} on ${BASE_IMAGE} ${mb(base)}`;
  if ((bytes - base) / 1e6 < LAYERS_AIM_MB) ok(`${line}; the layers under the ${LAYERS_AIM_MB} MB aim`);
  else log(`# ${line}; the layers over the ${LAYERS_AIM_MB} MB aim`);
}

// --- main ---------------------------------------------------------------------------------------

let flow: ComposeFlow | undefined;
const teardown = () => {
  if (!flow) return;
  log(`# tearing down ${flow.project} (down -v)`);
  flow.down();
  flow = undefined;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    teardown();
    process.exit(130);
  });
}

let failed = false;
const started = Date.now();
try {
  ensureEngine();
  buildImages();
  const port = await freePort();
  let mqttPort = await freePort();
  while (mqttPort === port) mqttPort = await freePort();
  let apiPort = await freePort();
  while (apiPort === port || apiPort === mqttPort) apiPort = await freePort();
  flow = new ComposeFlow(port, mqttPort, apiPort);
  await composeFlow(flow);
  reportSize();
} catch (error) {
  failed = true;
  log(`not ok - ${(error as Error).message}`);
  if (flow) {
    for (const service of ['pki', MOCK.service]) log(`# logs of ${service}:\n${flow.logs(service)}`);
  }
  if (!(error instanceof CheckFailed)) log((error as Error).stack ?? '');
} finally {
  teardown();
}
log(`# test:docker ${failed ? 'FAILED' : 'passed'} in ${seconds(Date.now() - started)}`);
process.exit(failed ? 1 : 0);
