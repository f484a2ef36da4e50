// npm's rules for the name of a new package (those of validate-npm-package-name), and the contribution id a
// plugin name suggests: `@me/judgekit-plugin-fancy-judge` -> `fancy`.
import { builtinModules } from 'node:module';

const MAX_LENGTH = 214;
const RESERVED = new Set(['node_modules', 'favicon.ico']);

/** Why `name` cannot be a new npm package's name, or undefined when it can. */
export function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_LENGTH) return `is longer than ${MAX_LENGTH} characters`;
  if (name.trim() !== name) return 'has spaces around it';
  if (name !== name.toLowerCase()) return 'has capital letters (new packages must be lower case)';
  if (name.startsWith('.') || name.startsWith('_')) return `starts with "${name[0]}"`;
  if (/[~'!()*]/.test(name)) return 'contains one of ~\'!()*';
  if (RESERVED.has(name)) return 'is reserved';
  if (builtinModules.includes(name)) return `is the name of a Node.js core module`;
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name);
  if (name.startsWith('@') && !scoped) return 'must be @scope/name with one slash';
  const parts = scoped ? [scoped[1] as string, scoped[2] as string] : [name];
  for (const part of parts) {
    if (part.startsWith('.') || part.startsWith('_')) return `has a part starting with "${part[0]}"`;
    if (encodeURIComponent(part) !== part) return 'has characters that are not URL-safe (use a-z, 0-9, "-", "." and "_")';
  }
  return undefined;
}

/** A contribution id: lower case words joined by dashes, as configs write them (`"mode": "fancy"`). */
export const CONTRIBUTION_ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** The package name without its scope. */
export function unscopedName(name: string): string {
  return name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
}

/**
 * The id a plugin name suggests: scope, a `judgekit-plugin-` (or `judgekit-`) prefix and a trailing kind word
 * dropped, other characters turned into dashes. Undefined when nothing is left.
 */
export function suggestedContributionId(name: string, kind: string): string | undefined {
  let stem = unscopedName(name).replace(/^judgekit-plugin-/, '').replace(/^judgekit-/, '');
  if (stem !== kind) stem = stem.replace(new RegExp(`-${kind}$`), '');
  const id = stem
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
  return CONTRIBUTION_ID_PATTERN.test(id) ? id : undefined;
}
