/** PEM and base64 decoding shared by the chain header, uploads and the CLI. */
export class PemError extends Error {
  override name = 'PemError';
}

export interface PemBlock {
  label: string;
  der: Buffer;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';
// Labels may have gained extra spaces on the way through a header; they are normalised.
const LABEL = /^[A-Z0-9 ]+$/;
const label = (text: string) => text.trim().replace(/\s+/g, ' ');
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes base64 strictly: whitespace is ignored, anything else outside the alphabet is an error. */
export function decodeBase64(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0) throw new PemError('empty base64 content');
  const decoded = Buffer.from(compact, 'base64');
  // Node's decoder skips what is not base64: the text is strict base64 when it encodes back to
  // itself, as a certificate's always does, which is quicker to see than the pattern's verdict.
  if (decoded.toString('base64') === compact) return decoded;
  if (!BASE64.test(compact)) {
    throw new PemError(compact.length % 4 === 0 ? 'invalid base64 content' : 'truncated base64 content');
  }
  return decoded;
}

/**
 * Every PEM block in `text`, in order. Text between blocks must be whitespace;
 * a block's label must match its END line. Newlines may have been replaced by spaces.
 *
 * One pass with indexOf, never a regular expression over the whole text: a
 * pattern that looks for each BEGIN's END rescans the rest of the text for every
 * BEGIN, and a 64 KB header of BEGINs without END would cost a quarter second.
 */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const incomplete = () => new PemError('incomplete PEM block (no matching END line)');
  let position = 0;
  for (let begin = text.indexOf(BEGIN); begin >= 0; begin = text.indexOf(BEGIN, position)) {
    if (text.slice(position, begin).trim() !== '') throw new PemError('unexpected text outside PEM blocks');
    const beginLabelEnd = text.indexOf(DASHES, begin + BEGIN.length);
    if (beginLabelEnd < 0) throw incomplete();
    const end = text.indexOf(END, beginLabelEnd + DASHES.length);
    if (end < 0) throw incomplete();
    const endLabelEnd = text.indexOf(DASHES, end + END.length);
    if (endLabelEnd < 0) throw incomplete();
    const beginLabel = text.slice(begin + BEGIN.length, beginLabelEnd);
    const endLabel = text.slice(end + END.length, endLabelEnd);
    if (!LABEL.test(beginLabel) || !LABEL.test(endLabel)) throw new PemError('malformed PEM label');
    if (label(beginLabel) !== label(endLabel))
      throw new PemError(`PEM block BEGIN ${label(beginLabel)} ends with END ${label(endLabel)}`);
    blocks.push({
      label: label(beginLabel),
      der: decodeBase64(text.slice(beginLabelEnd + DASHES.length, end)),
    });
    position = endLabelEnd + DASHES.length;
  }
  if (text.slice(position).trim() !== '') throw new PemError('unexpected text outside PEM blocks');
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
