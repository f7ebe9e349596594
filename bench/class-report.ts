/**
 * The class-arrival results: a table per case with Gatehouse, JupyterHub and their ratio, and the
 * targets of the issue "The first minute of a class" checked against them. Written to
 * bench/results-class.{md,json} by every run that includes the class section.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ClassCaseResult, HubCaseResult } from './class-arrival.ts';

export interface ClassTargetCheck {
  readonly caseId: string;
  readonly what: string;
  readonly limit: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Peak RSS bound for the hub process in every case. */
const PEAK_RSS_LIMIT_MB = 300;
/** Working users' proxied p99 during the arrivals, as a multiple of their quiet p99. */
const WORKING_P99_LIMIT = 3;

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

function ratioCheck(caseId: string, what: string, ours: number, theirs: number, limit: number): ClassTargetCheck {
  const ratio = ours / theirs;
  const measurable = Number.isFinite(ours) && Number.isFinite(theirs) && theirs > 0;
  return { caseId, what, limit: `≤ ${limit}× JupyterHub`, measured: `${fixed(ratio, 2)}× (${fixed(ours, 2)} vs ${fixed(theirs, 2)})`, met: measurable && ratio <= limit };
}

/** The targets as the issue states them, per case kind (the Jupyter case is held to the burst targets). */
export function checkClassTargets(results: readonly ClassCaseResult[]): ClassTargetCheck[] {
  const checks: ClassTargetCheck[] = [];
  for (const { case: classCase, gatehouse, jupyterhub } of results) {
    const id = classCase.id;
    checks.push({ caseId: id, what: 'errors', limit: '0', measured: String(gatehouse.errors + gatehouse.workingErrors), met: gatehouse.errors + gatehouse.workingErrors === 0 });
    const workingRatio = gatehouse.workingDuringP99Ms / gatehouse.workingQuietP99Ms;
    checks.push({ caseId: id, what: 'working users proxied p99, during / quiet', limit: `≤ ${WORKING_P99_LIMIT}×`, measured: `${fixed(workingRatio, 2)}×`, met: workingRatio <= WORKING_P99_LIMIT });
    checks.push({ caseId: id, what: 'hub peak RSS', limit: `≤ ${PEAK_RSS_LIMIT_MB} MB`, measured: `${fixed(gatehouse.peakRssMB, 0)} MB`, met: gatehouse.peakRssMB <= PEAK_RSS_LIMIT_MB });
    if ('unavailable' in jupyterhub) continue;
    if (classCase.id === 'spread') {
      checks.push(ratioCheck(id, 'arrival → ready p99', gatehouse.readyP99S, jupyterhub.readyP99S, 1));
      checks.push(ratioCheck(id, 'login p99', gatehouse.loginP99Ms, jupyterhub.loginP99Ms, 2));
    } else {
      checks.push(ratioCheck(id, 'first arrival → last ready', gatehouse.lastReadyS, jupyterhub.lastReadyS, 0.5));
      checks.push(ratioCheck(id, 'arrival → ready p99', gatehouse.readyP99S, jupyterhub.readyP99S, 0.5));
    }
  }
  return checks;
}

const ROWS: ReadonlyArray<{ label: string; value: (r: HubCaseResult) => number; digits: number; ratio: boolean }> = [
  { label: 'first arrival → last ready (s)', value: (r) => r.lastReadyS, digits: 1, ratio: true },
  { label: 'login p50 (ms)', value: (r) => r.loginP50Ms, digits: 0, ratio: true },
  { label: 'login p99 (ms)', value: (r) => r.loginP99Ms, digits: 0, ratio: true },
  { label: 'arrival → ready p50 (s)', value: (r) => r.readyP50S, digits: 2, ratio: true },
  { label: 'arrival → ready p99 (s)', value: (r) => r.readyP99S, digits: 2, ratio: true },
  { label: 'retries after 429', value: (r) => r.retries, digits: 0, ratio: false },
  { label: 'errors (class)', value: (r) => r.errors, digits: 0, ratio: false },
  { label: 'working users p99 quiet (ms)', value: (r) => r.workingQuietP99Ms, digits: 1, ratio: true },
  { label: 'working users p99 during (ms)', value: (r) => r.workingDuringP99Ms, digits: 1, ratio: true },
  { label: 'working users errors', value: (r) => r.workingErrors, digits: 0, ratio: false },
  { label: 'hub process peak RSS (MB)', value: (r) => r.peakRssMB, digits: 0, ratio: true },
];

