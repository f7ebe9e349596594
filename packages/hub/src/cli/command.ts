import type { OptionSpec, ParsedArgs } from './args.ts';

/** Where a command writes its output (stdout) and its complaints (stderr). */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

/** The contract of one `gatehouse` subcommand; commands.ts lists them, cli.ts runs them. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Lines of `--help` describing the options beyond --config/--data-dir/--help. */
  readonly optionHelp: readonly string[];
  readonly options: OptionSpec;
  readonly maxPositionals: number;
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}
