import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { rawHttp, wsUrl } from '../proxy/helpers.ts';

/**
 * A script's way to a Jupyter kernel through the hub's proxy, authenticated by a hub API token
 * (jupyterhub-singleuser checks it with the hub): start a kernel over REST, then speak the kernel
 * protocol on its proxied channels WebSocket, as a notebook page does.
 */

/**
 * Runs `work` (a kernel start takes seconds, more on a loaded machine) while the "browser" polls the
 * server over HTTP through the proxy every half second, as a notebook page does: the setup itself is
 * activity, so a short timeout does not cull the server before the test's own phase begins.
 */
export async function whileBrowsing<T>(baseUrl: string, username: string, token: string, work: () => Promise<T>): Promise<T> {
  let polling = true;
  const poll = (async () => {
    while (polling) {
      await rawHttp(baseUrl, 'GET', `/user/${username}/api/status`, [['Authorization', `token ${token}`]]).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  try {
    return await work();
  } finally {
    polling = false;
    await poll;
  }
}

/** POST /user/<name>/api/kernels through the proxy; returns the kernel id. */
async function startKernelNow(baseUrl: string, username: string, token: string): Promise<string> {
  const response = await rawHttp(baseUrl, 'POST', `/user/${username}/api/kernels`, [['Authorization', `token ${token}`], ['Content-Type', 'application/json']], '{"name":"python3"}');
  if (response.status !== 201) throw new Error(`starting a kernel: ${response.status} ${response.body}`);
  return response.json<{ id: string }>().id;
}

/** A kernel started and its channels WebSocket opened, while browsing (whileBrowsing). */
export function openKernel(baseUrl: string, username: string, token: string): Promise<KernelChannels> {
  return whileBrowsing(baseUrl, username, token, async () => KernelChannels.open(baseUrl, username, token, await startKernelNow(baseUrl, username, token)));
}

interface KernelMessage {
  header: { msg_type: string };
  parent_header: { msg_id?: string };
  content: Record<string, unknown>;
  channel: string;
}

export class KernelChannels {
  readonly #socket: WebSocket;
  readonly #session = randomUUID();
  readonly #waiting = new Map<string, () => void>();
  /** Messages received from the kernel so far. */
  received = 0;

  private constructor(socket: WebSocket, readonly kernelId: string) {
    this.#socket = socket;
    socket.on('message', (data) => {
      this.received += 1;
      const message = JSON.parse(data.toString()) as KernelMessage;
      if (message.header.msg_type === 'execute_reply' && message.parent_header.msg_id !== undefined) this.#waiting.get(message.parent_header.msg_id)?.();
    });
  }

  /** Opens the kernel's channels WebSocket through the hub. */
  static open(baseUrl: string, username: string, token: string, kernelId: string): Promise<KernelChannels> {
    const socket = new WebSocket(wsUrl(baseUrl, `/user/${username}/api/kernels/${kernelId}/channels`), { headers: { Authorization: `token ${token}` } });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new KernelChannels(socket, kernelId)));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`kernel channels refused: ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  get closed(): Promise<void> {
    return this.#socket.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise((resolve) => this.#socket.once('close', () => resolve()));
  }

  get isOpen(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  /** Sends an execute_request for `code`; resolves with its execute_reply (or at once when `wait` is false). */
  execute(code: string, wait = true): Promise<void> {
    const msgId = randomUUID();
    const reply = new Promise<void>((resolve) => this.#waiting.set(msgId, resolve));
    this.#socket.send(
      JSON.stringify({
        header: { msg_id: msgId, username: 'test', session: this.#session, msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
        parent_header: {},
        metadata: {},
        content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
        channel: 'shell',
        buffers: [],
      }),
    );
    return wait ? reply.finally(() => this.#waiting.delete(msgId)) : Promise.resolve();
  }

  close(): Promise<void> {
    this.#socket.close();
    return this.closed;
  }
}
