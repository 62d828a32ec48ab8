import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Whether a POST or PUT answer carries the created or updated object. The
 * OpenAPI spec: "If you specify an Accept header in a POST or PUT request,
 * the response will contain the newly created or updated object. If you do
 * not specify the header, the response body will be empty." `accept` follows
 * it; `always` sends the body anyway, for clients that read it without
 * asking (--response-body).
 */
export type ResponseBodyPolicy = 'accept' | 'always';
export const RESPONSE_BODY_POLICIES: readonly ResponseBodyPolicy[] = ['accept', 'always'];

export function wantsBody(request: FastifyRequest, policy: ResponseBodyPolicy): boolean {
  if (policy === 'always') return true;
  const accept = request.headers.accept;
  return accept !== undefined && accept.trim() !== '';
}

export interface Written {
  status: 200 | 201;
  /** The media type of the body. */
  type: string;
  /** Made only when it is sent. */
  body: () => unknown;
  /** Where the created object lives (201). */
  location?: string | undefined;
}

/** Answers a POST or PUT: status, `Location`, and the body when the policy and the request want it. */
export function sendWritten(
  request: FastifyRequest,
  reply: FastifyReply,
  policy: ResponseBodyPolicy,
  written: Written,
): FastifyReply {
  reply.status(written.status);
  if (written.location) reply.header('location', written.location);
  if (!wantsBody(request, policy)) return reply.send();
  return reply.type(written.type).send(written.body());
}
