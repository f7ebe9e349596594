/** Summarises a V8 CPU profile (the `.cpuprofile` format of `node --cpu-prof`): self time by function and by module. */
import path from 'node:path';
import { REPO_ROOT } from './processes.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  /** Share of the non-idle time. */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly busyMs: number;
  readonly idleMs: number;
  readonly topFunctions: readonly ProfileEntry[];
  readonly topModules: readonly ProfileEntry[];
}

/** `…/node_modules/.pnpm/koa@3/node_modules/koa/lib/x.js` → `koa`; repo files relative; `node:` modules as they are. */
export function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url;
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const marker = file.lastIndexOf('/node_modules/');
  if (marker >= 0) {
    const [first = '', second = ''] = file.slice(marker + '/node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  return file.startsWith(REPO_ROOT) ? path.relative(REPO_ROOT, file) : path.basename(file);
}

/** `name (module)`: no line numbers, which point into tsx's transpiled output for our .ts files. */
function functionLabel(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  return url === '' ? name : `${name} (${moduleOf(url, functionName)})`;
}

function top(totals: Map<string, number>, busyMs: number, count: number): ProfileEntry[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, selfMs]) => ({ name, selfMs, percent: (selfMs / busyMs) * 100 }));
}

export function summarizeCpuProfile(profile: CpuProfile, count = 10): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    if (node === undefined) continue;
    const ms = us / 1000;
    if (node.callFrame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const label = functionLabel(node);
    byFunction.set(label, (byFunction.get(label) ?? 0) + ms);
    const module = moduleOf(node.callFrame.url, node.callFrame.functionName);
    byModule.set(module, (byModule.get(module) ?? 0) + ms);
  }
  return { busyMs, idleMs, topFunctions: top(byFunction, busyMs, count), topModules: top(byModule, busyMs, count) };
}
