// @peculiar/x509 needs the Reflect metadata polyfill before it is evaluated,
// so every module imports the library through this one.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as Crypto);

export { x509 };
