import { Command, Option } from 'commander';
import { CliError } from './cli-error.js';
import type { CliContext } from './context.js';
import {
  CACERT_ENV,
  DEFAULT_DAYS,
  DEFAULT_MQTT_URL,
  DEFAULT_SERVER_NAMES,
  DEFAULT_URL,
  DEV_CA_FILE,
  HOST_ENV,
  P12_PASSWORD_ENV,
} from './defaults.js';
import type { UrlSource } from './http-client.js';
import { collect, integer } from './parsers.js';

// Each action imports its module when it runs: PKI.js, @peculiar/x509 and jose
// take most of a second to load, which every other command would pay at start-up.

/**
 * A command whose subcommands do the work: alone it prints its help (not an
 * error), and an unknown subcommand is one line, like every other failure.
 */
export function commandGroup(name: string, description: string): Command {
  const group = new Command(name).description(description).usage('[options] [command]');
  group.argument('[command]').action((unknown: string | undefined) => {
    if (unknown === undefined) group.help();
    throw new CliError(`unknown command '${unknown}' (see '${commandPath(group)} --help')`);
  });
  return group;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function keyOptions(command: Command): Command {
  return command
    .addOption(new Option('--key-type <type>', 'key algorithm').choices(['ec', 'rsa']).default('ec'))
    .addOption(
      new Option('--key-size <bits>', 'RSA key size (with --key-type rsa; default 2048)').choices([
        '2048',
        '3072',
        '4096',
      ]),
    );
}

function validityOptions(command: Command, days: number): Command {
  return command
    .option(
      '--days <n>',
      `valid for this many days from now, or from --not-before (default ${days})`,
      integer,
    )
    .option(
      '--not-before <date>',
      'start of validity, ISO 8601 (e.g. 2030-01-31 or 2030-01-31T12:00:00Z; default an hour ago); a future date makes a not-yet-valid certificate',
    )
    .option('--not-after <date>', 'end of validity, ISO 8601; a past date makes an expired certificate');
}

function outputOptions(command: Command, chain: boolean): Command {
  command
    .option('--out <dir>', 'directory for the files, named after the CN', '.')
    .option('--name <base>', 'base of the file names instead of the CN')
    .option('--cert-out <file>', 'certificate file (default <out>/<name>.pem)')
    .option('--key-out <file>', 'private key file (default <out>/<name>.key), readable by the owner only');
  if (chain) command.option('--chain-out <file>', 'chain file, leaf first (default <out>/<name>-chain.pem)');
  return command.option('--force', 'overwrite existing files');
}

function signerOptions(command: Command): Command {
  return command
    .requiredOption(
      '--ca <file>',
      'the signing CA certificate (PEM); certificates after the first are its issuers and join the chain',
    )
    .requiredOption('--ca-key <file>', 'the signing CA’s private key (PEM)');
}

function subjectOptions(command: Command, cn: string): Command {
  return command.option('--cn <name>', cn).option('--org <name>', 'organization (O) in the subject');
}

export function certsCommand(context: CliContext): Command {
  const certs = commandGroup('certs', 'make, convert and inspect certificates without openssl');

  const ca = subjectOptions(
    new Command('ca').description('a self-signed root CA for a tenant: CA:true, keyCertSign, cRLSign'),
    'common name (default "Device Root CA")',
  ).option(
    '--path-len <n>',
    'pathLenConstraint: how many intermediate CAs may follow (default no limit)',
    integer,
  );
  keyOptions(ca);
  validityOptions(ca, DEFAULT_DAYS.ca);
  outputOptions(ca, false);
  ca.action(async (options) => {
    await (await import('./certs/issue.js')).certsCa(options, context);
  });

  const intermediate = subjectOptions(
    new Command('intermediate').description('an intermediate CA signed by --ca'),
    'common name (default "Device Issuing CA")',
  ).option('--path-len <n>', 'pathLenConstraint (default no limit)', integer);
  signerOptions(intermediate);
  keyOptions(intermediate);
  validityOptions(intermediate, DEFAULT_DAYS.intermediate);
  outputOptions(intermediate, true);
  intermediate.action(async (options) => {
    await (await import('./certs/issue.js')).certsIntermediate(options, context);
  });

  const device = subjectOptions(
    new Command('device').description(
      'a device certificate (CA:false, digitalSignature, clientAuth), its key and the full chain file',
    ),
    'the device ID, which the platform takes as external ID (user device_<CN>); required',
  );
  signerOptions(device);
  keyOptions(device);
  validityOptions(device, DEFAULT_DAYS.device);
  outputOptions(device, true);
  device.action(async (options) => {
    await (await import('./certs/issue.js')).certsDevice(options, context);
  });

  const server = subjectOptions(
    new Command('server').description('a TLS server certificate (serverAuth) for the given names'),
    'common name (default the first --san)',
  ).option(
    '--san <names>',
    `DNS name or IP address, repeatable or comma-separated (default ${DEFAULT_SERVER_NAMES.join(',')})`,
    collect,
  );
  signerOptions(server);
  keyOptions(server);
  validityOptions(server, DEFAULT_DAYS.server);
  outputOptions(server, true);
  server.action(async (options) => {
    await (await import('./certs/issue.js')).certsServer(options, context);
  });

  const chainHeader = new Command('chain-header')
    .description('print the one-line X-Ssl-Cert-Chain value for the certificates of a file')
    .argument('<file>', 'PEM file with one or more certificates')
    .action(async (file: string) => {
      await (await import('./certs/chain-header.js')).certsChainHeader(file, context);
    });

  const p12 = new Command('p12')
    .description('a password-protected PKCS#12 keystore with the key and its chain, for Java and keytool')
    .requiredOption('--cert <file>', 'the certificate (a chain file, leaf first, is fine)')
    .requiredOption('--key <file>', 'its private key')
    .option('--chain <file>', 'more issuer certificates to include')
    .addOption(
      new Option('--password <password>', `keystore password (better: the ${P12_PASSWORD_ENV} variable)`)
        .env(P12_PASSWORD_ENV)
        .makeOptionMandatory(),
    )
    .option('--out <file>', 'keystore file (default <alias>.p12 beside --cert)')
    .option('--alias <name>', 'the key entry’s alias (friendlyName; default the CN)')
    .option('--force', 'overwrite an existing file')
    .action(async (options) => {
      await (await import('./certs/p12.js')).certsP12(options, context);
    });

  const pop = new Command('pop')
    .description(
      'print the signed proof-of-possession value for a verification code (as openssl dgst -sha256 -sign | base64 -A)',
    )
    .requiredOption('--code <code>', 'the proofOfPossessionUnsignedVerificationCode')
    .requiredOption('--key <file>', 'the private key of the trusted certificate')
    .option('--cert <file>', 'the trusted certificate: checks that --key belongs to it')
    .action(async (options) => {
      await (await import('./certs/pop.js')).certsPop(options, context);
    });

  const inspect = new Command('inspect')
    .description(
      'subject, issuer, serial, fingerprint (as the platform prints them), validity and extensions of each certificate, and whether each link of the chain verifies',
    )
    .argument('<file>', 'PEM, DER or PKCS#12 file')
    .addOption(
      new Option('--password <password>', `password of a PKCS#12 keystore (or ${P12_PASSWORD_ENV})`).env(
        P12_PASSWORD_ENV,
      ),
    )
    .option('--key <file>', 'a private key that must belong to the first certificate')
    .option('--json', 'print JSON')
    .action(async (file: string, options) => {
      await (await import('./certs/inspect.js')).certsInspect(file, options, context);
    });

  for (const command of [ca, intermediate, device, server, chainHeader, p12, pop, inspect]) {
    certs.addCommand(command);
  }
  return certs;
}

/** --url and --cacert, also from the environment: `serve` prints the two exports for itself. */
export function urlOption(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'base URL of the mock or of a Cumulocity tenant')
        .env(HOST_ENV)
        .default(DEFAULT_URL),
    )
    .addOption(
      new Option(
        '--cacert <file>',
        `CA certificate(s) that issued the server's certificate (default ${DEV_CA_FILE} when it exists, else the system's CAs)`,
      ).env(CACERT_ENV),
    );
}

