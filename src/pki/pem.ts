/** PEM and base64 decoding shared by the chain header, uploads and the CLI. */
export class PemError extends Error {
  override name = 'PemError';
}

export interface PemBlock {
  label: string;
  der: Buffer;
}

// Labels may have gained extra spaces on the way through a header; they are normalised.
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const label = (text: string) => text.trim().replace(/\s+/g, ' ');
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes base64 strictly: whitespace is ignored, anything else outside the alphabet is an error. */
export function decodeBase64(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0) throw new PemError('empty base64 content');
  if (!BASE64.test(compact)) {
    throw new PemError(compact.length % 4 === 0 ? 'invalid base64 content' : 'truncated base64 content');
  }
  return Buffer.from(compact, 'base64');
}

/**
 * Every PEM block in `text`, in order. Text between blocks must be whitespace;
 * a block's label must match its END line. Newlines may have been replaced by spaces.
 */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let last = 0;
  for (const match of text.matchAll(BLOCK)) {
    const [whole, begin, body, end] = match as unknown as [string, string, string, string];
    if (text.slice(last, match.index).trim() !== '') throw new PemError('unexpected text outside PEM blocks');
    if (label(begin) !== label(end))
      throw new PemError(`PEM block BEGIN ${label(begin)} ends with END ${label(end)}`);
    blocks.push({ label: label(begin), der: decodeBase64(body) });
    last = (match.index ?? 0) + whole.length;
  }
  const rest = text.slice(last).trim();
  if (rest !== '') {
    throw new PemError(
      rest.includes('-----BEGIN')
        ? 'incomplete PEM block (no matching END line)'
        : 'unexpected text outside PEM blocks',
    );
  }
  return blocks;
}

/** The DER of each CERTIFICATE block; any other label is an error that names it (never its content). */
export function decodeCertificateBlocks(text: string): Buffer[] {
  return decodePemBlocks(text).map((block) => {
    if (block.label !== 'CERTIFICATE') {
      throw new PemError(`found a ${block.label} block where a CERTIFICATE was expected`);
    }
    return block.der;
  });
}

export function toPem(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
