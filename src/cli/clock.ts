import { CliError } from './cli-error.js';
import type { CliContext } from './context.js';
import { baseUrl, describeFailure, endpoint, send, serverTrust, type UrlSource } from './http-client.js';

export interface ClockOptions {
  url: string;
  urlFrom?: UrlSource;
  cacert?: string;
  adminSecret?: string;
}

/** What the control API answers: the mock's now and its distance from real time. */
export interface ClockState {
  now: string;
  offsetSeconds: number;
}

/** The change `clock advance|set|real` asks for; none reads the clock. */
export type ClockChange = { advance: string } | { set: string } | { real: true };

/** The offset in words: `real time`, `real time + 300 s`, `real time - 3600 s`. */
const describe = ({ now, offsetSeconds }: ClockState) =>
  `${now} (${offsetSeconds === 0 ? 'real time' : `real time ${offsetSeconds > 0 ? '+' : '-'} ${Math.abs(offsetSeconds)} s`})`;

/**
 * GET or PUT /_mock/clock of a running mock with the admin secret. The mock checks the duration
 * and instant (ISO 8601) and says what was wrong; this command only carries them.
 */
export async function clock(
  change: ClockChange | undefined,
  options: ClockOptions,
  context: CliContext,
): Promise<ClockState> {
  const { url, from } = baseUrl(options.url, options.urlFrom);
  if (!options.adminSecret) {
    throw new CliError('give the mock’s admin secret with --admin-secret or C8Y_MOCK_ADMIN_SECRET');
  }
  const ca = serverTrust(options.cacert);
  const response = await send({
    method: change ? 'PUT' : 'GET',
    url: endpoint(url, '/_mock/clock'),
    from,
    headers: {
      accept: 'application/json',
      authorization: `Bearer ${options.adminSecret}`,
      ...(change ? { 'content-type': 'application/json' } : {}),
    },
    ...(change ? { body: JSON.stringify(change) } : {}),
    ...(ca ? { ca } : {}),
  });
  if (response.status !== 200) throw new CliError(`the mock refused: ${describeFailure(response)}`);
  const state = JSON.parse(response.text) as ClockState;
  context.print(describe(state));
  return state;
}
