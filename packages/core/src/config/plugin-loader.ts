// Assemble an inversify container from plugins. A plugin is a module whose default export is a
// ContainerModule; a plugin that fails to load is reported without taking the others down.
import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JudgekitError } from '../errors.js';

export interface PluginLoadFailure {
  specifier: string;
  error: unknown;
}

export interface ContainerAssembly {
  container: Container;
  loaded: string[];
  failed: PluginLoadFailure[];
}

export interface AssembleOptions {
  /** Module specifiers: npm package names, or paths relative to `baseDir`. */
  plugins?: readonly string[];
  /** Modules already in hand (for scripts and tests). */
  modules?: readonly ContainerModule[];
  baseDir?: string;
  /** Throw on the first plugin that fails to load instead of reporting it. Default true. */
  strict?: boolean;
}

function toImportable(specifier: string, baseDir: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) return pathToFileURL(resolve(baseDir, specifier)).href;
  return specifier;
}

export async function loadPluginModule(specifier: string, baseDir = process.cwd()): Promise<ContainerModule> {
  let imported: Record<string, unknown>;
  try {
    imported = (await import(toImportable(specifier, baseDir))) as Record<string, unknown>;
  } catch (error) {
    throw new JudgekitError('plugin', `Cannot import plugin "${specifier}": ${(error as Error).message}. Install it (npm install ${specifier}) or fix the path.`, { cause: error });
  }
  const candidate = imported.default;
  if (!(candidate instanceof ContainerModule)) {
    throw new JudgekitError('plugin', `Plugin "${specifier}" has no default export that is an inversify ContainerModule; export one from its main module.`);
  }
  return candidate;
}

export async function assembleContainer(options: AssembleOptions = {}): Promise<ContainerAssembly> {
  const baseDir = options.baseDir ?? process.cwd();
  const container = new Container({ defaultScope: 'Singleton' });
  const specifiers = options.plugins ?? [];
  const settled = await Promise.allSettled(specifiers.map((specifier) => loadPluginModule(specifier, baseDir)));
  const failed: PluginLoadFailure[] = [];
  const loaded: string[] = [];
  const modules: ContainerModule[] = [...(options.modules ?? [])];
  settled.forEach((result, index) => {
    const specifier = specifiers[index] as string;
    if (result.status === 'fulfilled') {
      modules.push(result.value);
      loaded.push(specifier);
    } else failed.push({ specifier, error: result.reason });
  });
  if (failed.length > 0 && options.strict !== false) throw (failed[0] as PluginLoadFailure).error;
  await container.load(...modules);
  return { container, loaded, failed };
}

/** All contributions bound to `token`, or none when nothing is bound. */
export function getContributions<T>(container: Container, token: symbol): T[] {
  return container.isBound(token) ? container.getAll<T>(token) : [];
}
