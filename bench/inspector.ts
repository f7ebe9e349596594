/**
 * V8's CPU profiler (what `node --cpu-prof` uses) driven over the inspector protocol of a child
 * started with `--inspect=127.0.0.1:0`, so that the profile covers the measured window only:
 * no start-up, no module loading, no shutdown.
 */
import WebSocket from 'ws';
import type { CpuProfile } from './profile.ts';

/** The inspector's WebSocket URL, from the `Debugger listening on ws://…` line Node prints. */
export function inspectorUrl(output: string): string {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
  if (url === undefined) throw new Error(`no inspector URL in the child's output:\n${output.slice(-1000)}`);
  return url;
}

export class InspectorSession {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 1;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
      if (pending === undefined || message.id === undefined) return; // an event; we ask for none
      this.#pending.delete(message.id);
      if (message.error !== undefined) pending.reject(new Error(`inspector: ${message.error.message}`));
      else pending.resolve(message.result);
    });
    socket.on('close', () => {
      for (const pending of this.#pending.values()) pending.reject(new Error('inspector connection closed'));
      this.#pending.clear();
    });
  }

  static async connect(url: string): Promise<InspectorSession> {
    const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new InspectorSession(socket);
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Starts sampling every `intervalUs` microseconds (Node's --cpu-prof default is 1000). */
  async startProfiling(intervalUs = 1000): Promise<void> {
    await this.call('Profiler.enable');
    await this.call('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.call('Profiler.start');
  }

  async stopProfiling(): Promise<CpuProfile> {
    const { profile } = (await this.call('Profiler.stop')) as { profile: CpuProfile };
    await this.call('Profiler.disable');
    return profile;
  }

  close(): void {
    this.#socket.close();
  }
}
