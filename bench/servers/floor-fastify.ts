// (f) The floor: a minimal Fastify HTTPS server with requestCert answering a static JSON body.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [keyFile, certFile, port] = process.argv.slice(2) as [string, string, string];
const app = Fastify({
  https: {
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    requestCert: true,
    rejectUnauthorized: false,
  },
});
const body = { accessToken: 'static' };
app.all('/*', async () => body);
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write('ready\n');
