// (d) baseline: a bare node:https server with requestCert answering a static body.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [keyFile, certFile, port] = process.argv.slice(2) as [string, string, string];
const body = JSON.stringify({ accessToken: 'static' });
createServer(
  { key: readFileSync(keyFile), cert: readFileSync(certFile), requestCert: true, rejectUnauthorized: false },
  (_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  },
).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
