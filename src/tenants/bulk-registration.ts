import type { DeviceObjects } from '../device-data/device-objects.js';
import { UnprocessableEntity } from '../errors.js';
import type { CsvRow } from '../http/csv.js';
import type { Store } from '../store/store.js';
import { type Devices, externalIdProblem } from './devices.js';

type Status = 'CREATED' | 'FAILED' | 'CREDENTIAL_UPDATED';

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

const ERROR = 'devicecontrol/Unprocessable Entity';

/**
 * Bulk registration from the platform's CSV (first line the column names,
 * `ID` required): rows with `AUTH_TYPE` `CERTIFICATES` register the device, so
 * a tenant without auto-registration gives it tokens. Each row succeeds or
 * fails on its own, with a reason. Like the platform, it also creates the
 * device's "elementary representation": a managed object named by `NAME`
 * (default the ID), of `TYPE`, bound to external ID `IDTYPE` (default
 * c8y_Serial); a device already bound keeps its object. Other columns (PATH,
 * custom properties) are ignored.
 */
export function registerDevices(
  rows: CsvRow[],
  tenantId: string,
  { devices, store, deviceObjects }: { devices: Devices; store: Store; deviceObjects: DeviceObjects },
): BulkRegistrationResult {
  const [header, ...data] = rows;
  if (!header)
    throw new UnprocessableEntity(
      ERROR,
      'The CSV file is empty; its first line must name the columns (ID;AUTH_TYPE;…).',
    );
  const columns = header.cells.map((name) => name.trim());
  const column = (name: string) => columns.indexOf(name);
  const [id, authType, credentials] = [column('ID'), column('AUTH_TYPE'), column('CREDENTIALS')];
  const cell = (row: CsvRow, name: string) => {
    const index = column(name);
    return index < 0 ? undefined : row.cells[index]?.trim() || undefined;
  };
  if (id < 0) {
    throw new UnprocessableEntity(
      ERROR,
      `The first line of the CSV file must name the columns and include ID; found ${columns.map((c) => JSON.stringify(c)).join(', ')}.`,
    );
  }
  if (data.length === 0)
    throw new UnprocessableEntity(ERROR, 'The CSV file has column names but no device rows.');

  const result: BulkRegistrationResult = {
    numberOfAll: data.length,
    numberOfCreated: 0,
    numberOfFailed: 0,
    numberOfSuccessful: 0,
    credentialUpdatedList: [],
    failedCreationList: [],
  };
  store.transaction(() => {
    for (const row of data) {
      const deviceId = row.cells[id] ?? '';
      const problem = rowProblem(row, columns.length, deviceId, {
        authType: authType < 0 ? '' : (row.cells[authType] ?? ''),
        credentials: credentials < 0 ? '' : (row.cells[credentials] ?? ''),
      });
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
      const known = devices.get(tenantId, deviceId) !== undefined;
      devices.register(tenantId, deviceId, 'bulk');
      deviceObjects.ensure(tenantId, deviceId, {
        name: cell(row, 'NAME'),
        type: cell(row, 'TYPE'),
        idType: cell(row, 'IDTYPE'),
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

function rowProblem(
  row: CsvRow,
  columnCount: number,
  deviceId: string,
  { authType, credentials }: { authType: string; credentials: string },
): string | undefined {
  if (row.cells.length !== columnCount) {
    return `the line has ${row.cells.length} values but the first line names ${columnCount} columns.`;
  }
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
