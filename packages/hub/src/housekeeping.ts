import { reportBackgroundWriteFailure } from './db/write-gate.ts';
import type { HubServices } from './services.ts';

/** Throttle records older than this can no longer matter (well past any window plus lockout). */
const THROTTLE_RETENTION_MS = 24 * 60 * 60 * 1000;
const INTERVAL_MS = 10 * 60 * 1000;

/** Deletes expired sessions, tokens, OAuth codes and old throttle records: at start, then every 10 minutes (a sweep the database refused is simply done next time). */
export function startHousekeeping(services: HubServices, now: () => number): () => void {
  const sweep = () => {
    try {
      services.sessions.prune();
      services.pendingLogins.prune();
      services.tokens.pruneExpired();
      services.oauth.pruneExpiredCodes();
      services.throttle.prune(new Date(now() - THROTTLE_RETENTION_MS));
    } catch (error) {
      reportBackgroundWriteFailure(services.logger, 'housekeeping', error);
    }
  };
  sweep();
  const timer = setInterval(sweep, INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
