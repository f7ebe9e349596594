/** How a child ended, in a form that crosses a JSON channel. */
export type GatedExit = { readonly code: number | null; readonly signal: NodeJS.Signals | null } | { readonly error: string };

export interface GatedLaunchSpec {
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly uid?: number;
  readonly gid?: number;
  /** Opened for appending (O_NOFOLLOW); receives both stdout and stderr. */
  readonly logFile: string;
}

export interface GatedChild {
  readonly pid: number;
  readonly startTime: number;
  readonly exited: Promise<GatedExit>;
  release(): void;
}

export function launchGated(spec: GatedLaunchSpec): Promise<GatedChild | { readonly notStarted: GatedExit }>;
