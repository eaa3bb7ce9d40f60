// Who may talk to the API at all, checked before any route runs.
//
// DNS rebinding: a web page on evil.example can make its own name resolve to 127.0.0.1,
// and the victim's browser then sends that page's requests to a server on loopback with
// `Host: evil.example`. Checking Host against the names this server is really reached by
// (loopback names, plus names the operator configures) stops it from reading /state,
// /wal or /events, and from signing with the demo's public keys. A browser always sends
// `Origin` on a cross-origin POST; a POST whose Origin is not one of ours is refused too.

/** Names a loopback server answers to without configuration. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export interface HostAllowList {
  /** Extra host names (no port) the server may be reached by, lower case. */
  names: ReadonlySet<string>;
  /** True when the server listens on loopback only; then nothing else is accepted. */
  loopback_only: boolean;
}

/** The allow-list for a server bound to `listen_host`, plus configured names. */
export function hostAllowList(listen_host: string, extra: readonly string[] = []): HostAllowList {
  const names = new Set(extra.map((n) => n.trim().toLowerCase()).filter((n) => n !== ''));
  return { names, loopback_only: isLoopbackHost(listen_host) };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host part (no port) of a Host header value, lower case; null when unparseable. */
export function hostName(header: string): string | null {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? null : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  const name = colon < 0 ? h : h.slice(0, colon);
  return name === '' ? null : name;
}

/**
 * Null when a request with this Host header may be served, else the reason. A server that
 * listens beyond loopback and has no configured names accepts any Host (rebinding targets
 * loopback services; name the public names with --allow-host to check them too).
 */
export function checkHost(header: string | undefined, list: HostAllowList): string | null {
  if (!list.loopback_only && list.names.size === 0) return null;
  const name = header === undefined ? null : hostName(header);
  if (name === null) return 'the request has no usable Host header';
  if (isLoopbackHost(name) || list.names.has(name)) return null;
  return `Host "${name.slice(0, 100)}" is not a name of this server (allowed: loopback names${list.names.size > 0 ? `, ${[...list.names].join(', ')}` : ''})`;
}

/** Null when a POST with this Origin header may be served (absent: not a browser), else the reason. */
export function checkOrigin(origin: string | undefined, list: HostAllowList): string | null {
  if (origin === undefined) return null;
  let host: string;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `Origin ${origin.slice(0, 100)} may not post here`;
    host = url.hostname.toLowerCase();
  } catch {
    return `Origin ${origin.slice(0, 100)} is not a URL`;
  }
  if (isLoopbackHost(host) || list.names.has(host)) return null;
  if (!list.loopback_only && list.names.size === 0) return null;
  return `Origin ${origin.slice(0, 100)} may not post here (cross-site request)`;
}

/** A bound on work in progress: take() a slot or be told no; give() it back exactly once. */
export class Slots {
  private used = 0;

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  take(): boolean {
    if (this.used >= this.max) return false;
    this.used += 1;
    return true;
  }

  give(): void {
    if (this.used <= 0) throw new Error('Slots.give without take');
    this.used -= 1;
  }
}
