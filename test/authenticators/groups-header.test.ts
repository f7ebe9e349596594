import { describe, expect, it } from 'vitest';
import {
  DataRemoteUserAuthenticator,
  RemoteUserAuthenticator,
  RemoteUserLocalAuthenticator,
  runLoginPipeline,
  type Authenticator,
} from '@gatehouse/authenticators';
import { DEFAULT_POLICY, expectOptionsError, proxiedRequest, useStoreFixtures } from './helpers.ts';

/** `groupsHeader` on every header strategy: believed like the identity header, never more. */

const SUBJECTS: ReadonlyArray<[string, () => Authenticator]> = [
  ['RemoteUserAuthenticator', () => new RemoteUserAuthenticator({ groupsHeader: 'Remote-Groups' })],
  ['RemoteUserLocalAuthenticator', () => new RemoteUserLocalAuthenticator({ createUnknownUsers: true, groupsHeader: 'Remote-Groups' })],
  ['DataRemoteUserAuthenticator', () => new DataRemoteUserAuthenticator({ dataHeaders: ['X-Team'], groupsHeader: 'Remote-Groups' })],
];

describe.each(SUBJECTS)('%s with groupsHeader', (_name, make) => {
  const openStores = useStoreFixtures();
  const ready = async () => {
    const authenticator = make();
    await authenticator.init(openStores().host);
    return authenticator;
  };
  const login = async (rawHeaders: string[], policy = DEFAULT_POLICY) => runLoginPipeline(await ready(), proxiedRequest(rawHeaders), policy);

  it('reports the groups, trimmed, sorted, without repeats; none when the header is absent or empty', async () => {
    const outcome = await login(['Remote-User', 'alice', 'Remote-Groups', ' lab, staff ,lab,, ']);
    expect(outcome.ok && outcome.groups).toEqual(['lab', 'staff']);
    for (const rawHeaders of [['Remote-User', 'alice'], ['Remote-User', 'alice', 'Remote-Groups', '']]) {
      const none = await login(rawHeaders);
      expect(none.ok && none.groups).toEqual([]);
    }
  });

  it('refuses a repeated groups header or a second spelling, as for Remote-User', async () => {
    for (const extra of [['Remote-Groups', 'lab', 'Remote-Groups', 'staff'], ['Remote-Groups', 'lab', 'Remote_Groups', 'staff']]) {
      const outcome = await login(['Remote-User', 'alice', ...extra]);
      expect(!outcome.ok && outcome.reason).toBe('ambiguous-header');
    }
  });

  it('leaves out names that break the group-name rule', async () => {
    const outcome = await login(['Remote-User', 'alice', 'Remote-Groups', 'lab,bad!name,a/b']);
    expect(outcome.ok && outcome.groups).toEqual(['lab']);
  });

  it('lists the groups header among the headers the hub strips', async () => {
    expect((await ready()).trustedHeaders).toContain('Remote-Groups');
  });

  it('decides allowedGroups and adminGroups by the reported groups', async () => {
    const policy = { ...DEFAULT_POLICY, allowedGroups: new Set(['lab']), adminGroups: new Set(['staff']) };
    const member = await login(['Remote-User', 'alice', 'Remote-Groups', 'lab'], policy);
    expect(member.ok && member.admin).toBe(false);
    const admin = await login(['Remote-User', 'alice', 'Remote-Groups', 'staff'], policy);
    expect(admin.ok && admin.admin).toBe(true);
    const outsider = await login(['Remote-User', 'alice', 'Remote-Groups', 'other'], policy);
    expect(!outsider.ok && outsider.message).toContain('not in a group allowed');
  });
});

it('refuses a groupsHeader equal to the identity header', () => {
  expectOptionsError(() => new RemoteUserAuthenticator({ groupsHeader: 'remote_user' }), 'authenticator.groupsHeader');
});
