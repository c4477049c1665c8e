/**
 * Leader tracking over the configured endpoints: the client sends to the leader it learned (from a
 * redirect, an error's hint, or a call the leader served) and otherwise to the endpoint at its
 * cursor; an attempt that fails without naming a leader moves the cursor to the next endpoint.
 */

/** What the client knows about the leader: its member id and URL, either of which may be unknown. */
export interface KnownLeader {
  readonly id: string | null;
  readonly url: string | null;
}

/** The configured endpoints and where the next attempt goes. */
export class Endpoints {
  readonly #urls: readonly string[];
  /** Invariant: 0 <= #cursor < #urls.length. */
  #cursor = 0;
  /** Where the next attempt goes before the cursor: the leader, or a node that forwarded to it. */
  #preferred: string | null = null;
  #leader: KnownLeader | null = null;
  #redirectsOpaque = false;

  /** Endpoints over `urls` (normalized base URLs, at least one). */
  constructor(urls: readonly string[]) {
    if (urls.length === 0) throw new RangeError("Endpoints needs at least one URL");
    this.#urls = [...urls];
  }

  /** The configured endpoints, in order. */
  get urls(): readonly string[] {
    return this.#urls;
  }

  /** The leader as last learned, or null. */
  get leader(): KnownLeader | null {
    return this.#leader;
  }

  /** The leader's member id as last learned, or null. */
  get leaderId(): string | null {
    return this.#leader?.id ?? null;
  }

  /** True once the runtime answered a manual redirect opaquely (browsers): followers must forward instead. */
  get redirectsOpaque(): boolean {
    return this.#redirectsOpaque;
  }

  /** The base URL of the next attempt. */
  target(): string {
    const url = this.#preferred ?? this.#urls[this.#cursor];
    if (url === undefined) throw new Error(`Endpoints cursor ${this.#cursor} is out of range`);
    return url;
  }

  /** The leader is `id` (maybe unknown) at `url`: a redirect or an error said so, or it served a call itself. */
  leaderAt(url: string, id: string | null): void {
    this.#preferred = url;
    this.#leader = { id: id ?? (this.#leader?.url === url ? this.#leader.id : null), url };
  }

  /** The node at `url` served a call that needs the leader by forwarding it to the leader `id`. */
  forwardedBy(url: string, id: string | null): void {
    this.#preferred = url;
    const sameLeader = id !== null && this.#leader?.id === id;
    this.#leader = id === null ? null : { id, url: sameLeader ? (this.#leader?.url ?? null) : null };
  }

  /** An attempt at `url` failed without naming another leader: the next one goes elsewhere. */
  failedAt(url: string): void {
    if (this.#preferred === url) this.#preferred = null;
    if (this.#leader?.url === url) this.#leader = null;
    if (this.#urls[this.#cursor] === url) this.#cursor = (this.#cursor + 1) % this.#urls.length;
  }

  /** The runtime hides redirects (a browser's opaque redirect): ask followers to forward from now on. */
  markRedirectsOpaque(): void {
    this.#redirectsOpaque = true;
  }
}