/** The options with where --url came from, which a connection error names. */
export function withUrlSource<T extends object>(options: T, command: Command): T & { urlFrom: UrlSource } {
  const source = command.getOptionValueSource('url');
  return { ...options, urlFrom: source === 'env' ? 'env' : source === 'cli' ? 'cli' : 'default' };
}

export function uploadCommand(context: CliContext): Command {
  const command = new Command('upload').description(
    'upload a CA certificate to a tenant’s trusted certificates (POST /tenant/tenants/{tenantId}/trusted-certificates)',
  );
  urlOption(command)
    .requiredOption('--cert <file>', 'the CA certificate (PEM or DER, one certificate)')
    .addOption(new Option('--tenant <id>', 'tenant ID, e.g. t100').env('C8Y_TENANT').makeOptionMandatory())
    .addOption(
      new Option('--user <name>', 'a tenant administrator (sent as <tenant>/<user>)')
        .env('C8Y_USER')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--password <password>', 'the administrator’s password (better: C8Y_PASSWORD)')
        .env('C8Y_PASSWORD')
        .makeOptionMandatory(),
    )
    .option('--name <name>', 'name of the trusted certificate (default its CN)')
    .addOption(new Option('--status <status>', 'status').choices(['ENABLED', 'DISABLED']).default('ENABLED'))
    .option('--no-auto-registration', 'do not register unknown devices on their first token request')
    .action(async (options, command: Command) => {
      await (await import('./upload.js')).upload(withUrlSource(options, command), context);
    });
  return command;
}

