import t from 'tap';
import {
  formatChainHeader,
  parseChainHeader,
  parseCommaSeparatedChainHeader,
} from '../../src/pki/chain-header.js';
import { decodeBase64, PemError, toPem } from '../../src/pki/pem.js';
import { intermediateCa, rootCa } from '../helpers/pki.js';

const now = Date.parse('2026-06-01T12:00:00.000Z');
const root = await rootCa(now);
const intermediate = await intermediateCa(root, now);
const pems = intermediate.certificate.pem + root.certificate.pem;
const ders = [intermediate.certificate.der, root.certificate.der];

t.test('header forms that carry the same chain', async (t) => {
  const oneLine = formatChainHeader(pems);
  t.notMatch(oneLine, /\n/, 'one line');
  t.match(oneLine, /^-----BEGIN CERTIFICATE----- MII\S+ /);
  const forms: [string, string][] = [
    ['newlines as spaces', oneLine],
    ['extra spaces everywhere', `  ${oneLine.replaceAll(' ', '    ')}  `],
    ['URL-encoded PEM (nginx $ssl_client_escaped_cert)', encodeURIComponent(pems)],
    ['tabs and CRLF', pems.replaceAll('\n', '\r\n\t')],
  ];
  for (const [name, value] of forms) t.same(parseChainHeader(value), ders, name);
  t.same(parseChainHeader('   '), [], 'blank is no chain');
});

t.test('refused with a reason that says what is wrong', async (t) => {
  const body = intermediate.certificate.base64;
  const cases: [string, string, RegExp][] = [
    ['bare base64 without PEM markers', body, /unexpected text outside PEM blocks/],
    [
      'a private key',
      '-----BEGIN PRIVATE KEY----- MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg -----END PRIVATE KEY-----',
      /found a PRIVATE KEY block where a CERTIFICATE was expected/,
    ],
    [
      'mismatched labels',
      `-----BEGIN CERTIFICATE----- ${body} -----END X509 CRL-----`,
      /ends with END X509 CRL/,
    ],
    ['no END line', `-----BEGIN CERTIFICATE----- ${body}`, /no matching END line/],
    ['a BEGIN line cut short', '-----BEGIN CERTIFI', /no matching END line/],
    [
      'invalid base64',
      '-----BEGIN CERTIFICATE----- MII*** -----END CERTIFICATE-----',
      /invalid base64|truncated base64/,
    ],
    ['bad URL encoding', '%E0%A4%A', /invalid URL encoding/],
    [
      'text between blocks',
      `${formatChainHeader(intermediate.certificate.pem)} hello ${formatChainHeader(root.certificate.pem)}`,
      /unexpected text/,
    ],
  ];
  for (const [name, value, reason] of cases) {
    t.throws(() => parseChainHeader(value), PemError, name);
    try {
      parseChainHeader(value);
    } catch (error) {
      t.match((error as Error).message, reason, name);
      t.notMatch((error as Error).message, /MIG|MII/, `${name}: the message does not echo the content`);
    }
  }
});

t.test('base64 is decoded strictly', async (t) => {
  t.same(decodeBase64('aGVs bG8='), Buffer.from('hello'));
  t.same(decodeBase64('QR=='), Buffer.from('A'), 'unused bits set: base64 all the same, as before');
  t.throws(() => decodeBase64('aGVsbG8'), /truncated base64/);
  t.throws(() => decodeBase64('aGVs$G8='), /invalid base64/);
  t.throws(() => decodeBase64(''), /empty base64/);
  t.equal(
    toPem('CERTIFICATE', Buffer.from('x')),
    '-----BEGIN CERTIFICATE-----\neA==\n-----END CERTIFICATE-----\n',
  );
});

t.test('X-Cumulocity-Client-Cert-Chain: certificates between commas', async (t) => {
  const [i, r] = [intermediate.certificate, root.certificate];
  t.same(parseCommaSeparatedChainHeader(`${formatChainHeader(i.pem)},${formatChainHeader(r.pem)}`), [
    i.der,
    r.der,
  ]);
  t.same(
    parseCommaSeparatedChainHeader(` ${formatChainHeader(i.pem)} , `),
    [i.der],
    'spaces and a trailing comma',
  );
  t.throws(() => parseCommaSeparatedChainHeader(' , ,'), new PemError('no PEM certificate found'));
  t.throws(() => parseCommaSeparatedChainHeader('hello, world'), /unexpected text outside PEM blocks/);
});
