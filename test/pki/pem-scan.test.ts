import t from 'tap';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { INFO, requestToken, startServer } from '../helpers/server.js';

/*
 * Headers built to make a PEM parser rescan the text once per BEGIN line
 * (60 KB, thousands of BEGINs, no END). Each costs one pass: three hundred of
 * them are answered within a bound that a quadratic scan (about 90 ms each
 * here, 27 s in all) cannot meet.
 */
const now = TEST_NOW;
const ca = await rootCa(now, 'PEM Scan CA');
const dev = await device(ca, now, 'pem-scan-01');
const LIMIT = 60_000;
const fill = (unit: string) => unit.repeat(Math.floor(LIMIT / unit.length));
const PATHOLOGICAL = [fill('-----BEGIN X----- '), fill('-----BEGIN A-----')];
const COUNT = 300;
const BOUND_MS = 5000;

t.test('pathological PEM headers are each refused in one pass', async (t) => {
  const server = await startServer(t, {
    seed: seedWith([{ id: 't100', domain: 't100.example.test', pem: ca.certificate.pem }]),
  });
  const send = async (value: string) => {
    const response = await requestToken(server, { cert: dev.certPem, key: dev.keyPem, chainHeader: value });
    return { status: response.status, body: response.text };
  };
  const all = Promise.all(
    Array.from({ length: COUNT }, (_, i) => send(PATHOLOGICAL[i % PATHOLOGICAL.length]!)),
  );
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), BOUND_MS);
  });
  const answers = await Promise.race([all, bound]);
  clearTimeout(timer);
  if (answers === 'timeout') {
    t.fail(`${COUNT} pathological headers were not all answered within ${BOUND_MS} ms`);
    return;
  }
  t.same(new Set(answers.map((a) => a.status)), new Set([400]), 'every one is a 400');
  t.same(JSON.parse(answers[0]!.body), {
    error: 'Device Certificates/Bad Request',
    message: 'Cannot parse X509 certificate. : incomplete PEM block (no matching END line)',
    info: INFO,
  });
});
