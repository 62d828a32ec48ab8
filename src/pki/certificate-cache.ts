import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Certificate } from './certificate.js';

/**
 * Parsed certificates by the SHA-256 of their bytes: a device presents the
 * same certificate on every request, and parsing costs more than the rest of
 * the chain check. A digest rather than the bytes themselves keeps the keys
 * small, and the key is the certificate's own `sha256` (one string for both, and
 * one digest per parse); SHA-256 rather than SHA-1, whose collisions can be
 * made: two certificates with one SHA-1 would share one parse.
 */
export class CertificateCache {
  readonly #cache: LRUCache<string, Certificate>;

  constructor(max = 20_000) {
    this.#cache = new LRUCache({ max });
  }

  get(der: Buffer): Certificate {
    const key = hash('sha256', der, 'hex');
    let certificate = this.#cache.get(key);
    if (!certificate) {
      certificate = Certificate.fromDer(der, key);
      this.#cache.set(certificate.sha256, certificate);
    }
    return certificate;
  }
}
