import { createServer } from 'node:net';
import { randomInt } from 'node:crypto';
import type { PortRegistry } from './types.ts';

/** Local servers listen on loopback only; the hub's proxy is the way in. */
export const LOOPBACK = '127.0.0.1';

/**
 * Every port of `[min, max]` once, in random order (a lazy Fisher–Yates shuffle: memory grows with
 * the ports drawn, not with the size of the range). Random order keeps concurrent starts apart.
 */
export function* randomPortOrder(range: readonly [number, number]): Generator<number> {
  const [min, max] = range;
  const size = max - min + 1;
  const swapped = new Map<number, number>(); // index -> value moved there by an earlier draw
  for (let drawn = 0; drawn < size; drawn++) {
    const pick = drawn + randomInt(size - drawn);
    const value = swapped.get(pick) ?? pick;
    swapped.set(pick, swapped.get(drawn) ?? drawn);
    swapped.delete(drawn);
    yield min + value;
  }
}

/**
 * Whether nobody listens on 127.0.0.1:`port` right now. Only a pre-check: another process can take
 * the port before the server binds it; the spawner detects that from the server's output and retries.
 */
export function portLooksFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Claims a port of 127.0.0.1 for `owner` in the hub's registry (its UNIQUE (host, port) constraint is
 * what keeps two spawns apart), skipping `avoid` and ports some other process already listens on.
 * Undefined when none is left.
 */
export async function claimPort(
  range: readonly [number, number],
  registry: PortRegistry,
  owner: string,
  avoid: ReadonlySet<number>,
): Promise<number | undefined> {
  for (const port of randomPortOrder(range)) {
    if (avoid.has(port) || !registry.claim(LOOPBACK, port, owner)) continue;
    if (await portLooksFree(port)) return port;
    registry.release(LOOPBACK, port);
  }
  return undefined;
}
