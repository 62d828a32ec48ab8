import type { DeviceObjects } from '../device-data/device-objects.js';
import type { Store } from '../store/store.js';
import { type Devices, externalIdProblem } from './devices.js';

type Status = 'CREATED' | 'FAILED' | 'CREDENTIAL_UPDATED';

/** One device row of a bulk registration, as the file reader found it. */
export interface BulkRegistrationRow {
  /** 1-based line number in the file, and the line as written: the answer quotes both. */
  line: number;
  raw: string;
  deviceId: string;
  authType: string;
  credentials: string;
  /** The device's managed object: its `NAME` (default the ID), `TYPE`, and the external ID's `IDTYPE`. */
  name?: string | undefined;
  type?: string | undefined;
  idType?: string | undefined;
  /** What is wrong with the row's form (e.g. its number of values), found by the reader. */
  formProblem?: string | undefined;
}

/** The platform's BulkNewDeviceRequest answer. */
export interface BulkRegistrationResult {
  numberOfAll: number;
  numberOfCreated: number;
  numberOfFailed: number;
  numberOfSuccessful: number;
  credentialUpdatedList: { bulkNewDeviceStatus: Status; deviceId: string }[];
  failedCreationList: {
    bulkNewDeviceStatus: Status;
    deviceId?: string;
    failureReason: string;
    line: string;
  }[];
}

/**
 * Bulk registration: rows with `AUTH_TYPE` `CERTIFICATES` register the device,
 * so a tenant without auto-registration gives it tokens. Like the platform, it
 * also creates the device's "elementary representation": a managed object
 * bound to its external ID (a device already bound keeps its object). Each row
 * succeeds or fails on its own, with a reason; all rows are written in one
 * transaction.
 */
export class BulkRegistration {
  readonly #store: Store;
  readonly #devices: Devices;
  readonly #deviceObjects: DeviceObjects;

  constructor(deps: { store: Store; devices: Devices; deviceObjects: DeviceObjects }) {
    ({ store: this.#store, devices: this.#devices, deviceObjects: this.#deviceObjects } = deps);
  }

  register(tenantId: string, rows: readonly BulkRegistrationRow[]): BulkRegistrationResult {
    const result: BulkRegistrationResult = {
      numberOfAll: rows.length,
      numberOfCreated: 0,
      numberOfFailed: 0,
      numberOfSuccessful: 0,
      credentialUpdatedList: [],
      failedCreationList: [],
    };
    this.#store.transaction(() => {
      for (const row of rows) {
        const { deviceId } = row;
        const problem = rowProblem(row);
        if (problem) {
          result.numberOfFailed++;
          result.failedCreationList.push({
            bulkNewDeviceStatus: 'FAILED',
            ...(deviceId ? { deviceId } : {}),
            failureReason: `Line ${row.line}: ${problem}`,
            line: row.raw,
          });
          continue;
        }
        const known = this.#devices.get(tenantId, deviceId) !== undefined;
        this.#devices.register(tenantId, deviceId, 'bulk');
        this.#deviceObjects.ensure(tenantId, deviceId, {
          name: row.name,
          type: row.type,
          idType: row.idType,
        });
        result.numberOfSuccessful++;
        if (known) {
          result.credentialUpdatedList.push({ bulkNewDeviceStatus: 'CREDENTIAL_UPDATED', deviceId });
        } else {
          result.numberOfCreated++;
        }
      }
    });
    return result;
  }
}

function rowProblem({
  deviceId,
  authType,
  credentials,
  formProblem,
}: BulkRegistrationRow): string | undefined {
  if (formProblem) return formProblem;
  if (deviceId === '') return 'ID is empty.';
  const idProblem = externalIdProblem([deviceId]);
  if (idProblem) return `${idProblem.replace('the leaf certificate CN', 'the ID')}.`;
  const type = authType.toUpperCase();
  if (type === 'CERTIFICATES') {
    return credentials === '' ? undefined : 'CREDENTIALS must be empty when AUTH_TYPE is CERTIFICATES.';
  }
  if (type === '' || type === 'BASIC') {
    return 'the mock registers only devices that authenticate with certificates: set AUTH_TYPE to CERTIFICATES (devices with passwords are not simulated).';
  }
  return `AUTH_TYPE must be CERTIFICATES or BASIC; got ${JSON.stringify(authType)}.`;
}
