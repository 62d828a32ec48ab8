import { children, content, type DerElement, DerError, readOid, TAG } from './der.js';

/** Short names of the attribute types that appear in certificate subjects (OpenSSL's). */
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.13': 'description',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

const COMMON_NAME = '2.5.4.3';

export interface Attribute {
  oid: string;
  /** The decoded string, raw (not escaped). */
  value: string;
  /** The ASN.1 tag of the value (UTF8String, PrintableString, ...). */
  tag: number;
}

/** A distinguished name in DER order: relative names, each one or more attributes. */
export type Name = Attribute[][];

function decodeString(tag: number, bytes: Buffer): string {
  switch (tag) {
    case 0x0c: // UTF8String
      return bytes.toString('utf8');
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x12: // NumericString
    case 0x1a: // VisibleString
    case 0x14: // TeletexString, read as Latin-1 as most software does
      return bytes.toString('latin1');
    case 0x1e: {
      // BMPString: UTF-16 big-endian
      if (bytes.length % 2 !== 0) throw new DerError('odd-length BMPString');
      const swapped = Buffer.from(bytes);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case 0x1c: {
      // UniversalString: UTF-32 big-endian
      if (bytes.length % 4 !== 0) throw new DerError('UniversalString length not a multiple of 4');
      let out = '';
      for (let i = 0; i < bytes.length; i += 4) {
        const codePoint = bytes.readUInt32BE(i);
        // String.fromCodePoint throws a RangeError beyond Unicode: a 500 where the name is bad input.
        if (codePoint > 0x10ffff) {
          throw new DerError(`UniversalString code point ${codePoint.toString(16)} is beyond Unicode`);
        }
        out += String.fromCodePoint(codePoint);
      }
      return out;
    }
    default:
      return `#${bytes.toString('hex')}`;
  }
}

/** Decodes a Name (RDNSequence) element. */
export function decodeName(der: Buffer, name: DerElement): Name {
  if (name.tag !== TAG.SEQUENCE) throw new DerError('a name is not a SEQUENCE');
  return children(der, name).map((rdn) => {
    if (rdn.tag !== 0x31) throw new DerError('a relative name is not a SET');
    return children(der, rdn).map((pair) => {
      const [type, value] = children(der, pair);
      if (!type || type.tag !== TAG.OID || !value) throw new DerError('malformed attribute in a name');
      return {
        oid: readOid(der, type),
        value: decodeString(value.tag, content(der, value)),
        tag: value.tag,
      };
    });
  });
}

/** The directory string types RFC 5280 7.1 compares after case folding and space folding. */
const CASE_FOLDED = new Set([0x0c, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e]);
/** White space to fold: any but a single inner space (ASCII, as OpenSSL's isspace() sees it). */
const FOLDABLE_SPACE = /[\t\n\v\f\r]|^ | $| {2}/;
const SPACES = /[ \t\n\v\f\r]+/g;

/** Lower case as Java's X500Principal folds it (all of Unicode; OpenSSL folds only ASCII), spaces folded. */
function folded(value: string): string {
  const lower = value.toLowerCase();
  return FOLDABLE_SPACE.test(lower) ? lower.replace(SPACES, ' ').replace(/^ | $/g, '') : lower;
}

/** One attribute, length-prefixed so that no value can run into the next. */
function attributeKey(a: Attribute): string {
  const value = CASE_FOLDED.has(a.tag) ? folded(a.value) : `#${a.tag}#${a.value}`;
  return `${a.oid}=${value.length}:${value}`;
}

/**
 * A key under which two names are equal when RFC 5280 7.1 says they match:
 * strings compared without case and with white space trimmed and runs of it
 * folded to one, whatever string type encodes them; the attributes of a
 * relative name in any order. A CA whose subject is
 * a PrintableString "Acme CA" thus issues certificates naming "ACME  CA" in a
 * UTF8String, as OpenSSL and Java's X500Principal see it. Made for every
 * certificate parsed, so the usual name (nothing to fold, one attribute per
 * relative name) takes no regular expression replacement and no sort.
 */
export function canonicalName(name: Name): string {
  let key = '';
  for (const rdn of name) {
    const part = rdn.length === 1 ? attributeKey(rdn[0]!) : rdn.map(attributeKey).sort().join('+');
    key += `${part.length}/${part}`;
  }
  return key;
}

export function commonNames(name: Name): string[] {
  const values: string[] = [];
  for (const rdn of name) for (const a of rdn) if (a.oid === COMMON_NAME) values.push(a.value);
  return values;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** Whatever escapeValue changes: most values (a device's CN, an organisation) have none of it. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
const ESCAPED = /[\\,+"<>;=\u0000-\u001f\u007f]|^[ #]| $/;

/** RFC 4514 escaping: special characters with a backslash, control characters as \XX. */
function escapeValue(value: string): string {
  if (!ESCAPED.test(value)) return value;
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ')
    .replace(CONTROL, (c) => `\\${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

const formatAttribute = (a: Attribute): string =>
  `${ATTRIBUTE_NAMES[a.oid] ?? a.oid}=${escapeValue(a.value)}`;

function formatRdn(rdn: Attribute[]): string {
  return rdn.length === 1 ? formatAttribute(rdn[0]!) : rdn.map(formatAttribute).join('+');
}

/** The platform's form (Java's X500Principal): last relative name first, joined by ", ". */
export const platformName = (name: Name): string => name.map(formatRdn).reverse().join(', ');

/** RFC 2253 form, as verify-cert-chain prints it: last relative name first, joined by ",". */
export const rfc2253Name = (name: Name): string => name.map(formatRdn).reverse().join(',');
