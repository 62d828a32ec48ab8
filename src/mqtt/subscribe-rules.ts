import { OPERATIONS, subscribable, TOKEN_RESPONSE } from './topics.js';

/**
 * Whether a session's device without a managed object may subscribe to the
 * topics that carry answers for it (the platform refused `s/ds`, `s/dat` and
 * `devicecontrol/notifications` to a password device before its `100`; for a
 * certificate device nothing is known). `--mqtt-subscribe-before-device`.
 */
export type EarlySubscribePolicy = 'refuse-password' | 'refuse-all' | 'grant';
export const EARLY_SUBSCRIBE_POLICIES: readonly EarlySubscribePolicy[] = [
  'refuse-password',
  'refuse-all',
  'grant',
];

const ANSWERS_FOR_THE_DEVICE = new Set([OPERATIONS, TOKEN_RESPONSE, 'devicecontrol/notifications']);

export type SubscribeVerdict = { ok: true } | { ok: false; rule: string; reason: string };

/** SUBACK 0x80 unless the filter is a downstream topic, written out, that the device may have now. */
export function judgeSubscription(
  filter: string,
  auth: 'certificate' | 'password',
  policy: EarlySubscribePolicy,
  deviceExists: () => boolean,
): SubscribeVerdict {
  if (!subscribable(filter)) {
    return {
      ok: false,
      rule: 'subscribe-topic',
      reason: `${JSON.stringify(filter)} is not a downstream topic a device may subscribe to`,
    };
  }
  const early = policy === 'refuse-all' || (policy === 'refuse-password' && auth === 'password');
  if (early && ANSWERS_FOR_THE_DEVICE.has(filter) && !deviceExists()) {
    return {
      ok: false,
      rule: 'subscribe-before-device',
      reason: `${filter} before the device exists (send 100 first; --mqtt-subscribe-before-device ${policy})`,
    };
  }
  return { ok: true };
}
