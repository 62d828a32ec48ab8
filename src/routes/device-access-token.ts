import type { FastifyInstance } from 'fastify';
import { MEDIA } from '../http/media-types.js';
import type { PeerCertificates } from '../http/peer-certificates.js';
import type { DeviceLogin } from '../login/device-login.js';

export interface DeviceAccessTokenOptions {
  login: DeviceLogin;
  peerCertificates: PeerCertificates;
}

/** POST /devicecontrol/deviceAccessToken: the REST door of the device login. */
export async function deviceAccessTokenRoutes(
  app: FastifyInstance,
  { login, peerCertificates }: DeviceAccessTokenOptions,
) {
  app.post(
    '/devicecontrol/deviceAccessToken',
    { config: { resource: 'Device Certificates' } },
    async (request, reply) => {
      const header = request.headers['x-ssl-cert-chain'];
      const verdict = await login.login({
        door: 'rest',
        handshake: peerCertificates(request),
        forwardedChain: typeof header === 'string' ? header : undefined,
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
      return reply.type(MEDIA.json).send({ accessToken: token.record.jwt });
    },
  );
}
