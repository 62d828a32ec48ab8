import { UNAUTHORIZED, Unauthorized } from '../errors.js';
import type { Store, TenantRecord } from '../store/store.js';
import { PasswordVerifier } from './passwords.js';

export type { TenantRecord };

/**
 * A user's login as the platform writes it: `<tenantId>/<user>`, or `<user>`
 * alone (the tenant is then the one whose domain the request was sent to).
 */
export function splitLogin(login: string): { tenantId: string | undefined; userName: string } {
  const slash = login.indexOf('/');
  return slash >= 0
    ? { tenantId: login.slice(0, slash), userName: login.slice(slash + 1) }
    : { tenantId: undefined, userName: login };
}

/** Tenants and their administrators. */
export class Tenants {
  readonly #store: Store;
  readonly #passwords = new PasswordVerifier();

  constructor(store: Store) {
    this.#store = store;
  }

  list(): TenantRecord[] {
    return this.#store.listTenants();
  }

  get(id: string): TenantRecord | undefined {
    return this.#store.getTenant(id);
  }

  count(): number {
    return this.#store.listTenants().length;
  }

  /** The names of a tenant's administrators. */
  userNames(tenantId: string): string[] {
    return this.#store.listUsers(tenantId).map((user) => user.userName);
  }

  hasUser(tenantId: string, userName: string): boolean {
    return this.#store.getUser(tenantId, userName) !== undefined;
  }

  /** The tenant whose domain is the request's host (port ignored), if any. */
  byHost(host: string | undefined): TenantRecord | undefined {
    if (!host) return undefined;
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
    return this.#store.getTenantByDomain(name);
  }

  /** Checks an administrator's password; a wrong one is the platform's 401. */
  async authenticateUser(
    tenantId: string,
    userName: string,
    password: string,
  ): Promise<{ tenant: TenantRecord; userName: string }> {
    const tenant = this.#store.getTenant(tenantId);
    const user = tenant && this.#store.getUser(tenantId, userName);
    if (!tenant || !user || !(await this.#passwords.verify(password, user.passwordHash))) {
      throw new Unauthorized(UNAUTHORIZED.credentials, {
        reason: !tenant
          ? `unknown tenant '${tenantId}'`
          : !user
            ? `no user '${userName}' in tenant ${tenantId}`
            : `wrong password for ${tenantId}/${userName}`,
      });
    }
    return { tenant, userName };
  }
}
