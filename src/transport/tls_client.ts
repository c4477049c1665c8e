/**
 * The one place that builds this node's client side of TLS: the `fetch` (forwarding to the leader,
 * `--join`) and the WebSocket constructor (peer links, which also carry snapshots) that trust the
 * CA bundle of `--tls-ca-file` in addition to the runtime's own roots. Verification stays on:
 * certificates are checked against the trusted roots and the URL's host name or IP address.
 *
 * Per runtime (each checked on the runtime itself):
 * - Bun: `fetch(url, { tls: { ca } })` and `new WebSocket(url, { headers, tls: { ca } })`.
 * - Deno: `fetch(url, { client: Deno.createHttpClient({ caCerts: [pem] }) })` (caCerts add to the
 *   default roots), and the `ws` package's `new WebSocket(url, { headers, ca })`.
 * Bun's `tls.ca` and the `ws` package's `ca` replace the default roots, so both get those roots
 * (`node:tls` `rootCertificates`) followed by the bundle: every runtime then trusts the same set.
 *
 * `fetch` never reuses a connection (Bun: `keepalive: false`; Deno: a client with no idle pool).
 * Both runtimes resend a PUT or DELETE on a new connection when a reused one is reset, even after
 * the request was delivered: a forwarded write (a cas, a put) would then be applied twice and its
 * caller answered with the second outcome. On a fresh connection the reset surfaces as an error,
 * which forwarding answers as `leader_unreachable` with `definite: false`. `pooledFetch` keeps
 * connections alive, for requests whose resend is harmless: reads, and key-value writes that carry
 * an idempotency key (the leader answers a resend with the first write's result).
 */
import { rootCertificates } from "node:tls";
import WebSocketPackage from "ws";
import { defaultWebSocketImpl, type WebSocketImpl } from "./websocket_client.ts";

/** A `fetch` for this node's own requests to other nodes. */
export type ClientFetch = (url: string, init: RequestInit) => Promise<Response>;

/** The clients a node dials other nodes with. */
export interface OutboundClients {
  /** For forwarding to the leader and for `--join`: a new connection per request. */
  readonly fetch: ClientFetch;
  /** For forwarded requests a resend cannot harm (reads, writes with an idempotency key): pooled connections. */
  readonly pooledFetch: ClientFetch;
  /** For peer links. */
  readonly WebSocket: WebSocketImpl;
}

/**
 * The clients that trust `caPem` (a PEM bundle) besides the runtime's roots; without it, the
 * global `fetch` and {@link defaultWebSocketImpl}, exactly as a node without TLS settings uses.
 */
export function outboundClients(caPem?: string): OutboundClients {
  if (caPem === undefined) {
    return {
      fetch: freshConnectionFetch(),
      pooledFetch: (url, init) => fetch(url, init),
      WebSocket: defaultWebSocketImpl(),
    };
  }
  const ca = [...rootCertificates, caPem];
  if (typeof Bun !== "undefined") {
    // Bun's constructor takes options (headers, tls) where the DOM type has protocols.
    const Base = globalThis.WebSocket as unknown as new (url: string, options: object) => WebSocket;
    class TrustingWebSocket extends Base {
      constructor(url: string, options: { headers: Record<string, string> }) {
        super(url, { ...options, tls: { ca } });
      }
    }
    return {
      fetch: (url, init) => fetch(url, { ...init, keepalive: false, tls: { ca } }),
      pooledFetch: (url, init) => fetch(url, { ...init, tls: { ca } }),
      WebSocket: TrustingWebSocket as unknown as WebSocketImpl,
    };
  }
  if (typeof Deno !== "undefined") {
    const client = Deno.createHttpClient({ caCerts: [caPem], poolMaxIdlePerHost: 0 });
    const pooled = Deno.createHttpClient({ caCerts: [caPem] });
    class TrustingWebSocket extends WebSocketPackage {
      constructor(url: string, options: { headers: Record<string, string> }) {
        super(url, { ...options, ca });
      }
    }
    return {
      fetch: (url, init) => fetch(url, { ...init, client } as RequestInit),
      pooledFetch: (url, init) => fetch(url, { ...init, client: pooled } as RequestInit),
      WebSocket: TrustingWebSocket as unknown as WebSocketImpl,
    };
  }
  throw new Error("--tls-ca-file needs Bun or Deno: their fetch takes a CA bundle, the standard fetch does not");
}

/** A `fetch` that opens a new connection per request (see the module comment for why). */
function freshConnectionFetch(): ClientFetch {
  if (typeof Bun !== "undefined") return (url, init) => fetch(url, { ...init, keepalive: false });
  if (typeof Deno !== "undefined") {
    const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
    return (url, init) => fetch(url, { ...init, client } as RequestInit);
  }
  return (url, init) => fetch(url, init); // Neither runtime (unit tests under another runner): the platform's fetch.
}
