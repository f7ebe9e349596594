export * from './types.ts';
export { canonicalHeaderName, headerValues } from './headers.ts';
export { runLoginPipeline, normaliseUsername, usernameProblem, type UsernamePolicy, type LoginOutcome } from './login-pipeline.ts';
export { secretsEqual } from './secrets.ts';
export { DummyAuthenticator, type DummyAuthenticatorOptions } from './dummy.ts';
export { isLoopbackAddress } from '@gatehouse/plugin-types';
export { RemoteUserAuthenticator, type RemoteUserAuthenticatorOptions } from './remote-user.ts';
export { RemoteUserLocalAuthenticator, type RemoteUserLocalAuthenticatorOptions } from './remote-user-local.ts';
export {
  DataRemoteUserAuthenticator,
  dataUsernameFor,
  realNameFromDataUsername,
  type DataRemoteUserAuthenticatorOptions,
} from './data-remote-user.ts';
export { LocalAuthenticator, type LocalAuthenticatorOptions, type SignupMode } from './local.ts';
export { HeaderAuthenticator } from './header-authenticator.ts';
export { groupNameProblem, groupsFromHeader, GROUP_NAME_MAX_LENGTH } from './groups.ts';
export {
  identityFromHeader,
  headerLoginOptions,
  headerText,
  DEFAULT_IDENTITY_HEADER,
  type HeaderIdentity,
  type HeaderLoginOptions,
  type ResolvedHeaderLogin,
} from './header-identity.ts';
export { HeaderUserData, DEFAULT_MAX_VALUE_BYTES } from './user-data.ts';
export { encodeBase32, decodeBase32 } from './base32.ts';
export { hashPassword, verifyPassword, ARGON2_PARAMETERS } from './password-hashing.ts';
export { passwordProblem, DEFAULT_MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH } from './password-policy.ts';
export { COMMON_PASSWORDS } from './common-passwords.ts';
export { DEFAULT_THROTTLE, LoginThrottle, throttledFailure, throttleKeys, throttleOption, type ThrottleKeys, type ThrottleSettings } from './throttle.ts';
