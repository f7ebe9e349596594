import { parseCommandArgs } from './cli/args.ts';
import type { Command, CommandIo } from './cli/command.ts';
import { COMMANDS } from './cli/commands.ts';
import { toGatehouseError } from './errors.ts';

/**
 * `gatehouse <command> [options]`. Exit codes: 0 success, 1 failure, 2 bad usage.
 * A failure is `gatehouse: <reason>` on stderr: one line, or a heading and one indented line per
 * problem (a configuration with several mistakes).
 */
const io: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const COMMON_HELP = ['--config FILE  hub.config.ts to use (default: $GATEHOUSE_CONFIG, else config/hub.config.ts)', '--data-dir DIR data directory (overrides the config file)', '-h, --help     show this help'];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'Gatehouse: a multi-user hub. Usage: gatehouse <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `gatehouse <command> --help` for a command\'s options.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [`${command.usage}`, '', `${command.summary}.`, '', 'Options:', ...[...command.optionHelp, ...COMMON_HELP].map((line) => `  ${line}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.err(`gatehouse: unknown command ${JSON.stringify(name)}; run gatehouse --help`);
    return 2;
  }
  const args = parseCommandArgs(rest, command.options, command.maxPositionals, command.name);
  if (args.values['help'] === true) {
    io.out(commandHelp(command));
    return 0;
  }
  return command.run(args, io);
}


main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (thrown: unknown) => {
    const error = toGatehouseError(thrown);
    const detail = error.code === 'GATEHOUSE_ERR_INTERNAL' && thrown instanceof Error ? thrown.message : error.message;
    io.err(`gatehouse: ${detail}`);
    process.exitCode = error.code === 'GATEHOUSE_ERR_CLI_USAGE' ? 2 : 1;
  },
);
