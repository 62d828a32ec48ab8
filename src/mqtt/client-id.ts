import { externalIdProblem } from '../tenants/devices.js';

/** A client ID of Cumulocity's form `[connectionType:]deviceIdentifier[:defaultTemplateIdentifier]`. */
export interface ClientId {
  /** As the device sent it. */
  raw: string;
  /** The device's external ID; with a certificate, its CN. */
  deviceId: string;
  /** The default custom template collection (the third part), if named. */
  template?: string | undefined;
}

/** The one connection type the platform documents: a device. */
const DEVICE_CONNECTION = 'd';

/**
 * Reads a client ID: `mySerial`, `d:mySerial` or `d:mySerial:myTemplate`.
 * Anything else (empty, another connection type, more parts, a device
 * identifier the platform would refuse as an external ID) is the reason why
 * not, which the door answers with CONNACK 2.
 */
export function parseClientId(raw: string): { ok: true; id: ClientId } | { ok: false; reason: string } {
  if (raw === '') return { ok: false, reason: 'the client ID is empty' };
  const parts = raw.split(':');
  if (parts.length > 3) {
    return {
      ok: false,
      reason: `the client ID ${JSON.stringify(raw)} has more than three ':'-separated parts`,
    };
  }
  if (parts.length > 1 && parts[0] !== DEVICE_CONNECTION) {
    return {
      ok: false,
      reason: `the client ID ${JSON.stringify(raw)} has connection type ${JSON.stringify(parts[0])}; only '${DEVICE_CONNECTION}' (a device) is known`,
    };
  }
  const deviceId = parts.length === 1 ? parts[0]! : parts[1]!;
  const problem = externalIdProblem([deviceId]);
  if (problem) {
    return {
      ok: false,
      reason: `the client ID's device identifier: ${problem.replace('the leaf certificate CN', 'it')}`,
    };
  }
  const template = parts[2];
  return { ok: true, id: { raw, deviceId, ...(template ? { template } : {}) } };
}
