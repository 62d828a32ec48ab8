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
