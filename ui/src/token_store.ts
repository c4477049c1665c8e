/**
 * The API token the user typed in, kept in the tab's sessionStorage (gone when the tab closes,
 * never sent anywhere but as the bearer token of this node's API).
 */

/** The sessionStorage key. */
export const TOKEN_KEY = "raftbare-ts.dashboard.token";

/** The subset of `Storage` used here (sessionStorage in the page, a map in tests). */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Reads and writes the token; storage failures (private modes, quotas) leave the token in memory only. */
export class TokenStore {
  readonly #storage: TokenStorage | null;
  #token: string | null;

  /** A store over `storage` (null: keep the token in memory only). */
  constructor(storage: TokenStorage | null) {
    this.#storage = storage;
    this.#token = read(storage);
  }

  /** The token, or null when none was given. */
  get token(): string | null {
    return this.#token;
  }

  /** Remembers `token` (trimmed; an empty one forgets it). */
  set(token: string): void {
    const trimmed = token.trim();
    if (trimmed === "") {
      this.clear();
      return;
    }
    this.#token = trimmed;
    try {
      this.#storage?.setItem(TOKEN_KEY, trimmed);
    } catch {
      // Storage refused (quota, privacy mode): the token lives until the page is reloaded.
    }
  }

  /** Forgets the token. */
  clear(): void {
    this.#token = null;
    try {
      this.#storage?.removeItem(TOKEN_KEY);
    } catch {
      // Nothing stored, or storage unavailable: nothing to forget there.
    }
  }
}

function read(storage: TokenStorage | null): string | null {
  try {
    const value = storage?.getItem(TOKEN_KEY) ?? null;
    return value === null || value.trim() === "" ? null : value;
  } catch {
    return null; // Storage unavailable: start without a token.
  }
}

/** The page's sessionStorage, or null where it cannot be used. */
export function sessionTokenStorage(): TokenStorage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // Access to sessionStorage throws when storage is disabled.
  }
}
