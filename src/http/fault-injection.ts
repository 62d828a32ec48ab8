import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { InjectedFault } from '../errors.js';
import type { Faults } from '../faults/faults.js';
import { type Party, partyOfChain } from '../faults/party.js';
import type { Tenants } from '../tenants/tenants.js';
import type { TrustRegistry } from '../tenants/trusted-certificates.js';
import type { PeerCertificates } from './peer-certificates.js';

export interface FaultInjectionOptions {
  faults: Faults;
  tenants: Tenants;
  trust: TrustRegistry;
  peerCertificates: PeerCertificates;
}

const EST_PREFIX = '/.well-known/est/';
const DEVICE_USER = /^device_/;

/**
 * The REST and EST doors ask the fault rules about every request before anything else runs (the
 * control API and the dashboard, under /_mock, are not doors). A delay waits on real time, as
 * every timeout does; "no answer" holds the connection until the client gives up or the mock
 * closes.
 */
export function registerFaultInjection(app: FastifyInstance, options: FaultInjectionOptions): void {
  const { faults } = options;
  const held = new Set<Socket>();
  // A callback hook, not an async one: with no rule set a request pays one property read, not a
  // promise and a turn of the microtask queue (issue 19).
  app.addHook('onRequest', (request, reply, done) => {
    if (!faults.active) {
      done();
      return;
    }
    inject(request, reply).then(() => done(), done);
  });
  const inject = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = request.url.split('?')[0]!;
    if (path === '/_mock' || path.startsWith('/_mock/')) return;
    const fault = faults.inject({
      door: path.startsWith(EST_PREFIX) ? 'est' : 'rest',
      method: request.method,
      path,
      remoteAddress: request.ip,
      who: () => whoIsAsking(request, options),
    });
    if (!fault) return;
    switch (fault.action) {
      case 'status':
        throw new InjectedFault(fault.status!, fault.error!, fault.message!, fault.ruleId);
      case 'delay':
        await sleep(fault.delayMs);
        return;
      case 'no-answer': {
        reply.hijack();
        const socket = request.raw.socket;
        held.add(socket);
        socket.once('close', () => held.delete(socket));
        return;
      }
      default:
        reply.hijack();
        request.raw.socket.destroy();
    }
  };
  app.addHook('onClose', async () => {
    for (const socket of held) socket.destroy();
  });
}

/**
 * The tenant and device of a request, as far as its credentials say before any check: HTTP Basic
 * `<tenant>/<user>`, a bearer token's `ten` and `sub` (read, not verified: only a fault rule's
 * scope depends on it), the client certificate's CN and the tenant that trusts its issuer, and
 * last the tenant whose domain the request was sent to.
 */
function whoIsAsking(
  request: FastifyRequest,
  { tenants, trust, peerCertificates }: FaultInjectionOptions,
): Party {
  let tenantId: string | undefined;
  let externalId: string | undefined;
  const [scheme, credentials] = (request.headers.authorization ?? '').split(/\s+/, 2);
  try {
    if (scheme?.toLowerCase() === 'basic' && credentials) {
      const user = Buffer.from(credentials, 'base64').toString('utf8').split(':')[0] ?? '';
      const slash = user.indexOf('/');
      if (slash > 0) tenantId = user.slice(0, slash);
      const name = user.slice(slash + 1);
      if (DEVICE_USER.test(name)) externalId = name.replace(DEVICE_USER, '');
    } else if (scheme?.toLowerCase() === 'bearer' && credentials) {
      const claims = decodeJwt(credentials);
      if (typeof claims.ten === 'string') tenantId = claims.ten;
      if (typeof claims.sub === 'string') externalId = claims.sub.replace(DEVICE_USER, '');
    }
  } catch {
    // Not a token or not base64: the request is refused by its route; it has no scope here.
  }
  if (externalId === undefined) {
    const party = partyOfChain(peerCertificates(request), trust);
    externalId = party.externalId;
    tenantId ??= party.tenantId;
  }
  return { tenantId: tenantId ?? tenants.byHost(request.headers.host)?.id, externalId };
}
