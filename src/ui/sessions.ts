import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';

/** Who signed in to the dashboard: the mock administrator sees every tenant, a tenant administrator one. */
export type Viewer = { kind: 'admin' } | { kind: 'tenant'; tenantId: string; userName: string };

export interface UiSession {
  viewer: Viewer;
  /** Sent back in X-CSRF-Token on every state-changing request. */
  csrfToken: string;
  expiresAt: number;
  /** Set when the session is signed out, so open live streams stop too. */
  ended?: boolean;
}

/** A dashboard session lasts a training day unless used again; each request extends it. */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
const MAX_SESSIONS = 1000;

const hash = (id: string) => createHash('sha256').update(id).digest('base64url');
const randomId = () => randomBytes(32).toString('base64url');

/**
 * Dashboard sessions, in memory only: a restart signs everyone out. The map is
 * keyed by a hash of the cookie value, so the value itself is nowhere but in
 * the browser's cookie.
 */
export class UiSessions {
  readonly #clock: Clock;
  readonly #sessions = new Map<string, UiSession>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Starts a session; returns the cookie value and the session. */
  create(viewer: Viewer): { id: string; session: UiSession } {
    this.#prune();
    if (this.#sessions.size >= MAX_SESSIONS) {
      // The oldest session goes first (Map keeps insertion order).
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    const id = randomId();
    const session: UiSession = {
      viewer,
      csrfToken: randomId(),
      expiresAt: this.#clock.now() + SESSION_IDLE_MS,
    };
    this.#sessions.set(hash(id), session);
    return { id, session };
  }

  /** The live session of a cookie value, extended by this use; undefined when unknown or expired. */
  get(id: string | undefined): UiSession | undefined {
    if (!id) return undefined;
    const key = hash(id);
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    const now = this.#clock.now();
    if (now >= session.expiresAt) {
      this.#sessions.delete(key);
      return undefined;
    }
    session.expiresAt = now + SESSION_IDLE_MS;
    return session;
  }

  /** Whether a session has passed its idle timeout (on the sessions' own clock). */
  expired(session: UiSession): boolean {
    return this.#clock.now() >= session.expiresAt;
  }

  end(id: string | undefined): void {
    if (!id) return;
    const key = hash(id);
    const session = this.#sessions.get(key);
    if (session) session.ended = true;
    this.#sessions.delete(key);
  }

  /** Whether a request's X-CSRF-Token is this session's, compared in constant time. */
  static csrfMatches(session: UiSession, given: string | undefined): boolean {
    if (!given) return false;
    const a = Buffer.from(hash(given));
    const b = Buffer.from(hash(session.csrfToken));
    return timingSafeEqual(a, b);
  }

  #prune(): void {
    const now = this.#clock.now();
    for (const [key, session] of this.#sessions) if (now >= session.expiresAt) this.#sessions.delete(key);
  }
}
