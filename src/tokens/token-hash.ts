import { hash, randomInt } from 'node:crypto';

/** Real device tokens carry no jti, so a token is known by the hash of its compact form. */
export const tokenHash = (jwt: string): string => hash('sha256', jwt, 'base64url');

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 20 random letters and digits, like the platform's xsrfToken claim. */
export function xsrfToken(): string {
  let out = '';
  for (let i = 0; i < 20; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}
