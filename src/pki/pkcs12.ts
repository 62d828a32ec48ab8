import { createPrivateKey, type KeyObject, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { Certificate } from './certificate.js';

/**
 * PKCS#12 keystores through PKI.js, with the algorithms Java 17's default
 * keystore uses itself (so `KeyStore.getInstance("PKCS12")` and keytool open
 * them without legacy providers): the key shrouded with PBES2 (PBKDF2 with
 * HMAC-SHA256, AES-256-CBC), the whole store MACed with HMAC-SHA256.
 */
export class Pkcs12Error extends Error {
  override name = 'Pkcs12Error';
}

/** The password did not match the keystore's MAC. */
export class Pkcs12PasswordError extends Pkcs12Error {
  override name = 'Pkcs12PasswordError';
}

export interface Pkcs12Contents {
  /** Leaf first when the store says which certificate belongs to the key. */
  certificates: Certificate[];
  privateKeys: KeyObject[];
  /** friendlyName attributes (Java's aliases). */
  aliases: string[];
}

const BAG = {
  key: '1.2.840.113549.1.12.10.1.1',
  shroudedKey: '1.2.840.113549.1.12.10.1.2',
  certificate: '1.2.840.113549.1.12.10.1.3',
} as const;
const X509_CERTIFICATE = '1.2.840.113549.1.9.22.1';
const FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const LOCAL_KEY_ID = '1.2.840.113549.1.9.21';
/** Java's default; OpenSSL's is 2048. The MAC's key derivation runs in JavaScript. */
const ITERATIONS = 10_000;

/** PKI.js is loaded by the first keystore: it is a third of a second of start-up for every process that imports this module. */
const loadPkijs = () => import('pkijs');
const crypto = (pki: typeof pkijs) =>
  new pki.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto });
const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;
const arrayBuffer = (buffer: Uint8Array) =>
  buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;

export interface Pkcs12Input {
  /** PKCS#8 DER of the private key. */
  privateKey: Buffer;
  /** The key's certificate first, then its issuers. */
  certificates: Certificate[];
  alias: string;
  password: string;
}

export async function createPkcs12(input: Pkcs12Input): Promise<Buffer> {
  const pki = await loadPkijs();
  const engine = crypto(pki);
  const password = bytes(input.password);
  const [leaf] = input.certificates;
  if (!leaf) throw new Pkcs12Error('a keystore needs the key’s certificate');
  // Java pairs a key with its certificate by this attribute; the SHA-1 fingerprint is what keytool uses too.
  const localKeyId = new pki.Attribute({
    type: LOCAL_KEY_ID,
    values: [new asn1js.OctetString({ valueHex: arrayBuffer(Buffer.from(leaf.fingerprint, 'hex')) })],
  });
  const friendlyName = new pki.Attribute({
    type: FRIENDLY_NAME,
    values: [new asn1js.BmpString({ value: input.alias })],
  });

  const keyBag = new pki.PKCS8ShroudedKeyBag({
    parsedValue: pki.PrivateKeyInfo.fromBER(arrayBuffer(input.privateKey)),
  });
  await keyBag.makeInternalValues(
    {
      password,
      // The IV is made by PKI.js; the typings ask for one anyway.
      contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 } as pkijs.ContentEncryptionAesCbcParams,
      hmacHashAlgorithm: 'SHA-256',
      iterationCount: ITERATIONS,
    },
    engine,
  );
  const certificateBag = (certificate: Certificate, attributes: pkijs.Attribute[]) =>
    new pki.SafeBag({
      bagId: BAG.certificate,
      bagValue: new pki.CertBag({
        certId: X509_CERTIFICATE,
        parsedValue: pki.Certificate.fromBER(arrayBuffer(certificate.der)),
      }),
      ...(attributes.length ? { bagAttributes: attributes } : {}),
    });

  const pfx = new pki.PFX({
    parsedValue: {
      integrityMode: 0,
      authenticatedSafe: new pki.AuthenticatedSafe({
        parsedValue: {
          safeContents: [
            {
              privacyMode: 0,
              value: new pki.SafeContents({
                safeBags: [
                  new pki.SafeBag({
                    bagId: BAG.shroudedKey,
                    bagValue: keyBag,
                    bagAttributes: [friendlyName, localKeyId],
                  }),
                  certificateBag(leaf, [friendlyName, localKeyId]),
                  ...input.certificates.slice(1).map((certificate) => certificateBag(certificate, [])),
                ],
              }),
            },
          ],
        },
      }),
    },
  });
  await pfx.parsedValue!.authenticatedSafe!.makeInternalValues({ safeContents: [{}] }, engine);
  await pfx.makeInternalValues(
    {
      password,
      iterations: ITERATIONS,
      pbkdf2HashAlgorithm: 'SHA-256' as unknown as Algorithm,
      hmacHashAlgorithm: 'SHA-256',
    },
    engine,
  );
  return Buffer.from(pfx.toSchema().toBER(false));
}

