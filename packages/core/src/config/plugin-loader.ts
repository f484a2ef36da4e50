// Assemble an inversify container from plugins. A plugin is a module whose default export is a ContainerModule;
// modules load one by one so every contribution is attributed to its package, and a plugin that fails to load
// is reported (one line, naming where it was listed) without taking the others down.
import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JudgekitError } from '../errors.js';
import { ContributionRegistry, ContributionRegistryToken, formatSource, type ContributionSource } from '../plugins/contribution-registry.js';
import { CONTRIBUTION_KINDS, CONTRIBUTION_POINTS } from '../contracts/contribution.js';

export interface PluginLoadFailure {
  specifier: string;
  error: unknown;
}

export interface ContainerAssembly {
  container: Container;
  registry: ContributionRegistry;
  loaded: string[];
  failed: PluginLoadFailure[];
}

/** A module already in hand, with the package it stands for (shown by `judgekit plugins` and in errors). */
export interface SourcedModule {
  module: ContainerModule;
  source: ContributionSource;
}

export interface AssembleOptions {
  /** Module specifiers: npm package names, or paths (relative to `baseDir`). */
  plugins?: readonly string[];
  /** Modules already in hand (built-ins, scripts and tests); loaded before `plugins`. */
  modules?: ReadonlyArray<ContainerModule | SourcedModule>;
  baseDir?: string;
  /** Throw on the first plugin that fails to load instead of reporting it. Default true. */
  strict?: boolean;
  /** The config that listed `plugins`, so errors say `study.json: plugins[1]`. */
  configFile?: string;
}

/**
 * A ContainerModule, also one made by another copy of inversify (a plugin that installed its own): anything with
 * a numeric `id` and a `load` function is loaded the same way.
 */
function isContainerModule(value: unknown): value is ContainerModule {
  if (value instanceof ContainerModule) return true;
  const candidate = value as { id?: unknown; load?: unknown } | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.id === 'number' && typeof candidate.load === 'function';
}

function isPathSpecifier(specifier: string, baseDir: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier) || existsSync(resolve(baseDir, specifier));
}

/** `node_modules/<name>` seen from `baseDir` upwards, as Node resolves packages. */
function findPackageDir(name: string, baseDir: string): string | undefined {
  for (let dir = resolve(baseDir); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function readManifest(dir: string): { name?: string; version?: string; main?: string; exports?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
  } catch {
    return undefined;
  }
}

/** The ESM entry of an installed package, for packages Node cannot find from judgekit's own location. */
function packageEntry(dir: string): string {
  const manifest = readManifest(dir) ?? {};
  let root = manifest.exports;
  if (root && typeof root === 'object' && '.' in (root as Record<string, unknown>)) root = (root as Record<string, unknown>)['.'];
  if (root && typeof root === 'object') root = (root as Record<string, unknown>).import ?? (root as Record<string, unknown>).default;
  const entry = typeof root === 'string' ? root : (manifest.main ?? 'index.js');
  return pathToFileURL(join(dir, entry)).href;
}

/** Where a plugin's contributions come from: its package name and version, else the path as given. */
function pluginSource(specifier: string, baseDir = process.cwd()): ContributionSource {
  const dir = isPathSpecifier(specifier, baseDir) ? resolve(baseDir, specifier) : findPackageDir(specifier, baseDir);
  const manifest = dir && existsSync(join(dir, 'package.json')) ? readManifest(dir) : undefined;
  if (manifest?.name) return { package: manifest.name, ...(manifest.version ? { version: manifest.version } : {}) };
  return { package: specifier };
}

async function importPlugin(specifier: string, baseDir: string): Promise<Record<string, unknown>> {
  if (isPathSpecifier(specifier, baseDir)) {
    const path = resolve(baseDir, specifier);
    // A package folder (a plugin's checkout, or an unpacked tarball) loads through its own manifest.
    if (existsSync(join(path, 'package.json')) && statSync(path).isDirectory()) return (await import(packageEntry(path))) as Record<string, unknown>;
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  }
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    const dir = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' ? findPackageDir(specifier, baseDir) : undefined;
    if (!dir) throw error;
    return (await import(packageEntry(dir))) as Record<string, unknown>;
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0] as string;
}

