import { CACERT_ENV, HOST_ENV } from '../cli/defaults.js';

/** What the start-up banner tells: where the mock listens and how to use it. */
export interface BannerFacts {
  version: string;
  /** The mTLS door's port. */
  port: string;
  /** The API door's port, undefined when it is off. */
  apiPort?: string | undefined;
  /** What the mTLS door serves (default: every API). */
  mtlsServes?: 'all' | 'token' | undefined;
  /** The MQTT door's port, undefined when it is off. */
  mqttPort?: string | undefined;
  host: string;
  /** The development CA clients must trust, as the user should type its path. */
  caFile: string;
  /** The same file's absolute path, for the CLI's variables (they hold no path relative to the checkout). */
  caPath: string;
  tenants: { id: string; domain: string; trustedCertificates: number; users: string[] }[];
  /** The generated admin secret, shown once; undefined when the user set it. */
  generatedAdminSecret: string | undefined;
  /** The demo tenant's credentials and device, when the mock made them. */
  demo?: { adminPassword: string; deviceCert: string; deviceKey: string; deviceId: string } | undefined;
}

/** The banner's lines, one listener or hint each: a new door adds its line here. */
export function bannerLines(facts: BannerFacts): string[] {
  const { port, apiPort } = facts;
  const tokenOnly = facts.mtlsServes === 'token';
  // The dashboard and the administration APIs: the API door when it is open.
  const webPort = apiPort ?? port;
  const lines = [
    '',
    `c8y-mtls-mock ${facts.version} listening on https://localhost:${port} (bound to ${facts.host})`,
    `  mTLS door (client certificates): the token endpoint${tokenOnly ? ' alone' : ' and every API'}`,
    ...(apiPort === undefined
      ? []
      : [`  API door (no client certificates) on https://localhost:${apiPort}: every API and the dashboard`]),
    ...(facts.mqttPort === undefined
      ? []
      : [
          `  MQTT over TLS for devices on mqtts://localhost:${facts.mqttPort} (client certificate, or <tenant>/<user> and password)`,
        ]),
    `  development CA that clients must trust: ${facts.caFile}`,
    ...facts.tenants.map(
      (tenant) =>
        `  tenant ${tenant.id} (domain ${tenant.domain}): ${tenant.trustedCertificates} trusted certificate(s), users ${
          tenant.users.join(', ') || '(none)'
        }`,
    ),
    facts.generatedAdminSecret === undefined
      ? '  control API (/_mock): secret from --admin-secret'
      : `  control API (/_mock): Authorization: Bearer ${facts.generatedAdminSecret}  (generated; set --admin-secret to fix it)`,
    `  dashboard for training labs: https://localhost:${webPort}/ (a tenant administrator or the admin secret)`,
  ];
  const { demo } = facts;
  if (demo) lines.push(`  demo administrator: t100/admin, password ${demo.adminPassword}`);
  lines.push(
    '',
    'Point the command-line tool (upload, token, logout) at this mock:',
    '',
    `    export ${HOST_ENV}=https://localhost:${port}`,
    `    export ${CACERT_ENV}=${shellWord(facts.caPath)}`,
  );
  if (demo) {
    lines.push(
      `    export C8Y_TENANT=t100 C8Y_USER=admin C8Y_PASSWORD=${shellWord(demo.adminPassword)}`,
      '',
      'Get a device token (the Cumulocity docs\u2019 command, plus --cacert so curl trusts the mock):',
      '',
      `    curl -v --cert ${demo.deviceCert} --key ${demo.deviceKey} \\`,
      `       --cacert ${facts.caFile} \\`,
      `       -H 'Accept: application/json' \\`,
      '       -X POST \\',
      `       https://localhost:${port}/devicecontrol/deviceAccessToken`,
    );
    if (facts.mqttPort !== undefined) {
      lines.push(
        '',
        'Or over MQTT, as thin-edge.io does (the client ID is the certificate\u2019s CN):',
        '',
        `    mosquitto_rr -V mqttv311 -h localhost -p ${facts.mqttPort} --cafile ${facts.caFile} \\`,
        `       --cert ${demo.deviceCert} --key ${demo.deviceKey} \\`,
        `       -i ${demo.deviceId} -t s/uat -e s/dat -n -W 10`,
      );
    }
  }
  lines.push('');
  return lines;
}

/** A value as a POSIX shell reads it back: bare when it is plain, else in single quotes. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
