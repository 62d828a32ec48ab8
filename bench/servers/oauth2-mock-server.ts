// (e) the peer: oauth2-mock-server issuing RS256 tokens for client_credentials, over HTTPS.
import { OAuth2Server } from 'oauth2-mock-server';

const [keyFile, certFile, port] = process.argv.slice(2) as [string, string, string];
const server = new OAuth2Server(keyFile, certFile);
await server.issuer.keys.generate('RS256');
await server.start(Number(port), '127.0.0.1');
process.stdout.write('ready\n');
