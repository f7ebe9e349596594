import { LocalProcessSpawner, type ServerHandle } from '@gatehouse/spawner';
import { crashFakeServer, describeSpawnerContract, FakeSpawner } from '@gatehouse/spawner/testing';
import { testPortRange } from './helpers.ts';

/** The Spawner contract suite, run the way a third-party spawner's tests would run it. */

const PORTS = testPortRange(8);

/** A crash of the server's whole process group, behind the spawner's back. */
function killGroup(handle: ServerHandle): void {
  process.kill(-(handle.state['pgid'] as number), 'SIGKILL');
}

describeSpawnerContract('LocalProcessSpawner (the demo app, real processes)', () => new LocalProcessSpawner({ portRange: PORTS, stopGracePeriod: 2 }), {
  crash: killGroup,
  makeFailing: () => new LocalProcessSpawner({ portRange: PORTS, command: [process.execPath, '-e', 'console.error("no notebook directory"); process.exit(3)'] }),
});

describeSpawnerContract('FakeSpawner (in-process servers)', () => new FakeSpawner(), {
  crash: crashFakeServer,
  makeFailing: () => new FakeSpawner({ failWith: 'The fake image is missing' }),
});

describeSpawnerContract('FakeSpawner with a slow start', () => new FakeSpawner({ startDelayMs: 200 }), {
  crash: crashFakeServer,
  makeFailing: () => new FakeSpawner({ startDelayMs: 200, failWith: 'The fake image is missing' }),
});
