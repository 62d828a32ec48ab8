import type { FastifyInstance } from 'fastify';
import { CHILD_KINDS, type ChildKind, type Inventory } from '../device-data/inventory.js';
import { UnprocessableEntity } from '../errors.js';
import { collectionJson, readDataQuery } from '../http/data-query.js';
import { managedObjectJson, managedObjectUrl, referenceJson } from '../http/data-representations.js';
import { cumulocityMediaName, MEDIA } from '../http/media-types.js';
import { sendWritten } from '../http/response-body.js';
import {
  bothForms,
  callerOf,
  type DataRouteOptions,
  type Params,
  routeOptions,
  unknownPathsUnder,
} from './data-context.js';

const RESOURCE = 'inventory';
const COLLECTION = '/inventory/managedObjects';

export interface InventoryRouteOptions extends DataRouteOptions {
  inventory: Inventory;
}

/** /inventory/managedObjects: managed objects and their child references. */
export async function inventoryRoutes(app: FastifyInstance, options: InventoryRouteOptions) {
  const { inventory, responseBody } = options;
  const route = routeOptions(options, RESOURCE);
  unknownPathsUnder(app, '/inventory', options);

  for (const path of bothForms(COLLECTION)) {
    app.post<Params<never>>(path, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      if (cumulocityMediaName(request) === 'managedobjectcollection') {
        const created = inventory.createMany(actor, request.body);
        request.log.info(
          { tenant: actor.tenantId, count: created.length },
          `${actor.userName} created managed objects`,
        );
        return sendWritten(request, reply, responseBody, {
          status: 201,
          type: MEDIA.managedObjectCollection,
          body: () => ({ managedObjects: created.map((mo) => managedObjectJson(base, mo)) }),
        });
      }
      const created = inventory.create(actor, request.body);
      request.log.info(
        { tenant: actor.tenantId, id: created.record.id },
        `${actor.userName} created managed object ${created.record.id}`,
      );
      return sendWritten(request, reply, responseBody, {
        status: 201,
        type: MEDIA.managedObject,
        location: managedObjectUrl(base, created.record.id),
        body: () => managedObjectJson(base, created),
      });
    });

    app.get<Params<never>>(path, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      const query = readDataQuery(request.query, RESOURCE);
      if (query.text('query') !== undefined || query.text('q') !== undefined) {
        throw new UnprocessableEntity(
          'inventory/Invalid Data',
          'Find by filter query failed : the mock does not evaluate the query language (query, q); filter with type, fragmentType, owner, text or ids.',
        );
      }
      const page = inventory.list(
        actor,
        {
          type: query.text('type'),
          owner: query.text('owner'),
          fragmentType: query.text('fragmentType'),
          ids: query.list('ids'),
          text: query.text('text'),
        },
        query.page,
      );
      const counts = query.boolean('withChildrenCount') === true;
      return reply.type(MEDIA.managedObjectCollection).send(
        collectionJson(
          'managedObjects',
          page.items.map((mo) => managedObjectJson(base, mo, counts)),
          page,
          query.paging,
          `${base}${COLLECTION}`,
          request.query,
        ),
      );
    });
  }

  const single = `${COLLECTION}/:id`;
  app.get<Params<'id'>>(single, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    const counts = readDataQuery(request.query, RESOURCE).boolean('withChildrenCount') === true;
    return reply
      .type(MEDIA.managedObject)
      .send(managedObjectJson(base, inventory.get(actor, request.params.id), counts));
  });

  app.put<Params<'id'>>(single, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    const { managedObject, heartbeat } = inventory.update(actor, request.params.id, request.body);
    request.log.info(
      { tenant: actor.tenantId, id: managedObject.record.id },
      `${actor.userName} updated managed object ${managedObject.record.id}${heartbeat ? ' (heartbeat)' : ''}`,
    );
    return sendWritten(request, reply, responseBody, {
      status: 200,
      type: MEDIA.managedObject,
      body: () =>
        heartbeat ? { id: String(managedObject.record.id) } : managedObjectJson(base, managedObject),
    });
  });

  app.delete<Params<'id'>>(single, route, async (request, reply) => {
    const { actor } = callerOf(request);
    const query = readDataQuery(request.query, RESOURCE);
    // withDeviceUser is read (a bad value is a 400) but the device user stays: see docs/device-data.md.
    query.boolean('withDeviceUser');
    const cascade = query.boolean('forceCascade') === true || query.boolean('cascade') === true;
    inventory.delete(actor, request.params.id, { cascade });
    request.log.info(
      { tenant: actor.tenantId, id: request.params.id, cascade },
      `${actor.userName} deleted managed object ${request.params.id}`,
    );
    return reply.status(204).send();
  });

  for (const kind of CHILD_KINDS) childRoutes(kind);

  function childRoutes(kind: ChildKind) {
    const children = `${single}/${kind}`;

    app.get<Params<'id'>>(children, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      const query = readDataQuery(request.query, RESOURCE);
      const page = inventory.listChildren(actor, request.params.id, kind, query.page);
      const parent = managedObjectUrl(base, Number(request.params.id));
      return reply.type(MEDIA.managedObjectReferenceCollection).send(
        collectionJson(
          'references',
          page.items.map((child) => referenceJson(base, child, `${parent}/${kind}/${child.id}`)),
          page,
          query.paging,
          `${parent}/${kind}`,
          request.query,
        ),
      );
    });

    /**
     * A reference (`{"managedObject": {"id"}}`), several (`{"references": […]}`),
     * or a new managed object to create as the child, told apart by media
     * type and, for application/json, by shape.
     */
    app.post<Params<'id'>>(children, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      const parentId = request.params.id;
      const parent = `${base}${COLLECTION}/${parentId}`;
      const media = cumulocityMediaName(request);
      const body = request.body as Record<string, unknown> | undefined;
      const isReferences =
        media === 'managedobjectreferencecollection' || (!media && Array.isArray(body?.references));
      const isReference =
        media === 'managedobjectreference' ||
        (!media && !isReferences && typeof body?.managedObject === 'object' && body.managedObject !== null);
      if (isReferences || isReference) {
        const ids = referencedIds(body, isReferences);
        const added = ids.map((childId) => inventory.addChild(actor, parentId, kind, childId));
        request.log.info(
          { tenant: actor.tenantId, parent: parentId, children: ids },
          `${actor.userName} linked ${kind} to ${parentId}`,
        );
        const references = added.map((child) => referenceJson(base, child, `${parent}/${kind}/${child.id}`));
        return sendWritten(request, reply, responseBody, {
          status: 201,
          ...(isReferences
            ? {
                type: MEDIA.managedObjectReferenceCollection,
                body: () => ({ references, self: `${parent}/${kind}` }),
              }
            : {
                type: MEDIA.managedObjectReference,
                location: references[0]!.self,
                body: () => references[0],
              }),
        });
      }
      const created = inventory.createChild(actor, parentId, kind, request.body);
      request.log.info(
        { tenant: actor.tenantId, parent: parentId, id: created.record.id },
        `${actor.userName} created ${kind} ${created.record.id} of ${parentId}`,
      );
      return sendWritten(request, reply, responseBody, {
        status: 201,
        type: MEDIA.managedObject,
        location: managedObjectUrl(base, created.record.id),
        body: () => managedObjectJson(base, created),
      });
    });

    app.delete<Params<'id' | 'childId'>>(`${children}/:childId`, route, async (request, reply) => {
      const { actor } = callerOf(request);
      inventory.removeChild(actor, request.params.id, kind, request.params.childId);
      request.log.info(
        { tenant: actor.tenantId, parent: request.params.id, child: request.params.childId },
        `${actor.userName} unlinked ${kind} ${request.params.childId} from ${request.params.id}`,
      );
      return reply.status(204).send();
    });
  }
}

/** The child ids of a reference body; a reference without an id is the platform's 422. */
function referencedIds(body: Record<string, unknown> | undefined, many: boolean): string[] {
  const items = many ? body?.references : [body];
  if (!Array.isArray(items) || items.length === 0) {
    throw new UnprocessableEntity(
      'undefined/validationError',
      'Following mandatory fields should be included: references',
    );
  }
  return items.map((item) => {
    const id = (item as { managedObject?: { id?: unknown } } | undefined)?.managedObject?.id;
    if ((typeof id !== 'string' || id === '') && typeof id !== 'number') {
      throw new UnprocessableEntity(
        'undefined/validationError',
        'Following mandatory fields should be included: managedObject.id',
      );
    }
    return String(id);
  });
}
