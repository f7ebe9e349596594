/**
 * `@gatehouse/spawner/testing`: for the tests of a spawner (ours or a third party's) and for hub
 * tests that need no processes. Importing it needs vitest (an optional peer dependency).
 */
export { describeSpawnerContract, type SpawnerContractOptions, type SpawnerFactory } from './contract.ts';
export { FakeSpawner, crashFakeServer, type FakeSpawnerOptions } from './fake-spawner.ts';
export { MemoryPortRegistry, recordedRequest, httpStatus, silentLogger, type RecordedRequest } from './harness.ts';
