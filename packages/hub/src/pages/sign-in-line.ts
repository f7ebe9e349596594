/**
 * The people signing in right now, in the order they pressed Sign in, so that a person whose password
 * check waits (argon2 runs a few at a time, first come first served) can be told how many are ahead.
 *
 * The login form's script sends a random `ticket` with the form and asks GET /hub/login/place for it
 * while the POST is answered; a form without a valid ticket (no script) still takes its place in line.
 * A ticket tells nothing but a count: it is not a credential, and a ticket already in line is not
 * taken a second time (the later POST waits without one).
 */

/** 16–64 URL-safe characters, as the login page's script makes them (24 random bytes, base64url). */
const TICKET = /^[A-Za-z0-9_-]{16,64}$/;

export function isSignInTicket(value: unknown): value is string {
  return typeof value === 'string' && TICKET.test(value);
}

export class SignInLine {
  /** Insertion order is arrival order; anonymous places get a key of their own. */
  readonly #inLine = new Map<string | symbol, true>();

  /** Joins the line; call the returned function once the sign-in has been answered, either way. */
  enter(ticket: unknown): () => void {
    const key = isSignInTicket(ticket) && !this.#inLine.has(ticket) ? ticket : Symbol('sign-in');
    this.#inLine.set(key, true);
    return () => this.#inLine.delete(key);
  }

  /** Sign-ins ahead of `ticket` that are still being answered; undefined when it is not in line. */
  ahead(ticket: string): number | undefined {
    let ahead = 0;
    for (const key of this.#inLine.keys()) {
      if (key === ticket) return ahead;
      ahead += 1;
    }
    return undefined;
  }

  get size(): number {
    return this.#inLine.size;
  }
}
