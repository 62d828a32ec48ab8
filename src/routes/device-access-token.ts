import type { FastifyInstance } from 'fastify';
import type { HttpDoor } from '../http/doors.js';
import { MEDIA } from '../http/media-types.js';
import type { PeerCertificates } from '../http/peer-certificates.js';
import { type ResponseBodyPolicy, sendWritten } from '../http/response-body.js';
import type { DeviceLogin } from '../login/device-login.js';
import type { TokenRecord } from '../tokens/tokens.js';

export interface DeviceAccessTokenOptions {
  login: DeviceLogin;
  /** The door this route is served on; the API door has no client certificates. */
  door: HttpDoor;
  peerCertificates: PeerCertificates;
  /** Whether issuers that only the TLS handshake carried count (`--accept-handshake-chain`). */
  acceptHandshakeChain: boolean;
  responseBody: ResponseBodyPolicy;
}

/**
 * The answer's body of each token, written once: a device asking again before half the lifetime
 * gets the same token, and its JSON was a twentieth of the request (issue 19). The same bytes
 * Fastify's serializer writes for the object.
 */
const answers = new WeakMap<TokenRecord, string>();
const answerOf = (record: TokenRecord): string => {
  let answer = answers.get(record);
  if (answer === undefined) {
    answer = JSON.stringify({ accessToken: record.jwt });
    answers.set(record, answer);
  }
  return answer;
};

/** POST /devicecontrol/deviceAccessToken: the REST door of the device login. */
export async function deviceAccessTokenRoutes(
  app: FastifyInstance,
  { login, door, peerCertificates, acceptHandshakeChain, responseBody }: DeviceAccessTokenOptions,
) {
  app.post(
    '/devicecontrol/deviceAccessToken',
    { config: { resource: 'Device Certificates' } },
    async (request, reply) => {
      const header = request.headers['x-ssl-cert-chain'];
      const verdict = await login.login({
        door: 'rest',
        listener: door,
        handshake: peerCertificates(request),
        forwardedChain: typeof header === 'string' ? header : undefined,
        handshakeIssuers: acceptHandshakeChain,
        remoteAddress: request.ip,
      });
      if (!verdict.ok) throw verdict.error;
      const { session, token } = verdict;
      const { device } = session;
      request.log.info(
        {
          tenant: session.tenant.id,
          device: device.externalId,
          registered: session.registered,
          reused: token.reused,
          expiresAt: token.record.expiresAtSeconds,
        },
        token.reused
          ? `token reused for ${device.userName} (asked again before half its lifetime)`
          : `token issued to ${device.userName}${session.registered ? ' (auto-registered now)' : ''}`,
      );
      // The OpenAPI lists Accept here as on every POST: without it the answer is empty, as the platform's rule says.
      return sendWritten(request, reply, responseBody, {
        status: 200,
        type: MEDIA.json,
        body: () => answerOf(token.record),
      });
    },
  );
}
