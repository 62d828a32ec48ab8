import { Agent, request } from 'node:https';
import fc from 'fast-check';
import t from 'tap';
import { formatChainHeader } from '../../src/pki/chain-header.js';
import { toPem } from '../../src/pki/pem.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, intermediateCa, rootCa } from '../helpers/pki.js';
import { rawExchange } from '../helpers/raw.js';
import { seedWith } from '../helpers/seeds.js';
import { call, ERROR_TYPE, startServer, type TestServer } from '../helpers/server.js';

/*
 * Property-based fuzzing of the token endpoint with fast-check, against a real
 * server over TLS: generated X-Ssl-Cert-Chain values, mutated DER of real
 * certificates (from a device, and through a trusted proxy so a mutated leaf
 * reaches the chain check), and raw bytes on a TLS socket for Node's parser.
 * Every answer must come within REQUEST_BOUND_MS, none may be a 5xx, every
 * refusal carries the Cumulocity error type, and the server answers its
 * health check at the end. FUZZ_SEED reproduces a run; fast-check prints the
 * seed and the shrunk counterexample of a failure.
 *
 * FUZZ_INPUTS is the budget, shared among the properties in fixed shares (of
 * 33). npm test uses 3,300 with the fixed seed (a few seconds);
 * `npm run test:fuzz` (CI) the long budget, 16,500.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_601);
const INPUTS = Number(process.env.FUZZ_INPUTS ?? 3300);
if (!Number.isInteger(INPUTS) || INPUTS < 33) {
  throw new Error(`FUZZ_INPUTS must be a whole number of at least 33, not ${process.env.FUZZ_INPUTS}`);
}
const REQUEST_BOUND_MS = 2000;
const SHARES = {
  headerText: 8,
  pemShaped: 8,
  mutatedDer: 10,
  mutatedLeafViaProxy: 6,
  rawBytes: 1,
};
const RUNS = Object.fromEntries(
  Object.entries(SHARES).map(([name, share]) => [name, Math.round((INPUTS * share) / 33)]),
) as Record<keyof typeof SHARES, number>;

const now = TEST_NOW;
const root = await rootCa(now, 'Fuzz Root');
const intermediate = await intermediateCa(root, now, 'Fuzz Issuing CA');
const leaf = await device(intermediate, now, 'fuzz-device-01');
const rsaRoot = await rootCa(now, 'Fuzz RSA Root', { keySpec: { type: 'rsa', bits: 2048 } });
const rsaLeaf = await device(rsaRoot, now, 'fuzz-rsa-01', { keySpec: { type: 'rsa', bits: 2048 } });
const proxy = await device(await rootCa(now, 'Fuzz Proxy CA'), now, 'fuzz-proxy');
const REAL_DER = [leaf, rsaLeaf]
  .map((d) => d.credential.certificate.der)
  .concat([intermediate.certificate.der, root.certificate.der]);
const seed = seedWith([
  { id: 't100', domain: 't100.example.test', pem: root.certificate.pem },
  { id: 't200', domain: 't200.example.test', pem: rsaRoot.certificate.pem },
]);

interface Answer {
  status: number;
  contentType: string;
}

/** POST /devicecontrol/deviceAccessToken on a kept-alive connection, bounded in time. */
function post(server: TestServer, agent: Agent, chainHeader: string): Promise<Answer | 'timeout'> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        method: 'POST',
        path: '/devicecontrol/deviceAccessToken',
        headers: { accept: 'application/json', 'x-ssl-cert-chain': chainHeader },
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']) }),
        );
      },
    );
    req.setTimeout(REQUEST_BOUND_MS, () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', reject);
    req.end();
  });
}

/** The property every answer must have. */
function acceptable(answer: Answer | 'timeout'): boolean {
  if (answer === 'timeout') return false;
  if (answer.status >= 500 || answer.status < 200) return false;
  if (answer.status === 200) return answer.contentType.startsWith('application/json');
  return [400, 401, 422, 431].includes(answer.status) && answer.contentType.startsWith(ERROR_TYPE);
}

// --- arbitraries -----------------------------------------------------------------------------
/** What an HTTP client will put in a header value: tab, visible ASCII, Latin-1. */
const headerChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.constant(0x09) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
);
const headerText = fc
  .array(headerChar, { maxLength: 400 })
  .map((codes) => String.fromCharCode(...codes).trim())
  .filter((value) => value.length > 0);

const LABELS = ['CERTIFICATE', 'X509 CRL', 'PRIVATE KEY', 'certificate', 'CERTIFICATE ', ' CERTIFICATE', ''];
const base64ish = fc.oneof(
  fc.base64String({ maxLength: 200 }),
  fc.constantFrom(...REAL_DER.map((der) => der.toString('base64'))),
  fc.string({ unit: fc.constantFrom(...'ABCDEFabcdef0123456789+/=-*% '), maxLength: 120 }),
);
const pemBlock = fc
  .record({
    begin: fc.constantFrom(...LABELS),
    end: fc.constantFrom(...LABELS),
    body: base64ish,
    dropEnd: fc.boolean(),
  })
  .map(
    ({ begin, end, body, dropEnd }) =>
      `-----BEGIN ${begin}----- ${body}${dropEnd ? '' : ` -----END ${end}-----`}`,
  );
