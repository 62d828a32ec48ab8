/**
 * The CLI's defaults, in a module without dependencies: help text shows them
 * before any command module is loaded.
 */

/** Default validity in days, by kind: long-lived CAs, devices a year, servers what browsers accept. */
export const DEFAULT_DAYS = { ca: 3650, intermediate: 1825, device: 365, server: 397 } as const;

export const DEFAULT_SERVER_NAMES = ['localhost', '127.0.0.1', '::1'];

/** Where `npm start` listens: the platform's mTLS port on this machine. */
export const DEFAULT_URL = 'https://localhost:8443';

/** The base URL of the mock or tenant, as go-c8y-cli reads it; `serve` prints it for itself. */
export const HOST_ENV = 'C8Y_HOST';

/** The CA file that issued the server's certificate; `serve` prints it for itself. */
export const CACERT_ENV = 'C8Y_MOCK_CACERT';

/** Where `npm start` takes MQTT: the platform's MQTT port for certificates. */
export const DEFAULT_MQTT_URL = 'mqtts://localhost:8883';

/** The development CA `npm start` makes in its certs directory; trusted by default when present. */
export const DEV_CA_FILE = 'certs/dev-ca.pem';

export const P12_PASSWORD_ENV = 'C8Y_MOCK_P12_PASSWORD';
