/**
 * The topics of core MQTT as the platform names them: what a device publishes
 * (upstream), what it may subscribe to (downstream), and the token pair.
 */

/** An empty message here asks for the device's token, answered on `s/dat`. */
export const TOKEN_REQUEST = 's/uat';
export const TOKEN_RESPONSE = 's/dat';
/** Operations and other answers for the device. */
export const OPERATIONS = 's/ds';
/** SmartREST errors ("not a response channel"). */
export const ERRORS = 's/e';

/**
 * SmartREST static templates: `s/us` (persistent), `t/us` (transient), `q/us`
 * (quiescent), `c/us` (CEP), each also as `<topic>/<childId>` for a child device.
 */
const SMARTREST_UPSTREAM = /^[stqc]\/us(?:\/([^/]+))?$/;

/** Downstream topics a device may subscribe to, exactly (no wildcards). */
const DOWNSTREAM = new Set([
  OPERATIONS,
  ERRORS,
  TOKEN_RESPONSE,
  's/dt',
  'devicecontrol/notifications',
  'error',
]);
const CUSTOM_DOWNSTREAM = /^s\/dc\/[^/#+]+$/;

/** The child device a SmartREST topic names, '' for the device itself; undefined for other topics. */
export function smartRestTarget(topic: string): string | undefined {
  const match = SMARTREST_UPSTREAM.exec(topic);
  return match ? (match[1] ?? '') : undefined;
}

/** Whether a device may subscribe to this filter: a downstream topic, written out. */
export function subscribable(filter: string): boolean {
  return DOWNSTREAM.has(filter) || CUSTOM_DOWNSTREAM.test(filter);
}
