// The version of an installed package, resolved the way `import` would from a given module (a plugin's SDK may
// be installed beside the plugin, not beside core), read once per process.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const known = new Map<string, string | undefined>();

/** `name`'s version as resolved from the module at `from` (its `import.meta.url`); undefined when not found. */
export function packageVersion(name: string, from: string | URL): string | undefined {
  const key = `${String(from)}\n${name}`;
  if (known.has(key)) return known.get(key);
  let version: string | undefined;
  try {
    const manifest = createRequire(from).resolve(`${name}/package.json`);
    version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version as string | undefined;
    if (typeof version !== 'string') version = undefined;
  } catch {
    version = undefined;
  }
  known.set(key, version);
  return version;
}
