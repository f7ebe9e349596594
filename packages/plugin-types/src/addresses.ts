const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * Whether `address` (an IP or `localhost`) is this machine's loopback. The hub says so at start;
 * the dummy authenticator refuses to run on a hub listening anywhere else.
 */
export function isLoopbackAddress(address: string): boolean {
  return LOOPBACK.test(address);
}