const pemShaped = fc
  .record({
    blocks: fc.array(pemBlock, { minLength: 1, maxLength: 12 }),
    separator: fc.constantFrom(' ', '  ', '\t', ',', ' x '),
    urlEncode: fc.boolean(),
  })
  .map(({ blocks, separator, urlEncode }) => {
    const text = blocks.join(separator);
    return urlEncode ? encodeURIComponent(text) : text;
  });

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** Applies mutations to a copy of `der`; offsets wrap around its length. */
function mutate(der: Buffer, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(der);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = m.at % bytes.length;
    switch (m.kind) {
      case 'flip':
        bytes[at] = bytes[at]! ^ (1 << m.bit);
        break;
      case 'set':
        bytes[at] = m.value;
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
    }
  }
  return bytes;
}
const asHeader = (...ders: Buffer[]) =>
  ders
    .map((der) => (der.length === 0 ? '' : formatChainHeader(toPem('CERTIFICATE', der))))
    .join(' ')
    .trim();
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

// --- the run -----------------------------------------------------------------------------------
t.test('fuzzing the token endpoint', async (t) => {
  // Over real TLS: the header values go through Node's HTTP client and parser, and the raw bytes
  // property is about the parser.
  const server = await startServer(t, {
    listen: true,
    seed,
    config: { trustedProxies: new Set([proxy.credential.certificate.fingerprint]) },
  });
  const agentFor = (who: { certPem: string; keyPem: string }) =>
    new Agent({ keepAlive: true, maxSockets: 1, ca: server.serverCa, cert: who.certPem, key: who.keyPem });
  const deviceAgent = agentFor(leaf);
  const proxyAgent = agentFor(proxy);
  t.teardown(() => {
    deviceAgent.destroy();
    proxyAgent.destroy();
  });
  const statuses = new Map<number, number>();
  const check = async (agent: Agent, value: string) => {
    const answer = await post(server, agent, value);
    if (answer !== 'timeout') statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    return acceptable(answer);
  };
  const run = async <T>(name: string, property: fc.IAsyncProperty<[T]>, numRuns: number) => {
    const started = performance.now();
    await t.resolves(fc.assert(property, { numRuns, seed: SEED }), `${name}: ${numRuns} runs, seed ${SEED}`);
    t.comment(`${name}: ${numRuns} runs in ${Math.round(performance.now() - started)} ms`);
  };

  await run(
    'arbitrary header text',
    fc.asyncProperty(headerText, (value) => check(deviceAgent, value)),
    RUNS.headerText,
  );
  await run(
    'PEM-shaped headers',
    fc.asyncProperty(pemShaped, (value) => check(deviceAgent, value)),
    RUNS.pemShaped,
  );
  await run(
    'mutated DER of real certificates, with and without the real issuer',
    fc.asyncProperty(
      fc
        .record({
          which: fc.integer({ min: 0, max: REAL_DER.length - 1 }),
          mutations,
          withIssuer: fc.boolean(),
        })
        .map(({ which, mutations, withIssuer }) => {
          const mutated = mutate(REAL_DER[which]!, mutations);
          return withIssuer ? asHeader(mutated, intermediate.certificate.der) : asHeader(mutated);
        }),
      (value) => check(deviceAgent, value === '' ? ' ' : value),
    ),
    RUNS.mutatedDer,
  );
  await run(
    'a mutated leaf through a trusted proxy, with its real issuers (reaches the chain rules)',
    fc.asyncProperty(
      mutations.map((m) =>
        asHeader(
          mutate(leaf.credential.certificate.der, m),
          intermediate.certificate.der,
          root.certificate.der,
        ),
      ),
      (value) => check(proxyAgent, value === '' ? ' ' : value),
    ),
    RUNS.mutatedLeafViaProxy,
  );

  const rawRequests = fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
    fc
      .record({
        method: fc.constantFrom('POST', 'GET', 'PO ST', '', 'POST\0'),
        path: fc.constantFrom('/devicecontrol/deviceAccessToken', '*', '', '/%', '/..%2f..'),
        version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', 'HTTP/1.1 extra', ''),
        headers: fc.array(fc.string({ unit: 'binary-ascii', maxLength: 80 }), { maxLength: 6 }),
        body: fc.string({ unit: 'binary-ascii', maxLength: 200 }),
      })
      .map(({ method, path, version, headers, body }) =>
        Buffer.from(`${method} ${path} ${version}\r\n${headers.join('\r\n')}\r\n\r\n${body}`, 'latin1'),
      ),
  );
  await run(
    'raw bytes on a TLS socket (Node parser and clientError handler)',
    fc.asyncProperty(rawRequests, async (bytes) => {
      const raw = await rawExchange(server, {
        cert: leaf.certPem,
        key: leaf.keyPem,
        send: (socket) => socket.end(bytes),
        timeoutMs: REQUEST_BOUND_MS + 1000,
      });
      if (raw.ended === 'timeout') return false;
      return raw.status === undefined || raw.status < 500;
    }),
    RUNS.rawBytes,
  );

  const total = Object.values(RUNS).reduce((sum, n) => sum + n, 0);
  const answered = [...statuses.values()].reduce((sum, n) => sum + n, 0);
  t.equal(
    answered,
    total - RUNS.rawBytes,
    `${total} generated inputs (FUZZ_INPUTS ${INPUTS}), every HTTP one answered; by status: ${JSON.stringify([...statuses].sort())}`,
  );
  const health = await call(server, { path: '/_mock/health' });
  t.equal(health.status, 200, 'the server still answers its health check');
  t.same(
    [...statuses.keys()].filter((status) => status >= 500),
    [],
    'no 5xx at all',
  );
});