async function loadPluginModule(specifier: string, baseDir = process.cwd()): Promise<ContainerModule> {
  let imported: Record<string, unknown>;
  try {
    imported = await importPlugin(specifier, baseDir);
  } catch (error) {
    const hint = isPathSpecifier(specifier, baseDir) ? 'fix the module' : `install it (npm install ${specifier}) or give a path`;
    throw new JudgekitError('plugin', `cannot import plugin "${specifier}": ${firstLine(error)}; ${hint}.`, { cause: error });
  }
  const candidate = imported.default;
  if (!isContainerModule(candidate)) {
    const exported = Object.keys(imported).join(', ') || 'nothing';
    throw new JudgekitError('plugin', `plugin "${specifier}" has no default export that is an inversify ContainerModule (it exports ${exported}); export one as default from its main module.`);
  }
  return candidate;
}

function sourced(module: ContainerModule | SourcedModule, index: number): SourcedModule {
  return isContainerModule(module) ? { module, source: { package: `module ${index}` } } : module;
}

/** Loads one module and registers what it binds; on failure the module is unloaded again. */
async function loadInto(container: Container, registry: ContributionRegistry, { module, source }: SourcedModule): Promise<void> {
  // loadAsync: a module's load function may be async (and any return value is fine).
  await container.loadAsync(module);
  try {
    registry.collect(container, source);
  } catch (error) {
    await container.unloadAsync(module);
    throw error;
  }
}

/** "judges: single, batched; backends: onnxruntime" — what is available after a failure. */
function loadedSummary(registry: ContributionRegistry): string {
  const parts = CONTRIBUTION_KINDS.filter((kind) => registry.ids(kind).length > 0).map((kind) => `${CONTRIBUTION_POINTS[kind].plural}: ${registry.ids(kind).join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'nothing';
}

async function loadPlugin(container: Container, registry: ContributionRegistry, specifier: string, at: string, baseDir: string): Promise<void> {
  try {
    const module = await loadPluginModule(specifier, baseDir);
    await loadInto(container, registry, { module, source: pluginSource(specifier, baseDir) });
  } catch (error) {
    const message = JudgekitError.is(error, 'plugin') ? error.message : `plugin "${specifier}" failed to load: ${firstLine(error)}`;
    throw new JudgekitError('plugin', `${at}: ${message} Loaded ${loadedSummary(registry)}.`, { cause: error, location: at });
  }
}

export async function assembleContainer(options: AssembleOptions = {}): Promise<ContainerAssembly> {
  const baseDir = options.baseDir ?? process.cwd();
  const container = new Container({ defaultScope: 'Singleton' });
  const registry = new ContributionRegistry();
  container.bind(ContributionRegistryToken).toConstantValue(registry);
  for (const [index, module] of (options.modules ?? []).entries()) {
    const input = sourced(module, index);
    try {
      await loadInto(container, registry, input);
    } catch (error) {
      throw new JudgekitError('plugin', `${formatSource(input.source)} failed to load: ${firstLine(error)}`, { cause: error });
    }
  }
  const failed: PluginLoadFailure[] = [];
  const loaded: string[] = [];
  for (const [index, specifier] of (options.plugins ?? []).entries()) {
    const at = `${options.configFile ? `${options.configFile}: ` : ''}plugins[${index}]`;
    try {
      await loadPlugin(container, registry, specifier, at, baseDir);
      loaded.push(specifier);
    } catch (error) {
      if (options.strict !== false) throw error;
      failed.push({ specifier, error });
    }
  }
  return { container, registry, loaded, failed };
}

/** All contributions bound to `token`, or none when nothing is bound. */
export function getContributions<T>(container: Container, token: symbol): T[] {
  return container.isBound(token) ? container.getAll<T>(token) : [];
}

/** The registry `assembleContainer` bound. */
export function contributionRegistry(container: Container): ContributionRegistry {
  return container.get<ContributionRegistry>(ContributionRegistryToken);
}
