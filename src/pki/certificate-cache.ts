import { LRUCache } from 'lru-cache';
import { Certificate } from './certificate.js';

/**
 * Parsed certificates by their bytes: a device presents the same certificate
 * on every request, and parsing costs more than the rest of the chain check.
 */
export class CertificateCache {
  readonly #cache: LRUCache<string, Certificate>;

  constructor(max = 20_000) {
    this.#cache = new LRUCache({ max });
  }

  get(der: Buffer): Certificate {
    const key = der.toString('base64');
    let certificate = this.#cache.get(key);
    if (!certificate) {
      certificate = Certificate.fromDer(der);
      this.#cache.set(key, certificate);
    }
    return certificate;
  }
}
