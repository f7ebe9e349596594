import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { headerValues } from '@gatehouse/authenticators';
import type { FrontProxyConfig } from '../config/front-proxy-schema.ts';
import { assertPrivateFile } from '../data-dir.ts';
import { gatehouseError } from '../errors.ts';
import { createAddressMatcher } from '../config/cidr.ts';

/** Shortest shared secret accepted: guessing must be hopeless. */
const MIN_SECRET_LENGTH = 32;

/**
 * "Is this request from our front proxy?" — the one answer behind believing identity headers
 * (Remote-User, data headers) and X-Forwarded-*. Never an address alone: on one machine any local
 * user can connect from any 127.x address. A request is the front proxy's when
 * - it arrived on the front-proxy unix socket (file permissions decide who can open it), or
 * - it carries the shared secret header (compared in constant time), from one of the configured
 *   addresses when any are listed.
 * With neither configured, nobody is trusted.
 */
export class FrontProxyTrust {
  readonly #socketConnections = new WeakSet<Socket>();
  readonly #secretDigest: Buffer | undefined;
  readonly #secretHeader: string | undefined;
  readonly #fromAllowedAddress: (address: string | undefined) => boolean;

  constructor(secret?: { value: string; header: string; addresses: readonly string[] }) {
    this.#secretDigest = secret === undefined ? undefined : digest(secret.value);
    this.#secretHeader = secret?.header;
    const matcher = secret === undefined || secret.addresses.length === 0 ? undefined : createAddressMatcher(secret.addresses);
    this.#fromAllowedAddress = matcher ?? (() => true);
  }

  /** The hub's trust from its config; reads the secret file (which must be 0600). */
  static fromConfig(config: FrontProxyConfig): FrontProxyTrust {
    const secret = config.secret;
    if (secret === undefined) return new FrontProxyTrust();
    return new FrontProxyTrust({ value: readSecretFile(secret.file), header: secret.header, addresses: secret.addresses });
  }

  /** The header holding the shared secret, if one is configured (the proxy strips it before forwarding). */
  get secretHeader(): string | undefined {
    return this.#secretHeader;
  }

  /** Called by the front-proxy socket listener for each connection it accepts. */
  markSocketConnection(socket: Socket): void {
    this.#socketConnections.add(socket);
  }

  trusts(req: IncomingMessage): boolean {
    if (this.#socketConnections.has(req.socket)) return true;
    if (this.#secretDigest === undefined || this.#secretHeader === undefined) return false;
    const { values, spellings } = headerValues(req.rawHeaders, this.#secretHeader);
    // One copy in one spelling, or nothing: a client could add a second copy beside the proxy's.
    if (values.length !== 1 || spellings !== 1) return false;
    return timingSafeEqual(digest(values[0] as string), this.#secretDigest) && this.#fromAllowedAddress(req.socket.remoteAddress);
  }
}

/** Equal-length digests make the comparison constant-time whatever the presented length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'latin1').digest();
}

function readSecretFile(file: string): string {
  let text: string;
  try {
    assertPrivateFile(file);
    text = readFileSync(file, 'latin1').trim();
  } catch (error) {
    if ((error as { code?: string }).code === 'GATEHOUSE_ERR_SECRET_PERMISSIONS') throw error;
    throw gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', `frontProxy.secret.file: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (text.length < MIN_SECRET_LENGTH || /[\s\u0000-\u001f\u007f]/.test(text)) {
    throw gatehouseError(
      'GATEHOUSE_ERR_CONFIG_INVALID',
      `frontProxy.secret.file: ${file} must hold one secret of at least ${MIN_SECRET_LENGTH} printable characters without spaces ` +
        '(make one with: openssl rand -hex 32)',
    );
  }
  return text;
}
