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
export async function resolve(specifier, context, nextResolve) {
  const url = packages.get(specifier);
  if (url !== undefined) return { url, shortCircuit: true, format: 'module' };
  const resolved = await nextResolve(specifier, context);
  // The config file itself is an ES module wherever it lives (a directory without package.json
  // would otherwise make it CommonJS, which cannot import our ES modules).
  if (specifier.endsWith(CONFIG_MARKER)) return { ...resolved, format: 'module' };
  return resolved;
}

const CONFIG_MARKER = '?gatehouse-config';
