// Where a probed manifest URL may point. The probe and the confirmation fetch these URLs from inside the
// control plane, so a registry entry naming an instance metadata endpoint would make flatline fetch its
// own credentials (server-side request forgery); one naming loopback would probe the Lambda itself.
import { BlockList } from 'node:net';

/**
 * Link-local addresses, never allowed: IPv4 169.254.0.0/16 (RFC 3927), where the EC2 instance metadata
 * service (169.254.169.254) and the ECS task metadata/credentials endpoint (169.254.170.2) live; IPv6
 * fe80::/10 (RFC 4291); and fd00:ec2::254, the instance metadata service over IPv6
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html).
 */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6');

/** Loopback (127.0.0.0/8 and ::1, RFC 1122 / RFC 4291) and 0.0.0.0/8, which connects to the local host too. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addSubnet('0.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** "localhost" and any name under it resolve to loopback (RFC 6761 §6.3). */
const isLocalhostName = (host: string): boolean => host === 'localhost' || host.endsWith('.localhost');

/**
 * The address family of a WHATWG URL hostname: the parser writes every IPv4 form as a dotted quad and an
 * IPv6 address in brackets, so the shape says it (net.isIP would too, but its first call costs ~60 ms of
 * cold start).
 */
function family(hostname: string): 'ipv4' | 'ipv6' | null {
  if (hostname.startsWith('[')) return 'ipv6';
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) ? 'ipv4' : null;
}

/**
 * Why a manifest URL is not acceptable, or null. Hosts are compared after WHATWG URL parsing, which
 * normalizes the other spellings of an address (2852039166, 0xa9.254.169.254, [::ffff:a9fe:a9fe]).
 * A local registry (the sandbox's world) may use http and loopback; link-local is refused everywhere.
 * A DNS name is not resolved here: that would make validation depend on the resolver at load time.
 */
export function manifestUrlProblem(url: string, opts: { local: boolean }): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  const type = family(parsed.hostname);
  const host = parsed.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (type && LINK_LOCAL.check(host, type)) return `points at a link-local or instance metadata address (${host})`;
  if (opts.local) return null;
  if (parsed.protocol !== 'https:') return `must be https (got ${parsed.protocol.replace(/:$/, '')}; http is only for a registry with local: true)`;
  if (isLocalhostName(host) || (type && LOOPBACK.check(host, type))) {
    return `points at a loopback address (${host}); only a registry with local: true may`;
  }
  return null;
}