export function tokenCommand(context: CliContext): Command {
  const command = new Command('token').description(
    'get a device token over mutual TLS (POST /devicecontrol/deviceAccessToken) and show its claims',
  );
  urlOption(command)
    .requiredOption(
      '--cert <file>',
      'the device certificate (a chain file, leaf first: its issuers go in X-Ssl-Cert-Chain and the handshake)',
    )
    .requiredOption('--key <file>', 'the device’s private key')
    .option(
      '--chain <file>',
      'issuers to send in X-Ssl-Cert-Chain instead of those of --cert (a leaf in the file is left out)',
    )
    .option('--quiet', 'print only the token (for scripts)')
    .action(async (options, command: Command) => {
      await (await import('./token.js')).token(withUrlSource(options, command), context);
    });
  return command;
}

export function mqttTokenCommand(context: CliContext): Command {
  return new Command('mqtt-token')
    .description(
      'get a device token over MQTT as thin-edge.io does (mutual TLS, client ID = CN, s/uat -> s/dat) and show its claims',
    )
    .option('--url <url>', 'the MQTT door of the mock or of a Cumulocity tenant', DEFAULT_MQTT_URL)
    .requiredOption(
      '--cert <file>',
      'the device certificate (a chain file, leaf first, sends the chain in TLS)',
    )
    .requiredOption('--key <file>', 'the device’s private key')
    .option('--chain <file>', 'more issuers to send in the TLS handshake (a leaf in the file is left out)')
    .option(
      '--cacert <file>',
      `CA certificates that sign the server’s certificate (default ${DEV_CA_FILE} when it exists)`,
    )
    .option('--client-id <id>', 'MQTT client ID (default the certificate’s CN; d:<CN> works too)')
    .option('--timeout <ms>', 'time to connect, and then to wait for the token', integer, 10_000)
    .option('--quiet', 'print only the token (for scripts)')
    .action(async (options) => {
      await (await import('./mqtt-token.js')).mqttToken(options, context);
    });
}

export function logoutCommand(context: CliContext): Command {
  const command = new Command('logout').description('end a device token (POST /user/logout)');
  urlOption(command)
    .addOption(new Option('--token <token>', 'the access token').env('C8Y_TOKEN').makeOptionMandatory())
    .action(async (options, command: Command) => {
      await (await import('./token.js')).logout(withUrlSource(options, command), context);
    });
  return command;
}
