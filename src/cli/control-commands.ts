import { Command, Option } from 'commander';
import { CliError } from './cli-error.js';
import type { ClockChange, ClockOptions } from './clock.js';
import { urlOption, withUrlSource } from './commands.js';
import type { CliContext } from './context.js';

// As in commands.ts, each action imports its module when it runs.

/** --url, --cacert and the admin secret of the control API. */
function controlOptions(command: Command): Command {
  return urlOption(command).addOption(
    new Option('--admin-secret <secret>', 'the mock’s admin secret (better: C8Y_MOCK_ADMIN_SECRET)').env(
      'C8Y_MOCK_ADMIN_SECRET',
    ),
  );
}

/** `clock`, `clock advance PT5M`, `clock set 2027-01-01T00:00:00Z`, `clock real`: GET/PUT /_mock/clock. */
export function clockCommand(context: CliContext): Command {
  const action = (change: (this: Command, ...args: string[]) => ClockChange | undefined) =>
    async function (this: Command, ...args: unknown[]) {
      const change_ = change.call(this, ...(args.slice(0, -2) as string[]));
      const options = withUrlSource(this.opts<ClockOptions>(), this);
      await (await import('./clock.js')).clock(change_, options, context);
    };
  const show = controlOptions(
    new Command('show')
      .description('print the mock’s now and its offset from real time')
      // As the default command, show receives `clock bogus`: its own check says what was wrong.
      .allowExcessArguments(),
  ).action(
    action(function (this: Command) {
      const [extra] = this.args;
      if (extra === undefined) return undefined;
      if (this.parent?.args[0] === 'show')
        throw new CliError(`clock show takes no arguments; got "${extra}"`);
      const commands = this.parent!.commands.map((c) =>
        c === this ? `${c.name()} (the default)` : c.name(),
      );
      throw new CliError(
        `unknown clock command '${extra}'; the clock commands are ${commands.slice(0, -1).join(', ')} and ${commands.at(-1)}`,
      );
    }),
  );
  const advance = controlOptions(
    new Command('advance')
      .description('move the mock’s clock forward, or back with a minus: PT5M, P1D, PT1.5S, -PT30S')
      .argument('<duration>', 'an ISO 8601 duration')
      // -PT30S is a duration, not an option; the mock refuses what is neither.
      .allowUnknownOption(),
  ).action(action((duration) => ({ advance: duration! })));
  const set = controlOptions(
    new Command('set')
      .description('set the mock’s clock to an instant; it runs on from there')
      .argument('<instant>', 'an ISO 8601 instant with a time zone, e.g. 2027-01-01T00:00:00Z'),
  ).action(action((instant) => ({ set: instant! })));
  const real = controlOptions(new Command('real').description('return the mock’s clock to real time')).action(
    action(() => ({ real: true })),
  );
  return new Command('clock')
    .description(
      'read or move the clock of a running mock (GET/PUT /_mock/clock): token lifetimes, certificate dates and the decision log follow it',
    )
    .addCommand(show, { isDefault: true })
    .addCommand(advance)
    .addCommand(set)
    .addCommand(real);
}
