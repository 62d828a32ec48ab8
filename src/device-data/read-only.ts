import { isoDate } from '../clock.js';
import type { Document } from './documents.js';
import { refuse } from './refusals.js';
import { parseDateTime } from './time.js';

interface Stored {
  sourceId: number;
  type: string;
  time: number;
}

/**
 * An update that names a property the platform does not let change: refused
 * (the OpenAPI: "A request will be rejected when non-modifiable properties are
 * provided"), unless the value is the stored one, as a client echoing back the
 * whole object sends it.
 */
export function refuseChangesTo(
  document: Document,
  stored: Stored,
  names: readonly ('source' | 'type' | 'time')[],
): void {
  const changed = names.filter((name) => {
    const value = document[name];
    if (value === undefined) return false;
    switch (name) {
      case 'source': {
        const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined;
        return String(id) !== String(stored.sourceId);
      }
      case 'type':
        return value !== stored.type;
      case 'time':
        return typeof value !== 'string' || parseDateTime(value) !== stored.time;
    }
    return false;
  });
  if (changed.length > 0) {
    throw refuse.invalid(
      `${changed.join(', ')} cannot be changed (stored: ${changed
        .map((name) =>
          name === 'source'
            ? `source ${stored.sourceId}`
            : name === 'time'
              ? `time ${isoDate(stored.time)}`
              : `type ${stored.type}`,
        )
        .join(', ')}).`,
    );
  }
}
