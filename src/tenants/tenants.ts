import { UNAUTHORIZED, Unauthorized } from '../errors.js';
import type { Store, TenantRecord } from '../store/store.js';
import { PasswordVerifier } from './passwords.js';

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
