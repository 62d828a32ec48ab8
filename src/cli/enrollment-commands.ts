import { Command, Option } from 'commander';
import { keyOptions, urlOption, withUrlSource } from './commands.js';
import type { CliContext } from './context.js';
import { collect } from './parsers.js';

// As in commands.ts, each action imports its module when it runs.

export function enrollCommand(context: CliContext): Command {
  const command = new Command('enroll').description(
    'get a device certificate from the tenant CA with a one-time password (POST /.well-known/est/simpleenroll): makes the key and CSR, writes key, certificate and chain',
  );
  urlOption(command)
    .requiredOption('--id <id>', 'the device ID, as registered (the certificate’s CN)')
    .addOption(
      new Option('--otp <password>', 'the one-time password of its registration (better: C8Y_ENROLLMENT_OTP)')
        .env('C8Y_ENROLLMENT_OTP')
        .makeOptionMandatory(),
    )
    .option('--tenant <id>', 'tenant ID, sent as <tenant>/<id>, when --url is not the tenant’s domain');
  keyOptions(command)
    .option('--out <dir>', 'directory for the files, named after the ID', '.')
    .option('--name <base>', 'base of the file names instead of the ID')
    .option('--cert-out <file>', 'certificate file (default <out>/<name>.pem)')
    .option('--key-out <file>', 'private key file (default <out>/<name>.key), readable by the owner only')
    .option(
      '--chain-out <file>',
      'the certificates of the answer, leaf first (default <out>/<name>-chain.pem)',
    )
    .option('--force', 'overwrite existing files')
    .action(async (options, command: Command) => {
      await (await import('./enroll.js')).enroll(withUrlSource(options, command), context);
    });
  return command;
}

export function reenrollCommand(context: CliContext): Command {
  const command = new Command('reenroll').description(
    'renew a device certificate (POST /.well-known/est/simplereenroll with the device token): replaces --cert, and --key with --new-key',
  );
  urlOption(command)
    .requiredOption('--cert <file>', 'the current device certificate')
    .requiredOption('--key <file>', 'its private key')
    .addOption(
      new Option(
        '--token <token>',
        'a device token to use (default: one got over mutual TLS with --cert and --key)',
      ).env('C8Y_TOKEN'),
    )
    .option('--new-key', 'make a new key instead of keeping the current one');
  keyOptions(command)
    .option('--cert-out <file>', 'where the new certificate goes (default --cert)')
    .option('--key-out <file>', 'where the new key goes with --new-key (default --key)')
    .action(async (options, command: Command) => {
      await (await import('./enroll.js')).reenroll(withUrlSource(options, command), context);
    });
  return command;
}

export function registerCommand(context: CliContext): Command {
  const command = new Command('register').description(
    'the administrator’s side of enrollment: make the tenant CA if there is none, and register devices with one-time passwords (POST /devicecontrol/newDeviceRequests)',
  );
  urlOption(command)
    .requiredOption('--id <id>', 'a device ID (repeatable, or comma-separated)', collect)
    .option('--otp <password>', 'the one-time password (default a new random one per device)')
    .option('--type <type>', 'the device’s managed object type')
    .option('--no-ca', 'do not make the tenant CA')
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
    .action(async (options, command: Command) => {
      await (await import('./register.js')).register(withUrlSource(options, command), context);
    });
  return command;
}
