import type { GatehouseConfig } from '../config/schema.ts';

/**
 * What `gatehouse start` tells the person who started it, in words: where the hub is, how people
 * sign in, what their servers are, and what Ctrl-C will do. A sign-in URL is printed only for
 * authenticators with a login form: behind a front proxy the hub's own address signs nobody in.
 */

export interface BannerFacts {
  readonly url: string;
  readonly configFile: string;
  readonly dataDir: string;
  readonly config: GatehouseConfig;
}

export function startBanner({ url, configFile, dataDir, config }: BannerFacts): string[] {
  const { authenticator, spawner } = config;
  const lines = [
    `Gatehouse is running at ${url}`,
    `  Sign-in:      ${authenticator.description ?? authenticator.kind}`,
    `  User servers: ${spawner.description ?? spawner.kind}`,
    ...(spawner.isolation === undefined
      ? []
      : [`  Isolation:    ${spawner.isolation.level === 'shared-account' ? 'WARNING: users are not kept apart. ' : ''}${spawner.isolation.summary}`]),
    `  Data:         ${dataDir}`,
    `  Config:       ${configFile}`,
  ];
  if (authenticator.loginStyle === 'form') lines.push(`Sign in at ${url}hub/login`);
  else lines.push('People sign in through the front proxy (see docs/front-proxy.md); this address alone signs nobody in.');
  lines.push(
    config.stopServersOnShutdown
      ? 'Press Ctrl-C to stop the hub and every user server.'
      : 'Press Ctrl-C to stop the hub; user servers keep running and the next start re-attaches to them.',
  );
  return lines;
}

/** Said once the hub has closed after Ctrl-C / SIGTERM. */
export function stoppedMessage(config: GatehouseConfig, stillRunning: number): string {
  if (config.stopServersOnShutdown || stillRunning === 0) return 'Gatehouse stopped.';
  const servers = stillRunning === 1 ? '1 user server keeps' : `${stillRunning} user servers keep`;
  return `Gatehouse stopped; ${servers} running (the next start re-attaches to them).`;
}
