import type { DecisionLog } from '../decisions/decision-log.js';
import type { Inventory } from '../device-data/inventory.js';
import type { OperationCreated, Operations } from '../device-data/operations.js';
import { operationLine } from './operation-lines.js';
import type { MqttSessions } from './sessions.js';
import { externalIdOf } from './static-templates.js';
import { OPERATIONS } from './topics.js';

export interface OperationDeliveryDeps {
  inventory: Inventory;
  operations: Operations;
  sessions: MqttSessions;
  decisions: DecisionLog;
}

/**
 * Hands each new operation to the connected device that runs it (its agent:
 * the device, or the gateway of a child device) as its static-template line
 * on `s/ds` (`510`, `511`, `513`, `515`), when the device has published on
 * `s/us` or `s/uat` since it connected. A device not connected, or not yet
 * active, gets it with `500` (pending operations).
 */
export class OperationDelivery {
  readonly #deps: OperationDeliveryDeps;

  constructor(deps: OperationDeliveryDeps) {
    this.#deps = deps;
  }

  /** Starts listening to the operations service; returns the stop. */
  start(): () => void {
    return this.#deps.operations.onCreated((created) => this.#deliver(created));
  }

  #deliver({ tenantId, operation, device, agent }: OperationCreated): void {
    const { inventory, sessions, decisions } = this.#deps;
    const agentId = externalIdOf(inventory, agent);
    const session = agentId === undefined ? undefined : sessions.get(tenantId, agentId);
    if (!session?.active) return;
    const target = externalIdOf(inventory, device);
    const line = target === undefined ? undefined : operationLine(operation.fragments, target);
    if (line === undefined) return;
    const delivered = session.deliver(OPERATIONS, line);
    decisions.record({
      door: 'mqtt',
      outcome: 'message',
      status: 200,
      tenantId,
      externalId: session.externalId,
      remoteAddress: session.remoteAddress,
      ...(delivered
        ? {}
        : { reason: `operation ${operation.id}: the device has not subscribed to ${OPERATIONS}` }),
      mqtt: {
        stage: 'deliver',
        clientId: session.clientId,
        auth: session.auth,
        topic: OPERATIONS,
        lines: [
          { line: `operation ${operation.id}`, answer: delivered ? `${OPERATIONS} ${line}` : undefined },
        ],
      },
    });
  }
}
