import { InvalidArgumentError } from 'commander';

/** Option parsers shared by every command; commander reports their errors as one line. */
export const integer = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
};

/** Repeatable, comma-separated values: `--san a,b --san c` is `[a, b, c]`. */
export const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

/**
 * A yes/no option's value: commander sets a plain flag whenever its variable exists, so
 * `C8Y_MOCK_EPHEMERAL=false` would switch it on; a flag with an optional value reads it (the
 * flag alone passes its preset, `true`).
 */
export const yesNo = (value: string | boolean): boolean => {
  const text = String(value).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off', ''].includes(text)) return false;
  throw new InvalidArgumentError('must be true or false');
};
