import type { Certificate } from '../pki/certificate.js';
import { CertificateFormatError } from '../pki/certificate.js';
import type { CertificateCache } from '../pki/certificate-cache.js';
import { parseChainHeader } from '../pki/chain-header.js';
import { PemError } from '../pki/pem.js';

/** A presented certificate or chain header that cannot be read; the message says why. */
export class UnreadableChain extends Error {
  override name = 'UnreadableChain';
}

/**
 * Reads presented certificates, cached by their bytes (a device presents the
 * same ones on every request). A leaf's public key is never needed and costly
 * to read, so it is left alone; an issuer's key must be readable, and each is
 * read once.
 */
export class CertificateReader {
  readonly #cache: CertificateCache;
  // A connection's handshake chain is one array for its life (tls/peer-chain.ts): its
  // certificates are found again without digesting their bytes on every request (issue 19).
  readonly #handshakes = new WeakMap<readonly Buffer[], Certificate[]>();

  constructor(cache: CertificateCache) {
    this.#cache = cache;
  }

  /** The certificates of a TLS handshake, leaf first: `chain(ders)`, once per array. */
  handshake(ders: readonly Buffer[]): Certificate[] {
    let chain = this.#handshakes.get(ders);
    if (chain === undefined) {
      chain = this.chain(ders);
      this.#handshakes.set(ders, chain);
    }
    return chain;
  }

  /**
   * DER certificates in the order given. The first is read as a leaf when
   * `firstIsLeaf` says so (a function decides once the first is parsed);
   * every other one as an issuer.
   */
  chain(
    ders: readonly Buffer[],
    firstIsLeaf: boolean | ((first: Certificate) => boolean) = true,
  ): Certificate[] {
    return readable(() =>
      ders.map((der, position) => {
        const certificate = this.#cache.get(der);
        const leaf =
          position === 0 && (typeof firstIsLeaf === 'function' ? firstIsLeaf(certificate) : firstIsLeaf);
        return leaf ? certificate : certificate.withReadableKey();
      }),
    );
  }

  /** The certificates of a chain header (X-Ssl-Cert-Chain's forms, or pasted PEM), as their DER. */
  header(text: string): Buffer[] {
    return readable(() => parseChainHeader(text));
  }
}

function readable<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof PemError || error instanceof CertificateFormatError) {
      throw new UnreadableChain(error.message, { cause: error });
    }
    throw error;
  }
}
