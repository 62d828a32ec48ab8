import type { FastifyInstance } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import { BodyReader, type JsonObject } from '../http/fields.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import { pageOf, parsePaging } from '../http/paging.js';
import { optionJson, shownOptionValue } from '../http/representations.js';
import { type ResponseBodyPolicy, sendWritten } from '../http/response-body.js';
import type { OptionRecord, TenantOptions } from '../tenants/tenant-options.js';

const RESOURCE = 'options';

type CategoryParams = { category: string };
type OptionParams = { category: string; key: string };
type Query = Record<string, string | string[] | undefined>;

/** /tenant/options: the tenant's category/key/value settings, values always strings. */
export async function tenantOptionRoutes(
  app: FastifyInstance,
  {
    auth,
    options,
    responseBody,
  }: { auth: RequestAuth; options: TenantOptions; responseBody: ResponseBodyPolicy },
) {
  const body = new BodyReader(RESOURCE);
  const routeOptions = { preHandler: auth.administrator, config: { resource: RESOURCE } };

  /**
   * Option values are strings; a JSON number or boolean is stored as its text
   * (as a Java server would bind it), anything else is refused.
   */
  const optionValue = (value: unknown, field: string): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return body.fail(
      value === undefined
        ? `Field ${field} is required.`
        : `Field ${field} must be a string (option values are strings, e.g. "300"); got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}.`,
    );
  };

  const categoryMap = (tenantId: string, category: string) =>
    Object.fromEntries(
      options
        .list(tenantId)
        .filter((option) => option.category === category)
        .map((option) => [option.key, shownOptionValue(option)]),
    );

  app.get<{ Querystring: Query }>('/tenant/options', routeOptions, async (request, reply) => {
    const { tenant } = request.principal!;
    const base = origin(request, tenant.domain);
    const paging = parsePaging(request.query, RESOURCE);
    const filters: Record<string, string> = {};
    for (const name of ['withTotalElements', 'withTotalPages']) {
      const value = request.query[name];
      if (typeof value === 'string') filters[name] = value;
    }
    const page = pageOf(options.list(tenant.id), paging, `${base}/tenant/options`, filters);
    return reply.type(MEDIA.optionCollection).send({
      options: page.items.map((option) => optionJson(option, base)),
      ...(page.next ? { next: page.next } : {}),
      ...(page.prev ? { prev: page.prev } : {}),
      self: page.self,
      statistics: page.statistics,
    });
  });

  // The platform answers 200 here, not 201 (OpenAPI, and a live test in go-c8y).
  app.post('/tenant/options', routeOptions, async (request, reply) => {
    const { tenant } = request.principal!;
    const payload = body.object(request.body);
    const option = options.set({
      tenantId: tenant.id,
      category: body.string(payload, 'category', { required: true, nonEmpty: true })!,
      key: body.string(payload, 'key', { required: true, nonEmpty: true })!,
      value: optionValue(payload.value, 'value'),
    });
    request.log.info({ tenant: tenant.id, category: option.category, key: option.key }, 'option set');
    return sendWritten(request, reply, responseBody, {
      status: 200,
      type: MEDIA.option,
      body: () => optionJson(option, origin(request, tenant.domain)),
    });
  });

  app.get<{ Params: CategoryParams }>('/tenant/options/:category', routeOptions, async (request, reply) => {
    const { tenant } = request.principal!;
    return reply.type(MEDIA.option).send(categoryMap(tenant.id, request.params.category));
  });

  app.put<{ Params: CategoryParams }>('/tenant/options/:category', routeOptions, async (request, reply) => {
    const { tenant } = request.principal!;
    const { category } = request.params;
    const payload: JsonObject = body.object(request.body);
    const records: OptionRecord[] = Object.entries(payload).map(([key, value]) => {
      if (key.trim() === '') body.fail('Option keys must not be empty.');
      return { tenantId: tenant.id, category, key, value: optionValue(value, key) };
    });
    options.setAll(records);
    request.log.info({ tenant: tenant.id, category, keys: records.map((r) => r.key) }, 'options set');
    return sendWritten(request, reply, responseBody, {
      status: 200,
      type: MEDIA.option,
      body: () => categoryMap(tenant.id, category),
    });
  });

  app.get<{ Params: OptionParams }>(
    '/tenant/options/:category/:key',
    routeOptions,
    async (request, reply) => {
      const { tenant } = request.principal!;
      const { category, key } = request.params;
      return reply
        .type(MEDIA.option)
        .send(optionJson(options.get(tenant.id, category, key), origin(request, tenant.domain)));
    },
  );

  app.put<{ Params: OptionParams }>(
    '/tenant/options/:category/:key',
    routeOptions,
    async (request, reply) => {
      const { tenant } = request.principal!;
      const { category, key } = request.params;
      // Creates the option when absent: the docs change device-token.lifespan.seconds this way, and it is stored only once set.
      const option = options.set({
        tenantId: tenant.id,
        category,
        key,
        value: optionValue(body.object(request.body).value, 'value'),
      });
      request.log.info({ tenant: tenant.id, category, key }, 'option set');
      return sendWritten(request, reply, responseBody, {
        status: 200,
        type: MEDIA.option,
        body: () => optionJson(option, origin(request, tenant.domain)),
      });
    },
  );

  app.delete<{ Params: OptionParams }>(
    '/tenant/options/:category/:key',
    routeOptions,
    async (request, reply) => {
      const { tenant } = request.principal!;
      const { category, key } = request.params;
      options.delete(tenant.id, category, key);
      request.log.info({ tenant: tenant.id, category, key }, 'option deleted');
      return reply.status(204).send();
    },
  );
}
