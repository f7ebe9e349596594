import { Writable } from 'node:stream';

/**
 * Log lines for a person at a terminal: `10:05:01 WARN  server exited; route removed  username=ann`.
 * The hub logs JSON; on a TTY this stream rewrites each line so that it reads like the start banner
 * beside it instead of interleaving raw JSON with it. Anything that is not a JSON object passes through.
 */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'app', 'pid', 'hostname']);

export function humanLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null) return line;
  const time = typeof entry['time'] === 'string' ? new Date(entry['time']).toTimeString().slice(0, 8) : '';
  const level = LEVELS[Number(entry['level'])] ?? String(entry['level']);
  const fields = Object.entries(entry)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  return [`${time} ${level} ${String(entry['msg'] ?? '')}`, ...fields].join('  ');
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'object' && value !== null && 'message' in value) return JSON.stringify((value as { message: unknown }).message);
  return JSON.stringify(value);
}

export function humanLogStream(out: NodeJS.WritableStream): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line !== '') out.write(`${humanLogLine(line)}\n`);
      done();
    },
  });
}
