export * from './types.ts';
export { canonicalHeaderName, headerValues } from './headers.ts';
export { runLoginPipeline, normaliseUsername, usernameProblem, type UsernamePolicy, type LoginOutcome } from './login-pipeline.ts';
export { secretsEqual } from './secrets.ts';
export { DummyAuthenticator, isLoopbackAddress, type DummyAuthenticatorOptions } from './dummy.ts';
