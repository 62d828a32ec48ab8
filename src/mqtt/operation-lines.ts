import { isObject } from '../device-data/documents.js';
import { formatLine } from './smartrest.js';

const text = (value: unknown): string =>
  typeof value === 'string' ? value : value === undefined ? '' : String(value);

/**
 * The `s/ds` line of an operation for the device with external ID `target`
 * (reference A6: field 2 is the target's external ID), for the operations that
 * have a static template: 510 restart, 511 shell command, 513 configuration,
 * 515 firmware. Undefined for any other operation: the platform delivers those
 * through custom templates or JSON, which the mock does not speak.
 */
export function operationLine(fragments: Record<string, unknown>, target: string): string | undefined {
  if (isObject(fragments.c8y_Restart)) return formatLine([510, target]);
  const command = fragments.c8y_Command;
  if (isObject(command)) return formatLine([511, target, text(command.text)]);
  const configuration = fragments.c8y_Configuration;
  if (isObject(configuration)) return formatLine([513, target, text(configuration.config)]);
  const firmware = fragments.c8y_Firmware;
  if (isObject(firmware)) {
    return formatLine([515, target, text(firmware.name), text(firmware.version), text(firmware.url)]);
  }
  return undefined;
}
