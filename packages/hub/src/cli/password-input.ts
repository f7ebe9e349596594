import { gatehouseError } from '../errors.ts';

/** Reads all of stdin (for --password-stdin); the trailing newline is not part of the password. */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', 'no password on standard input');
  return password;
}

/** Asks on the terminal without echoing what is typed. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          finish();
          process.stderr.write('\n');
          resolve(typed);
          return;
        }
        if (char === '\u0003') {
          finish();
          reject(gatehouseError('GATEHOUSE_ERR_CLI_USAGE', 'cancelled'));
          return;
        }
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    };
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

/** The new password: from stdin with --password-stdin, else prompted twice on a TTY. */
export async function newPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) return readPasswordFromStdin();
  if (!process.stdin.isTTY) throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', 'no terminal to ask for a password: use --password-stdin');
  const first = await promptHidden('Password: ');
  const second = await promptHidden('Repeat password: ');
  if (first !== second) throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', 'the passwords do not match');
  return first;
}
