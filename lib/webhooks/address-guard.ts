// SSRF guard for outbound webhook requests. A webhook URL is chosen by a client, so without a guard a
// client could make this service call its own network: loopback, private ranges, link-local (cloud
// metadata at 169.254.169.254 and fd00:ec2::254), CGNAT, multicast and reserved ranges are refused.
// The host name is resolved once, every address it resolves to is checked, and the connection goes
// to the checked address (the lookup hook below is what the socket connects with), so a DNS answer
// cannot change between the check and the connect (DNS rebinding).
import { promises as dns, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AppError, codes } from '../errors.ts';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT (also Alibaba's metadata 100.100.100.200)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64: an IPv4 address in disguise
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: an IPv4 address in disguise
  ['fc00::', 7], // unique local (AWS metadata fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part counts as two). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0]!;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (s: string) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  return [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
}

/** An IPv4 address mapped or compatible into IPv6 (::ffff:a.b.c.d, ::ffff:7f00:1, ::a.b.c.d). */
function embeddedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (g.slice(0, 5).some((x) => x !== 0) || (g[5] !== 0xffff && g[5] !== 0)) return null;
  if (g[5] === 0 && g[6] === 0) return null; // :: and ::1 are IPv6's own
  return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
}

/** Why an address must not be called, or null when it is a public unicast address. */
export function forbiddenAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (family === 4)
    return blocked.check(address, 'ipv4') ? 'a loopback, private, link-local or reserved address' : null;
  const v4 = embeddedIpv4(address);
  if (v4) return forbiddenAddressReason(v4);
  return blocked.check(address, 'ipv6') ? 'a loopback, private, link-local or reserved address' : null;
}

export class ForbiddenDestinationError extends AppError {
  constructor(host: string, reason: string) {
    super(codes.WEBHOOK_DESTINATION_FORBIDDEN, `webhook destination ${host} is refused: ${reason}`);
  }
}

/** The name does not exist or has no address: the URL is wrong, not the moment. */
export class UnresolvableHostError extends AppError {
  constructor(host: string) {
    super(codes.WEBHOOK_URL_REFUSED, `the host name ${host} does not resolve to any address`);
  }
}

/**
 * The resolver failed in a way that may pass (timeout, SERVFAIL, no DNS server answering). Our own
 * wording: the resolver's message names system calls, not anything the client can act on.
 */
export class DnsUnavailableError extends AppError {
  constructor(host: string, cause: unknown) {
    super(
      codes.WEBHOOK_DNS_UNAVAILABLE,
      `the host name ${host} could not be resolved just now; try again shortly`,
      {
        cause,
      },
    );
  }
}

/** Resolver codes that say the name has no address (getaddrinfo's and c-ares' spellings). */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA', 'ENONAME']);

/** A lookup that has not answered by then is treated as a resolver failure that may pass. */
export const RESOLVE_TIMEOUT_MS = 5_000;

async function resolveOnce(host: string, resolve: Resolve): Promise<LookupAddress[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(Object.assign(new Error(`no answer within ${RESOLVE_TIMEOUT_MS} ms`), { code: 'ETIMEOUT' }));
    }, RESOLVE_TIMEOUT_MS);
  });
  try {
    const addresses = await Promise.race([resolve(host), timeout]);
    if (addresses.length === 0) throw new UnresolvableHostError(host);
    return addresses;
  } catch (err) {
    if (err instanceof UnresolvableHostError) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && NO_SUCH_NAME.has(code)) throw new UnresolvableHostError(host);
    throw new DnsUnavailableError(host, err);
  } finally {
    clearTimeout(timer);
  }
}

/** The host of a URL as the resolver and the checks want it (no IPv6 brackets). */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

export type Resolve = (host: string) => Promise<LookupAddress[]>;
const systemResolve: Resolve = (host) => dns.lookup(host, { all: true, verbatim: true });

/**
 * Resolves a host once and returns the addresses to connect to; throws ForbiddenDestinationError when
 * any of them is forbidden (a name answering both a public and a private address is refused: the
 * public one may be bait), UnresolvableHostError when the name has no address, DnsUnavailableError
 * when the resolver failed in a way that may pass.
 */
export async function resolveAllowed(
  host: string,
  resolve: Resolve = systemResolve,
): Promise<LookupAddress[]> {
  if (isIP(host)) {
    const reason = forbiddenAddressReason(host);
    if (reason) throw new ForbiddenDestinationError(host, reason);
    return [{ address: host, family: isIP(host) }];
  }
  if (/^localhost$|\.localhost$/i.test(host.replace(/\.$/, ''))) {
    throw new ForbiddenDestinationError(host, 'a loopback name');
  }
  const addresses = await resolveOnce(host, resolve);
  for (const a of addresses) {
    const reason = forbiddenAddressReason(a.address);
    if (reason) throw new ForbiddenDestinationError(host, `it resolves to ${reason}`);
  }
  return addresses;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request/net.connect that answers only with addresses already checked, so the
 * socket connects to exactly what was checked. Node asks with `all: true` when it races IPv4/IPv6.
 */
export function pinnedLookup(addresses: LookupAddress[]) {
  return (_host: string, options: { all?: boolean }, callback: LookupCallback): void => {
    if (options?.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
}
