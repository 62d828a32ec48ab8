// Baselines: the machine's signing limit on all cores with node:crypto (OpenSSL, the same library
// WebCrypto calls), many signatures in flight on the thread pool. RSA-2048 is the token key's (a);
// `ec` is EC P-256, the tenant CA's key (j).
import { generateKeyPairSync, sign } from 'node:crypto';

const seconds = Number(process.argv[2] ?? '5');
const { privateKey } =
  process.argv[3] === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
const data = Buffer.alloc(400, 7);
let done = 0;
let inFlight = 0;
let stop = false;
const start = process.hrtime.bigint();
await new Promise<void>((resolve) => {
  const fill = () => {
    while (!stop && inFlight < 64) {
      inFlight++;
      sign('sha256', data, privateKey, () => {
        inFlight--;
        done++;
        if (stop && inFlight === 0) resolve();
        else fill();
      });
    }
  };
  setTimeout(() => {
    stop = true;
  }, seconds * 1000);
  fill();
});
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
process.stdout.write(`${JSON.stringify({ rps: done / elapsed })}\n`);
