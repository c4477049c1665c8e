/**
 * Dialing a peer through another address (`--peer-via n2=http://127.0.0.1:9123`): a NAT, a proxy,
 * or a relay a fault run controls. A member's URL stays what the configuration stores and what
 * clients are redirected to; only the connections this node opens to that peer use the via address:
 * its peer link (Raft messages and snapshot chunks) and the requests it forwards to it as leader.
 */

/** Peer id → the http(s) URL this node dials instead of the peer's member URL. */
export type PeerVia = ReadonlyMap<string, string>;

/** No peer is dialed through another address. */
export const NO_PEER_VIA: PeerVia = new Map();

/** The URL this node dials to reach `id`, whose member URL is `url`: the via address if one is set. */
export function dialUrlOf(via: PeerVia, id: string, url: string): string {
  return via.get(id) ?? url;
}

/** A {@link PeerVia} from `--peer-via`'s parsed entries (ids are unique; the schema checks it). */
export function peerViaOf(entries: ReadonlyArray<{ readonly id: string; readonly url: string }> | undefined): PeerVia {
  if (entries === undefined || entries.length === 0) return NO_PEER_VIA;
  const via = new Map<string, string>();
  for (const { id, url } of entries) {
    if (via.has(id)) throw new Error(`--peer-via names ${id} twice`);
    via.set(id, url);
  }
  return via;
}
