import { describe, expect, it } from 'vitest';
import { DummyAuthenticator } from '@gatehouse/authenticators';
import { validateConfig } from '@gatehouse/hub';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { activityReportIntervalSeconds, cullLimitsFor, sweepIntervalSeconds } from '../../packages/hub/src/culler/limits.ts';

// The override rule documented in config/hub.config.ts, through the validated config.

const cullOf = (cull: object) => validateConfig({ authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner(), cull }).cull;

describe('per-group and per-profile limits', () => {
  const cull = cullOf({
    timeout: 3600,
    maxAge: 86400,
    groups: { staff: { timeout: 7200 }, students: { timeout: 1800, maxAge: 28800 }, unlimited: { timeout: 0 } },
    profiles: { gpu: { timeout: 900 }, big: { maxAge: 3600 } },
  });

  it('uses the top-level limits for a user in no group with no profile', () => {
    expect(cullLimitsFor(cull, [], undefined)).toEqual({ timeout: 3600, maxAge: 86400 });
  });

  it("gives a user in several groups the longest of their groups' values, 0 (never) above all, key by key", () => {
    expect(cullLimitsFor(cull, ['students'], undefined)).toEqual({ timeout: 1800, maxAge: 28800 });
    expect(cullLimitsFor(cull, ['students', 'staff'], undefined)).toEqual({ timeout: 7200, maxAge: 28800 });
    expect(cullLimitsFor(cull, ['staff', 'unlimited', 'students'], undefined)).toEqual({ timeout: 0, maxAge: 28800 });
    expect(cullLimitsFor(cull, ['nobody-configured-this'], undefined)).toEqual({ timeout: 3600, maxAge: 86400 });
  });

  it("lets a server's profile win over the groups, for the keys it sets", () => {
    expect(cullLimitsFor(cull, ['unlimited'], 'gpu')).toEqual({ timeout: 900, maxAge: 86400 });
    expect(cullLimitsFor(cull, ['students'], 'big')).toEqual({ timeout: 1800, maxAge: 3600 });
  });

  it('sweeps at half the shortest limit anywhere unless `every` is set, and asks busy servers to report a third of the shortest timeout', () => {
    expect(sweepIntervalSeconds(cull)).toBe(300);
    expect(sweepIntervalSeconds(cullOf({ timeout: 4 }))).toBe(2);
    expect(sweepIntervalSeconds(cullOf({ timeout: 4, every: 1 }))).toBe(1);
    expect(activityReportIntervalSeconds(cull)).toBe(300);
    expect(activityReportIntervalSeconds(cullOf({ timeout: 600 }))).toBe(200);
    expect(activityReportIntervalSeconds(cullOf({ maxAge: 600 }))).toBeUndefined();
  });
});
