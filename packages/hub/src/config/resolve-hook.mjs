// Module resolution hook for configuration files: lets a hub.config.ts anywhere on disk
// (/etc/gatehouse, a temp dir, …) import '@gatehouse/*' from this installation.
const packages = new Map();

/** @param {{ packages: Record<string, string> }} data */
export function initialize(data) {
  for (const [name, url] of Object.entries(data.packages)) packages.set(name, url);
}

/**
 * @param {string} specifier
 * @param {unknown} context
 * @param {(specifier: string, context: unknown) => unknown} nextResolve
 */
export function resolve(specifier, context, nextResolve) {
  const url = packages.get(specifier);
  if (url !== undefined) return { url, shortCircuit: true, format: 'module' };
  return nextResolve(specifier, context);
}
