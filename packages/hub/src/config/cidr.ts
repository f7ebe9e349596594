import { BlockList, isIP } from 'node:net';

/** `127.0.0.1/32` → its parts, or undefined when it is not a valid CIDR (a bare address counts as /32 or /128). */
export function parseCidr(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = value.split('/');
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
    return undefined;
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Loopback networks: any local process can connect from any address in them. */
const LOOPBACK_NETWORKS = [
  { address: '127.0.0.0', prefix: 8, family: 'ipv4' },
  { address: '::1', prefix: 128, family: 'ipv6' },
  { address: '::ffff:127.0.0.0', prefix: 104, family: 'ipv6' },
] as const;

/** True when the CIDR shares any address with a loopback network (`127.0.0.2/32`, `0.0.0.0/0`, `::/0`). */
export function cidrIsLoopback(value: string): boolean {
  const cidr = parseCidr(value);
  if (cidr === undefined) return false;
  const given = new BlockList();
  given.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return LOOPBACK_NETWORKS.some((loopback) => {
    if (loopback.family !== cidr.family) return false;
    const network = new BlockList();
    network.addSubnet(loopback.address, loopback.prefix, loopback.family);
    // Two networks overlap exactly when one contains the other's first address.
    return given.check(loopback.address, loopback.family) || network.check(cidr.address, cidr.family);
  });
}

/**
 * Answers "is this peer one of our trusted proxies?" for connection addresses. IPv4-mapped IPv6
 * peers (`::ffff:127.0.0.1`) are checked as the IPv4 address they are.
 */
export function createAddressMatcher(cidrs: readonly string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed === undefined) throw new Error(`invalid CIDR ${cidr}`);
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  if (cidrs.length === 0) return () => false;
  const check = (address: string): boolean => {
    const mapped = address.startsWith('::ffff:') ? address.slice(7) : address;
    const version = isIP(mapped);
    if (version === 0) return false;
    return list.check(mapped, version === 4 ? 'ipv4' : 'ipv6');
  };
  // Asked on every proxied request; a peer's answer never changes, and peers are few.
  let answers = new Map<string, boolean>();
  return (address) => {
    if (address === undefined) return false;
    let trusted = answers.get(address);
    if (trusted === undefined) {
      trusted = check(address);
      if (answers.size >= MAX_REMEMBERED_PEERS) answers = new Map();
      answers.set(address, trusted);
    }
    return trusted;
  };
}

const MAX_REMEMBERED_PEERS = 4096;
