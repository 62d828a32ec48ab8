import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config.js';

/**
 * Paths pino blanks out wherever they occur in a log line. Request logging
 * never includes headers or bodies; these are the guard for anything that does.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.authorization',
  '*.password',
  '*.passwordHash',
  '*.accessToken',
  '*.jwt',
  '*.privateKey',
  '*.privateKeyPem',
  '*.adminSecret',
  '*.secret',
];

export function createLogger(options: {
  level: LogLevel;
  format: 'pretty' | 'json';
  destination?: NodeJS.WritableStream;
}): Logger {
  const base = { level: options.level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  const destination = options.destination ?? process.stdout;
  if (options.format === 'pretty') {
    return pino(
      base,
      pretty({
        destination,
        colorize: (destination as NodeJS.WriteStream).isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,reqId',
        singleLine: true,
        sync: true,
      }),
    );
  }
  return pino(base, destination);
}
