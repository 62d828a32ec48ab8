import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, C8yError, PayloadTooLarge } from '../errors.js';

/** Multipart forms (CSV and PEM uploads), each file at most the body limit, one file per request. */
export async function registerMultipart(app: FastifyInstance, bodyLimit: number): Promise<void> {
  await app.register(multipart, {
    limits: { fileSize: bodyLimit, fieldSize: bodyLimit, files: 1, fields: 20, parts: 21 },
    throwFileSizeLimit: true,
  });
}

export interface Upload {
  /** The part named `file`. */
  file: Buffer | undefined;
  /** Every other text field. */
  fields: Record<string, string>;
}

/**
 * Reads a multipart form. The `file` part may come as a file or, when the
 * client gave it no filename (form-data with a Buffer does that), as a field.
 */
export async function readUpload(request: FastifyRequest, resource: string): Promise<Upload> {
  const upload: Upload = { file: undefined, fields: {} };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const content = await part.toBuffer();
        if (part.fieldname === 'file') upload.file = content;
      } else if (part.fieldname === 'file') {
        upload.file = Buffer.from(String(part.value), 'utf8');
      } else {
        upload.fields[part.fieldname] = String(part.value);
      }
    }
  } catch (error) {
    throw uploadError(error, resource);
  }
  return upload;
}

function uploadError(error: unknown, resource: string): C8yError {
  if (error instanceof C8yError) return error;
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new PayloadTooLarge(`The upload is too large (${message}).`);
  }
  if (code === 'FST_FILES_LIMIT') {
    return new BadRequest(resource, 'Send exactly one file, in the form field "file".');
  }
  return new BadRequest(resource, `The multipart request could not be read: ${message ?? 'malformed'}.`, {
    cause: error,
  });
}
