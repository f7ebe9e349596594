import type { Duplex } from 'node:stream';

/**
 * Counts the data messages a browser sends over a proxied WebSocket, without buffering or parsing
 * payloads: only frame headers are read (RFC 6455 §5.2), payload bytes are skipped. A message is a
 * text (1) or binary (2) frame; continuation frames belong to the message they continue, and control
 * frames — ping, pong (a browser answers the server's pings by itself), close — are not a person's
 * activity.
 */
export class ClientFrameScanner {
  /** Payload bytes of the current frame still to pass. */
  #skip = 0;
  /** The bytes of a frame header split across chunks. */
  #header: number[] = [];

  /** How many data messages begin in `chunk` (the stream's next bytes). */
  scan(chunk: Uint8Array): number {
    let messages = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.#skip > 0) {
        const passed = Math.min(this.#skip, chunk.length - at);
        this.#skip -= passed;
        at += passed;
        continue;
      }
      this.#header.push(chunk[at] as number);
      at += 1;
      const length = headerLength(this.#header);
      if (length === undefined || this.#header.length < length) continue;
      const opcode = (this.#header[0] as number) & 0x0f;
      if (opcode === 1 || opcode === 2) messages += 1;
      this.#skip = payloadLength(this.#header);
      this.#header = [];
    }
    return messages;
  }
}

function headerLength(header: readonly number[]): number | undefined {
  if (header.length < 2) return undefined;
  const second = header[1] as number;
  const short = second & 0x7f;
  return 2 + (short === 126 ? 2 : short === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
}

function payloadLength(header: readonly number[]): number {
  const short = (header[1] as number) & 0x7f;
  if (short < 126) return short;
  const bytes = header.slice(2, short === 126 ? 4 : 10);
  return bytes.reduce((length, byte) => length * 256 + byte, 0);
}

/**
 * Calls `onMessages(count)` for each chunk from the browser that begins data messages. Attach once the
 * upgrade has succeeded, in the same tick as the pipe to the server, so no byte is missed or taken.
 */
export function watchBrowserMessages(socket: Duplex, onMessages: (count: number) => void): void {
  const scanner = new ClientFrameScanner();
  socket.on('data', (chunk: Buffer) => {
    const count = scanner.scan(chunk);
    if (count > 0) onMessages(count);
  });
}