/** Opens a keystore: checks the MAC with the password, then decrypts every bag. */
export async function readPkcs12(der: Buffer, password: string): Promise<Pkcs12Contents> {
  const pki = await loadPkijs();
  const engine = crypto(pki);
  let pfx: pkijs.PFX;
  try {
    pfx = pki.PFX.fromBER(arrayBuffer(der));
  } catch (error) {
    throw new Pkcs12Error(`not a PKCS#12 keystore (${(error as Error).message})`);
  }
  const secret = bytes(password);
  try {
    await pfx.parseInternalValues({ password: secret, checkIntegrity: true }, engine);
  } catch (error) {
    if (/integrity/i.test((error as Error).message)) {
      throw new Pkcs12PasswordError('wrong password (the keystore’s integrity check failed)');
    }
    throw new Pkcs12Error(`unreadable keystore (${(error as Error).message})`);
  }
  const safe = pfx.parsedValue?.authenticatedSafe;
  if (!safe) throw new Pkcs12Error('the keystore has no content');
  try {
    await safe.parseInternalValues(
      { safeContents: safe.safeContents.map(() => ({ password: secret })) },
      engine,
    );
  } catch (error) {
    throw new Pkcs12Error(`cannot decrypt the keystore’s content (${(error as Error).message})`);
  }

  const certificates: { certificate: Certificate; keyId?: string }[] = [];
  const keys: { key: KeyObject; keyId?: string }[] = [];
  const aliases: string[] = [];
  for (const content of safe.parsedValue.safeContents as { value: pkijs.SafeContents }[]) {
    for (const bag of content.value.safeBags) {
      const keyId = attribute(bag, LOCAL_KEY_ID, (value) =>
        Buffer.from((value as asn1js.OctetString).valueBlock.valueHexView).toString('hex'),
      );
      const alias = attribute(bag, FRIENDLY_NAME, (value) => (value as asn1js.BmpString).valueBlock.value);
      if (alias !== undefined && !aliases.includes(alias)) aliases.push(alias);
      if (bag.bagId === BAG.certificate) {
        const certBag = bag.bagValue as pkijs.CertBag;
        if (certBag.certId !== X509_CERTIFICATE) continue;
        const parsed = certBag.parsedValue as pkijs.Certificate;
        const certificate = Certificate.fromDer(Buffer.from(parsed.toSchema().toBER(false)));
        certificates.push({ certificate, ...(keyId ? { keyId } : {}) });
      } else if (bag.bagId === BAG.shroudedKey || bag.bagId === BAG.key) {
        let info: pkijs.PrivateKeyInfo;
        if (bag.bagId === BAG.shroudedKey) {
          const shrouded = bag.bagValue as pkijs.PKCS8ShroudedKeyBag;
          try {
            // Declared protected in the typings, but it is how PKI.js decrypts a shrouded key.
            await (
              shrouded as unknown as {
                parseInternalValues(p: { password: ArrayBuffer }, c: pkijs.ICryptoEngine): Promise<void>;
              }
            ).parseInternalValues({ password: secret }, engine);
          } catch (error) {
            throw new Pkcs12Error(`cannot decrypt the private key (${(error as Error).message})`);
          }
          info = shrouded.parsedValue!;
        } else {
          info = bag.bagValue as pkijs.PrivateKeyInfo;
        }
        const key = createPrivateKey({
          key: Buffer.from(info.toSchema().toBER(false)),
          format: 'der',
          type: 'pkcs8',
        });
        keys.push({ key, ...(keyId ? { keyId } : {}) });
      }
    }
  }
  // The certificate that shares the key's localKeyId is the leaf; put it first.
  const leafId = keys[0]?.keyId;
  const ordered = [
    ...certificates.filter((c) => leafId !== undefined && c.keyId === leafId),
    ...certificates.filter((c) => leafId === undefined || c.keyId !== leafId),
  ];
  return {
    certificates: ordered.map((c) => c.certificate),
    privateKeys: keys.map((k) => k.key),
    aliases,
  };
}

function attribute<T>(bag: pkijs.SafeBag, type: string, read: (value: unknown) => T): T | undefined {
  const found = bag.bagAttributes?.find((a) => a.type === type);
  const value = found?.values[0];
  return value === undefined ? undefined : read(value);
}
