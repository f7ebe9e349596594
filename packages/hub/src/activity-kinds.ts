/**
 * The last activity of each running server, kept by kind in memory, so the culler can say why a
 * server counts as active (the README states the rule):
 *
 *   http       a request a person (browser or script) sent through the proxy
 *   websocket  a data message (text or binary frame) the browser sent over a proxied WebSocket;
 *              the handshake, and ping/pong/close frames, are not activity
 *   report     the server's own report (POST /hub/api/users/:name/activity; jupyterhub-singleuser
 *              sends its kernels' and terminals' activity)
 *
 * Noting is a Map lookup and two stores: the proxy calls it per request and per browser message.
 * What reaches the database is ActivityRecorder's batch (one last_activity for all kinds).
 */
export type ActivityKind = 'http' | 'websocket' | 'report';

export const ACTIVITY_KINDS: readonly ActivityKind[] = ['http', 'websocket', 'report'];

/** Epoch ms of the last activity of each kind (0: none since the hub started), and browser messages counted. */
export interface ServerActivity {
  http: number;
  websocket: number;
  report: number;
  websocketMessages: number;
}

/** A server's key: `alice/` for alice's default server, `alice/gpu` for her server named gpu (as in `!server=` filters). */
export function serverKey(username: string, serverName = ''): string {
  return `${username}/${serverName}`;
}

export class ActivityKinds {
  readonly #byServer = new Map<string, ServerActivity>();

  note(server: string, kind: ActivityKind, at: number, messages = 0): void {
    let entry = this.#byServer.get(server);
    if (entry === undefined) {
      entry = { http: 0, websocket: 0, report: 0, websocketMessages: 0 };
      this.#byServer.set(server, entry);
    }
    if (at > entry[kind]) entry[kind] = at;
    entry.websocketMessages += messages;
  }

  of(server: string): Readonly<ServerActivity> | undefined {
    return this.#byServer.get(server);
  }

  /** The server stopped: its activity no longer matters (a new start begins from its start time). */
  forget(server: string): void {
    this.#byServer.delete(server);
  }
}
