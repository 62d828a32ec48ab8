/**
 * Just enough DER writing for what the tenant CA issues on every EST request:
 * a certificate around bytes it copies (names, key) and a certs-only PKCS#7.
 * PKI.js builds the same in about a millisecond through its schemas, more than
 * the whole signing costs (docs/performance.md, row j); these few encoders take
 * microseconds. Only definite, minimal lengths: the output is DER.
 */
export const DER_TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** [0] constructed, context-specific. */
  CONTEXT_0: 0xa0,
} as const;

/** How many octets the definite length `n` takes: one below 128, else one plus its own octets. */
function lengthSize(n: number): number {
  if (n < 0x80) return 1;
  let octets = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) octets++;
  return 1 + octets;
}

/**
 * One element: tag, length, and the contents (each already DER) in order, written into one
 * buffer: an EST answer is some thirty elements, and copying each twice (with a buffer for its
 * tag and one for its length) took about 6 % of its main thread's time (issue 19).
 */
export function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  let size = 0;
  for (const part of contents) size += part.length;
  const header = 1 + lengthSize(size);
  const out = Buffer.allocUnsafe(header + size);
  out[0] = tag;
  if (size < 0x80) out[1] = size;
  else {
    out[1] = 0x80 | (header - 2);
    for (let i = header - 1, rest = size; i >= 2; i--, rest = Math.floor(rest / 256)) out[i] = rest & 0xff;
  }
  let position = header;
  for (const part of contents) {
    out.set(part, position);
    position += part.length;
  }
  return out;
}

/** An INTEGER from non-negative hex, with the leading zero octet DER needs when the top bit is set. */
export function integer(hex: string): Buffer {
  let even = hex.length % 2 === 1 ? `0${hex}` : hex;
  even = even.replace(/^(00)+(?=[0-7])/, '');
  if (/^[89a-f]/i.test(even)) even = `00${even}`;
  return tlv(DER_TAG.INTEGER, Buffer.from(even === '' ? '00' : even, 'hex'));
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const chunk = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      chunk.unshift((value & 0x7f) | 0x80);
    }
    bytes.push(...chunk);
  }
  return tlv(DER_TAG.OID, Buffer.from(bytes));
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Z. */
export function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = new Date(ms).getUTCFullYear();
  return year < 2050
    ? tlv(DER_TAG.UTC_TIME, Buffer.from(digits.slice(2), 'latin1'))
    : tlv(DER_TAG.GENERALIZED_TIME, Buffer.from(digits, 'latin1'));
}

/** A BIT STRING of whole bytes. */
export function bitString(bytes: Uint8Array): Buffer {
  return tlv(DER_TAG.BIT_STRING, Buffer.from([0]), bytes);
}
