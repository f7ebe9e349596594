import { describe, expect, it } from 'vitest';
import { isSignInTicket, SignInLine } from '../../packages/hub/src/pages/sign-in-line.ts';

// Who is signing in, in arrival order, and what a ticket may look like.

const ticket = (letter: string) => letter.repeat(20);

describe('SignInLine', () => {
  it('counts the sign-ins ahead of a ticket in arrival order, anonymous ones included, until each is answered', () => {
    const line = new SignInLine();
    const leaveFirst = line.enter(ticket('a'));
    const leaveAnonymous = line.enter(undefined);
    line.enter(ticket('c'));
    expect(line.ahead(ticket('a'))).toBe(0);
    expect(line.ahead(ticket('c'))).toBe(2);
    leaveFirst();
    expect(line.ahead(ticket('a'))).toBeUndefined();
    expect(line.ahead(ticket('c'))).toBe(1);
    leaveAnonymous();
    expect(line.ahead(ticket('c'))).toBe(0);
  });

  it('takes a ticket already in line only once: a second sign-in with it waits without one', () => {
    const line = new SignInLine();
    const leaveFirst = line.enter(ticket('a'));
    const leaveSecond = line.enter(ticket('a'));
    expect(line.size).toBe(2);
    leaveSecond();
    expect(line.ahead(ticket('a'))).toBe(0); // still the first one's
    leaveFirst();
    expect(line.size).toBe(0);
  });

  it('accepts only 16–64 URL-safe characters as a ticket', () => {
    expect(isSignInTicket('A'.repeat(16))).toBe(true);
    expect(isSignInTicket('a-b_c'.repeat(12))).toBe(true);
    for (const bad of ['A'.repeat(15), 'A'.repeat(65), `${'A'.repeat(20)}=`, `${'A'.repeat(20)} `, undefined, 42, ['A'.repeat(20)]]) {
      expect(isSignInTicket(bad)).toBe(false);
    }
  });
});
