import { describe, expect, it } from 'vitest';
import { StartLine } from '../../packages/hub/src/servers/start-line.ts';

// The line of server starts on its own: capacity, order, leaving, and how places are told.

const never = () => new AbortController().signal;

describe('StartLine', () => {
  it('admits up to its capacity at once and the rest first come, first served', async () => {
    const line = new StartLine(() => 2);
    const admitted: string[] = [];
    const releases = new Map<string, () => void>();
    const enter = (name: string) =>
      line.enter('someone', never(), () => undefined).then((release) => {
        admitted.push(name);
        releases.set(name, release);
      });
    const entered = ['a', 'b', 'c', 'd', 'e'].map(enter);
    await Promise.all(entered.slice(0, 2));
    expect(admitted).toEqual(['a', 'b']);
    expect({ running: line.running, waiting: line.waiting }).toEqual({ running: 2, waiting: 3 });
    releases.get('b')?.();
    releases.get('b')?.(); // a second release is ignored: it must not free a slot twice
    await entered[2];
    expect(admitted).toEqual(['a', 'b', 'c']);
    expect({ running: line.running, waiting: line.waiting }).toEqual({ running: 2, waiting: 2 });
    releases.get('a')?.();
    releases.get('c')?.();
    await Promise.all(entered);
    expect(admitted).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('lets a waiting start leave when its signal aborts, rejecting with the reason, and the others move up', async () => {
    const line = new StartLine(() => 1);
    const first = await line.enter('someone', never(), () => undefined);
    const leaving = new AbortController();
    const places: number[] = [];
    const left = line.enter('someone', leaving.signal, () => undefined);
    const behind = line.enter('someone', never(), (ahead) => places.push(ahead));
    expect(places).toEqual([1]);
    const reason = new Error('cancelled');
    leaving.abort(reason);
    await expect(left).rejects.toBe(reason);
    expect(places).toEqual([1, 0]);
    expect(line.waiting).toBe(1);
    first();
    await behind;
    expect(line.waiting).toBe(0);
  });

  it('counts the starts each owner has waiting', async () => {
    const line = new StartLine(() => 1);
    const release = await line.enter('ann', never(), () => undefined);
    const [annFirst, bob, annSecond] = [line.enter('ann', never(), () => undefined), line.enter('bob', never(), () => undefined), line.enter('ann', never(), () => undefined)];
    expect([line.waitingOf('ann'), line.waitingOf('bob'), line.waitingOf('cat')]).toEqual([2, 1, 0]);
    release();
    (await annFirst)();
    expect([line.waitingOf('ann'), line.waitingOf('bob')]).toEqual([1, 0]);
    (await bob)();
    (await annSecond)();
  });

  it('rejects at once a start whose signal has already aborted', async () => {
    const line = new StartLine(() => 1);
    const aborted = new AbortController();
    aborted.abort(new Error('too late'));
    await expect(line.enter('someone', aborted.signal, () => undefined)).rejects.toThrow('too late');
    expect({ running: line.running, waiting: line.waiting }).toEqual({ running: 0, waiting: 0 });
  });

  it('tells a changed place at once after a quiet interval, and at most once per interval while the line moves fast', async () => {
    const intervalMs = 1000;
    const line = new StartLine(() => 1, intervalMs);
    let release = await line.enter('someone', never(), () => undefined);
    const places: number[] = [];
    const waiters = Array.from({ length: 4 }, () => line.enter('someone', never(), () => undefined));
    const turn = (index: number) => waiters[index] as Promise<() => void>;
    const last = line.enter('someone', never(), (ahead) => places.push(ahead));
    expect(places).toEqual([4]); // told on joining
    release();
    release = await turn(0);
    expect(places).toEqual([4, 3]); // the first move after a quiet interval: at once
    release();
    release = await turn(1);
    release();
    release = await turn(2);
    expect(places).toEqual([4, 3]); // two more moves within the interval: held back…
    await new Promise((resolve) => setTimeout(resolve, intervalMs + 50)); // the interval under test passing, not a wait for readiness
    expect(places).toEqual([4, 3, 1]); // …and told once, with the place as it is then
    release();
    await turn(3);
  });
});
