/**
 * A bound for row (k), not a product: bare aedes over TLS (`bare-aedes.ts`) plus the least a new
 * device's first token over MQTT needs (issue 19). At CONNECT: the handshake's certificate read
 * (the mock's own reader), the client ID equal to its CN, and the checks of `leafPasses` against
 * the one trusted certificate. On an empty `s/uat`: the token signed, the device and the token
 * written in the turn's transaction (`lean-token-parts.ts`, as row (a)'s bound), then `71,<token>`
 * on the client's `s/dat`. Without Nagle's algorithm, as the mock's MQTT door and Node's HTTP
 * server. Nothing else: no tenants, no decision record, no sessions, no CA names
 * advertised in the handshake, no registration before the token.
 *
 * `--no-token`: the same CONNECT and its checks, but `s/uat` answered with a fixed token, nothing
 * signed or stored: what the row's MQTT exchange costs beside the token itself.
 *
 * node --import tsx bench/servers/lean-mqtt-token.ts key.pem cert.pem port anchor.pem data-dir [--no-token]
 */
import { readFileSync } from 'node:fs';
import { createServer, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type PublishPacket } from 'aedes';
import { Certificate } from '../../src/pki/certificate.js';
import { leafPasses, openLeanTokenStore, readPemCertificate, serverArguments } from './lean-token-parts.js';

const { keyFile, certFile, port, anchorFile, dataDir } = serverArguments(
  'keyFile',
  'certFile',
  'port',
  'anchorFile',
  'dataDir',
);
const anchor = readPemCertificate(anchorFile);
const store = await openLeanTokenStore(dataDir);
const issue = process.argv.includes('--no-token')
  ? () => Promise.resolve(`eyJ${'x'.repeat(680)}`)
  : (user: string) => store.issue(user, Date.now());

/** CONNACK 5, not authorized. */
const notAuthorized = (): AuthenticateError => Object.assign(new Error('not authorized'), { returnCode: 5 });

const broker = await Aedes.createBroker({
  authenticate: (client, _username, _password, done) => {
    const raw = (client.conn as TLSSocket).getPeerCertificate().raw;
    if (raw === undefined) return done(notAuthorized(), false);
    const leaf = Certificate.fromDer(raw);
    if (leaf.commonNames[0] !== client.id) return done(notAuthorized(), false);
    leafPasses(leaf, anchor, Date.now(), store).then(
      (passes) => (passes ? done(null, true) : done(notAuthorized(), false)),
      () => done(notAuthorized(), false),
    );
  },
  authorizePublish: (client, packet, done) => {
    // Only an empty s/uat asks for the token, as on the mock's door.
    if (packet.topic !== 's/uat' || packet.payload.length > 0) return done(null);
    issue(`device_${client!.id}`).then((jwt) => {
      const answer = { cmd: 'publish', topic: 's/dat', payload: Buffer.from(`71,${jwt}`), qos: 0 };
      client!.publish({ ...answer, retain: false, dup: false } as PublishPacket, () => {});
      done(null);
    }, done);
  },
});
createServer(
  {
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    requestCert: true,
    rejectUnauthorized: false,
    noDelay: true,
  },
  broker.handle,
).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
