/**
 * Just enough DER reading to walk an X.509 certificate's outer structure.
 *
 * node:crypto's X509Certificate exposes neither extensions (pathLen, critical
 * flags) nor the signature algorithm, and a general ASN.1 library costs about
 * 100 µs per certificate, more than the whole per-request budget of the token
 * endpoint (see docs/performance.md). Everything here is bounds-checked and
 * refuses non-DER input; the fuzz tests in test/pki feed it mutated certificates.
 */
import { Memo } from './memo.js';

export class DerError extends Error {
  override name = 'DerError';
}

export interface DerElement {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
} as const;

export function readElement(buf: Uint8Array, offset: number, limit: number = buf.length): DerElement {
  if (offset + 2 > limit) throw new DerError('truncated element header');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used in X.509');
  let length = buf[offset + 1] as number;
  let p = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0) throw new DerError('indefinite length is not DER');
    if (octets > 4) throw new DerError('length field too long');
    if (p + octets > limit) throw new DerError('truncated length');
    if (buf[p] === 0) throw new DerError('non-minimal length encoding');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (buf[p++] as number);
    if (length < 0x80) throw new DerError('non-minimal length encoding');
  }
  if (p + length > limit) throw new DerError('truncated content');
  return { tag, start: offset, contentStart: p, end: p + length };
}

/** Reads an element and checks its tag. */
export function expectElement(buf: Uint8Array, offset: number, tag: number, limit?: number): DerElement {
  const element = readElement(buf, offset, limit);
  if (element.tag !== tag) {
    throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)}`);
  }
  return element;
}

export function children(buf: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let p = parent.contentStart; p < parent.end; ) {
    const child = readElement(buf, p, parent.end);
    out.push(child);
    p = child.end;
  }
  return out;
}

export function content(buf: Buffer, element: DerElement): Buffer {
  return buf.subarray(element.contentStart, element.end);
}

export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new DerError('empty object identifier');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (value === 0 && byte === 0x80) throw new DerError('non-minimal object identifier arc');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('object identifier arc too large');
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        arcs.push(first, value - first * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  if (bytes[bytes.length - 1]! & 0x80) throw new DerError('truncated object identifier');
  return arcs.join('.');
}

/** Decoded object identifiers by their content bytes: a certificate names a dozen, nearly all well known. */
const knownOids = new Memo(4_096, 64, (bytes) => decodeOid(Buffer.from(bytes, 'latin1')));

/**
 * The object identifier `element` holds (its tag is the caller's to check): `decodeOid` of its
 * content, made once per distinct identifier; one that does not decode is refused every time.
 */
export function readOid(buf: Buffer, element: DerElement): string {
  return knownOids.get(buf.toString('latin1', element.contentStart, element.end));
}

/**
 * UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), as RFC 5280 restricts them. Read
 * digit by digit: every certificate read has two, and a regular expression over a string of
 * each was a tenth of reading a new device's certificate (issue 19).
 */
export function decodeTime(buf: Buffer, element: DerElement): number {
  const { tag, contentStart: start, end } = element;
  const invalid = () =>
    new DerError(`invalid time ${JSON.stringify(buf.toString('latin1', element.contentStart, element.end))}`);
  const yearDigits = tag === TAG.UTC_TIME ? 2 : tag === TAG.GENERALIZED_TIME ? 4 : 0;
  if (yearDigits === 0 || end - start !== yearDigits + 11 || buf[end - 1] !== 0x5a) throw invalid();
  let at = start;
  const digits = (count: number): number => {
    let value = 0;
    for (const stop = at + count; at < stop; at++) {
      const digit = (buf[at] as number) - 0x30;
      if (digit < 0 || digit > 9) throw invalid();
      value = value * 10 + digit;
    }
    return value;
  };
  const y = digits(yearDigits);
  const mo = digits(2);
  const d = digits(2);
  const h = digits(2);
  const mi = digits(2);
  const s = digits(2);
  const year = yearDigits === 2 ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  const ms = Date.UTC(year, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw invalid();
  }
  return ms;
}

/** Unsigned big-endian integer bytes without leading zero octets, as lowercase hex ("0" for zero). */
export function integerHex(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset + i, bytes.length - i).toString('hex');
  if (hex === '') return '0';
  // The first byte left is not zero (unless it is the only one): at most one zero digit leads.
  return hex.length > 1 && hex[0] === '0' ? hex.slice(1) : hex;
}
