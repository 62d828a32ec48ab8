import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  BadRequest,
  C8yError,
  ERROR_INFO_URL,
  InjectedFault,
  NotFound,
  PayloadTooLarge,
  UnprocessableEntity,
  UnsupportedMediaType,
} from '../errors.js';
import { MEDIA } from './media-types.js';

/** Which resource type a route's errors carry when Fastify itself refuses a request (`config.resource`). */
declare module 'fastify' {
  interface FastifyContextConfig {
    resource?: string;
    /**
     * How the route's errors look: Cumulocity's `{error, message, info}` (default), or
     * `{message}` alone as the platform's EST endpoints answer (`message`).
     */
    errorBody?: 'cumulocity' | 'message';
  }
}

/** Turns anything thrown into a Cumulocity error; unknown errors become a 500 without details. */
export function toC8yError(error: unknown, resource = 'general'): C8yError {
  if (error instanceof C8yError) return error;
  const e = error as FastifyError;
  if (e.validation) {
    return new UnprocessableEntity(`${resource}/Unprocessable Entity`, `Invalid payload: ${e.message}`);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType(
        `Unsupported Content-Type; send ${MEDIA.json}, the resource's Cumulocity media type, or multipart/form-data where a file is uploaded.`,
      );
    case 'FST_ERR_BAD_URL':
      return new BadRequest(resource, `The request path is not valid: ${e.message}`);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new C8yError(414, 'general/URI Too Long', 'A part of the request path is too long.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLarge('Request body is too large.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new BadRequest(resource, `Invalid request body: ${e.message}`);
    default:
      break;
  }
  if (e instanceof SyntaxError || e.statusCode === 400) {
    return new BadRequest(resource, `Could not parse the request body: ${e.message}`);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new C8yError(e.statusCode, `${resource}/${e.name ?? 'Error'}`, e.message);
  }
  return new C8yError(500, 'general/Internal Server Error', 'Internal error; see the server log.', {
    cause: error,
  });
}

export function sendError(reply: FastifyReply, error: C8yError): FastifyReply {
  if (reply.request.routeOptions.config?.errorBody === 'message') {
    return reply.status(error.status).type(MEDIA.json).send({ message: error.message });
  }
  return reply.status(error.status).type(MEDIA.error).send(error.toBody());
}

/** Errors Fastify raises before routing (a URL with broken percent-encoding): the same body. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const c8y = toC8yError(error);
  request.log.info({ status: c8y.status, error: c8y.error }, `refused: ${c8y.message}`);
  sendError(reply, c8y);
}

/**
 * One place renders every error; the precise reason goes to the log only. `notFoundHint` follows
 * the message of every 404 for a path no route has.
 */
export function registerErrorHandling(app: FastifyInstance, notFoundHint?: string): void {
  app.setErrorHandler((error, request: FastifyRequest, reply) => {
    const c8y = toC8yError(error, request.routeOptions.config?.resource);
    if (c8y instanceof InjectedFault) {
      request.log.info(
        { status: c8y.status, error: c8y.error, injected: true, rule: c8y.ruleId },
        `injected: ${c8y.status} by fault rule ${c8y.ruleId}`,
      );
    } else if (c8y.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info(
        { status: c8y.status, error: c8y.error, ...(c8y.rule ? { rule: c8y.rule } : {}) },
        `refused: ${c8y.reason ?? c8y.message}`,
      );
    }
    return sendError(reply, c8y);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new NotFound(
        'general',
        `No resource at ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}.${notFoundHint ? ` ${notFoundHint}` : ''}`,
      ),
    ),
  );
}

/** How long a refused client may go on sending before its connection is closed. */
const LINGER_MS = 2000;

/**
 * Requests Node's HTTP parser refuses before any route runs. The common one is
 * a PEM chain pasted into X-Ssl-Cert-Chain with its newlines: say how to send it.
 */
export function clientErrorHandler(maxHeaderSize: number, lingerMs = LINGER_MS) {
  // Node's parser reports the same error again for every later chunk of a refused request.
  const answered = new WeakSet<Socket>();
  return (error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void => {
    if (answered.has(socket)) return;
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1') : '';
    let status = 400;
    let message = `The request could not be parsed (${error.code ?? 'malformed HTTP'}).`;
    if (error.code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      message = `Request headers are larger than ${maxHeaderSize} bytes (--max-header-size).`;
    } else if (/x-ssl-cert-chain/i.test(raw) || raw.includes('-----BEGIN')) {
      message =
        'A header holds a line break. X-Ssl-Cert-Chain must be a single line: replace the newlines of each PEM certificate with spaces, and separate certificates with a space (npx c8y-mtls-mock certs chain-header FILE prints it).';
    } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT') {
      status = 408;
      message = 'The request was not received in time.';
    }
    const reason =
      status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    const body = JSON.stringify({ error: `general/${reason}`, message, info: ERROR_INFO_URL });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${MEDIA.error}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    // A client still sending (a 1 MB header) reads the answer only if we keep reading what it
    // sends: closing now would reset the connection and discard the answer. The parser's
    // listener goes on consuming and discarding; the connection ends when the client closes,
    // or after `lingerMs` at most.
    setTimeout(() => socket.destroy(), lingerMs).unref();
  };
}