/** Where the CPU went during the arrivals, per part of each hub (and the bench's clients), and how long each part waited for a CPU. */
function cpuTable(gatehouse: HubCaseResult, jupyterhub: ClassCaseResult['jupyterhub'], cpus: number): string[] {
  const theirs = 'unavailable' in jupyterhub ? undefined : jupyterhub;
  const cpuOf = (r: HubCaseResult | undefined) => r?.cpu;
  const partsOf = (r: HubCaseResult | undefined) => Object.keys(cpuOf(r)?.seconds ?? {});
  const names = [...new Set([...partsOf(gatehouse), ...partsOf(theirs)])].sort();
  const cell = (r: HubCaseResult | undefined, part: string) => {
    const cpu = cpuOf(r);
    const spent = cpu?.seconds[part];
    if (cpu === undefined || spent === undefined) return '—';
    const waited = cpu.waitedSeconds[part];
    return waited === undefined ? spent.toFixed(1) : `${spent.toFixed(1)} (waited ${waited.toFixed(1)})`;
  };
  const busy = (r: HubCaseResult | undefined) => {
    const cpu = cpuOf(r);
    if (cpu === undefined) return '—';
    const total = Object.values(cpu.seconds).reduce((sum, value) => sum + value, 0);
    return `${total.toFixed(1)} of ${(cpu.wallSeconds * cpus).toFixed(1)}`;
  };
  return [
    '',
    `CPU seconds from the first arrival until the last person was through (in brackets: seconds the part's threads waited, runnable, for a CPU):`,
    '',
    '| part | Gatehouse | JupyterHub 3.0 |',
    '|---|---:|---:|',
    ...names.map((part) => `| ${part} | ${cell(gatehouse, part)} | ${cell(theirs, part)} |`),
    `| all of these / ${cpus} CPUs × the time | ${busy(gatehouse)} | ${busy(theirs)} |`,
  ];
}

export function renderClassTables(results: readonly ClassCaseResult[], notes: readonly string[], cpus = availableParallelism()): string {
  const parts: string[] = ['## The first minute of a class: Gatehouse vs JupyterHub 3.0', ''];
  for (const { case: classCase, gatehouse, jupyterhub } of results) {
    parts.push(`### ${classCase.label}`, '');
    if ('unavailable' in jupyterhub) parts.push(`JupyterHub could not be measured: ${jupyterhub.unavailable}`, '');
    parts.push('| | Gatehouse | JupyterHub 3.0 | Gatehouse / JupyterHub |', '|---|---:|---:|---:|');
    for (const row of ROWS) {
      const ours = row.value(gatehouse);
      const theirs = 'unavailable' in jupyterhub ? Number.NaN : row.value(jupyterhub);
      parts.push(`| ${row.label} | ${fixed(ours, row.digits)} | ${fixed(theirs, row.digits)} | ${row.ratio ? fixed(ours / theirs, 2) : ''} |`);
    }
    if (gatehouse.cpu !== undefined) parts.push(...cpuTable(gatehouse, jupyterhub, cpus));
    const samples = [...gatehouse.errorSamples.map((e) => `Gatehouse: ${e}`), ...('unavailable' in jupyterhub ? [] : jupyterhub.errorSamples.map((e) => `JupyterHub: ${e}`))];
    if (samples.length > 0) parts.push('', 'First errors of each hub:', '', ...samples.map((sample) => `- ${sample}`));
    parts.push('');
  }
  const checks = checkClassTargets(results);
  parts.push('### Targets', '', '| case | what | target | measured | met |', '|---|---|---|---|---|');
  for (const check of checks) parts.push(`| ${check.caseId} | ${check.what} | ${check.limit} | ${check.measured} | ${check.met ? 'yes' : '**no**'} |`);
  parts.push('', '### How it was measured', '', ...notes.map((note) => `- ${note}`), '');
  return parts.join('\n');
}

export function writeClassResults(results: readonly ClassCaseResult[], notes: readonly string[], markdownFile: string, jsonFile: string): string {
  const markdown = renderClassTables(results, notes);
  writeFileSync(markdownFile, `# Gatehouse bench: class arrival\n\n${markdown}`);
  writeFileSync(jsonFile, `${JSON.stringify({ results, targets: checkClassTargets(results), notes }, null, 2)}\n`);
  return markdown;
}
