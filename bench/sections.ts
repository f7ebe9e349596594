/**
 * Which sections of `pnpm bench` run: all of them by default, or those named by
 * `--only a,b` (or `--only=a,b`). A partial run never overwrites bench/results.{md,json}.
 */

export const SECTIONS = ['http', 'ws', 'api', 'spawn', 'flat', 'storm', 'metrics', 'auth', 'cull', 'admin', 'slurm', 'class', 'profile'] as const;
export type Section = (typeof SECTIONS)[number];

export const SECTION_HELP: Readonly<Record<Section, string>> = {
  http: 'HTTP proxying: direct, Gatehouse, CHP, mini proxies',
  ws: 'WebSocket echo: direct, Gatehouse, CHP',
  api: 'REST API: Gatehouse vs JupyterHub',
  spawn: 'concurrent spawns',
  flat: 'flat cost: 10,000 users and 200 running servers vs one user; hub memory',
  storm: 'proxied p99 during a storm of argon2 logins',
  metrics: 'metrics on (scraped) vs metrics: false',
  auth: 'GET /hub/auth (nginx auth_request) with the opt-in cookie and with a token',
  cull: 'one idle-culler sweep over 10,000 users and 500 running servers (hub CPU)',
  admin: 'GET /hub/admin (median and p95) with 10,000 users and 500 servers: first page, search, sorts, a deep page',
  slurm: '50 concurrent spawns as Slurm jobs on a real single-node Slurm (root, Debian slurm packages)',
  class: 'the first minute of a class: 300 sign-ins and starts at once, vs JupyterHub (bench/results-class.md)',
  profile: 'CPU profile of the hub (in a full run only when below 3× CHP, or with --profile)',
};

export interface SectionChoice {
  /** Undefined: every section (a full run). */
  readonly only: ReadonlySet<Section> | undefined;
  runs(section: Section): boolean;
}

function isSection(name: string): name is Section {
  return (SECTIONS as readonly string[]).includes(name);
}

/** Reads `--only` from the command line; throws on an unknown section name. */
export function sectionsFromArgs(argv: readonly string[]): SectionChoice {
  const index = argv.findIndex((arg) => arg === '--only' || arg.startsWith('--only='));
  if (index === -1) return { only: undefined, runs: () => true };
  const flag = argv[index] as string;
  const list = flag.startsWith('--only=') ? flag.slice('--only='.length) : (argv[index + 1] ?? '');
  const names = list.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !isSection(name));
  if (names.length === 0 || unknown.length > 0) {
    const help = SECTIONS.map((section) => `  ${section.padEnd(8)} ${SECTION_HELP[section]}`).join('\n');
    throw new Error(`--only expects a comma-separated list of sections${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}:\n${help}`);
  }
  const only = new Set(names.filter(isSection));
  return { only, runs: (section) => only.has(section) };
}
