// Every contribution the loaded plugins bound, by kind and id, with the package that provides it. Configs and
// scripts reach contributions only through here: an unknown id lists what is available, and a contribution's
// options are validated against its schema with errors that name the config path.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Container } from 'inversify';
import { CONTRIBUTION_KINDS, CONTRIBUTION_POINTS, type Contribution, type ContributionKind, type JsonSchema } from '../contracts/contribution.js';
import type { ChatModelProviderFactory } from '../contracts/chat-model-provider.js';
import type { InstructionDataset } from '../contracts/instruction-dataset.js';
import type { JudgeFactory } from '../contracts/judge-factory.js';
import type { Metric } from '../contracts/metric.js';
import type { ModelBackend } from '../contracts/model-backend.js';
import type { Reporter } from '../contracts/reporter.js';
import type { StudyStage } from '../contracts/study-stage.js';
import { JudgekitError } from '../errors.js';

/** What each kind resolves to. */
export interface ContributionTypes {
  backend: ModelBackend;
  dataset: InstructionDataset;
  metric: Metric;
  judge: JudgeFactory;
  'chat-provider': ChatModelProviderFactory;
  stage: StudyStage;
  reporter: Reporter;
}

/** Where a contribution came from: an npm package (name and version) or a plugin file. */
export interface ContributionSource {
  package: string;
  version?: string;
}

export interface ContributionEntry<K extends ContributionKind = ContributionKind> {
  kind: K;
  id: string;
  description: string;
  optionsSchema?: JsonSchema;
  source: ContributionSource;
  /** The source whose contribution of the same kind and id this one replaced. */
  replaces?: ContributionSource;
  value: ContributionTypes[K];
}

/** Where in a config a selection was made, for error messages: `study.json: judges[1]`. */
export interface ConfigPath {
  file?: string;
  path: string;
  /** Where the options were given, when not at `<path>.options` (e.g. `--options`). */
  options?: string;
}

/** The container binds the assembled registry under this token. */
export const ContributionRegistryToken = Symbol.for('@judgekit/core/ContributionRegistry');

export function formatSource(source: ContributionSource): string {
  return source.version ? `${source.package}@${source.version}` : source.package;
}

function where(at: ConfigPath, field?: string): string {
  const path = field === 'options' && at.options ? at.options : field ? `${at.path}.${field}` : at.path;
  return at.file ? `${at.file}: ${path}` : path;
}

/** The id a bound value declares (judge factories from before ids may only have `mode`). */
function contributionId(value: unknown): string | undefined {
  const candidate = value as { id?: unknown; mode?: unknown } | null;
  if (typeof candidate?.id === 'string' && candidate.id !== '') return candidate.id;
  if (typeof candidate?.mode === 'string' && candidate.mode !== '') return candidate.mode;
  return undefined;
}

export class ContributionRegistry {
  readonly #entries = new Map<ContributionKind, Map<string, ContributionEntry>>();
  readonly #ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
  readonly #validators = new WeakMap<JsonSchema, ValidateFunction>();
  /** Values already registered (or replaced), so a later module's load does not register them again. */
  readonly #seen = new WeakSet<object>();

  constructor() {
    for (const kind of CONTRIBUTION_KINDS) this.#entries.set(kind, new Map());
  }

  /** Records what `container` holds that is not yet registered, attributing it to `source`. */
  collect(container: Container, source: ContributionSource): ContributionEntry[] {
    const added: ContributionEntry[] = [];
    for (const kind of CONTRIBUTION_KINDS) {
      const token = CONTRIBUTION_POINTS[kind].token;
      if (!container.isBound(token)) continue;
      for (const value of container.getAll<Contribution>(token)) {
        const entry = this.#add(kind, value, source);
        if (entry) added.push(entry);
      }
    }
    return added;
  }

  #add(kind: ContributionKind, value: Contribution, source: ContributionSource): ContributionEntry | undefined {
    const entries = this.#entries.get(kind) as Map<string, ContributionEntry>;
    const id = contributionId(value);
    if (id === undefined) {
      throw new JudgekitError('plugin', `${formatSource(source)} binds a ${kind} without an "id"; give every contribution an id.`);
    }
    const existing = entries.get(id);
    if (this.#seen.has(value) || sameTransient(existing?.value, value)) return undefined;
    this.#seen.add(value);
    const entry: ContributionEntry = {
      kind,
      id,
      description: value.description ?? '',
      ...(value.optionsSchema ? { optionsSchema: value.optionsSchema } : {}),
      source,
      ...(existing ? { replaces: existing.source } : {}),
      value: value as ContributionTypes[ContributionKind],
    };
    entries.set(id, entry);
    return entry;
  }

  /** Every registered contribution of a kind (or of all kinds, in kind order), in load order. */
  list<K extends ContributionKind>(kind: K): Array<ContributionEntry<K>>;
  list(): ContributionEntry[];
  list(kind?: ContributionKind): ContributionEntry[] {
    const kinds = kind ? [kind] : CONTRIBUTION_KINDS;
    return kinds.flatMap((k) => [...(this.#entries.get(k) as Map<string, ContributionEntry>).values()]);
  }

  ids(kind: ContributionKind): string[] {
    return this.list(kind).map((entry) => entry.id);
  }

  has(kind: ContributionKind, id: string): boolean {
    return (this.#entries.get(kind) as Map<string, ContributionEntry>).has(id);
  }

  /** "single (@judgekit/judges@0.1.0), rubric (judgekit-plugin-rubric@1.0.0)" */
  describeAvailable(kind: ContributionKind): string {
    const entries = this.list(kind);
    if (entries.length === 0) return `none loaded`;
    return entries.map((entry) => `${entry.id} (${formatSource(entry.source)})`).join(', ');
  }

  entry<K extends ContributionKind>(kind: K, id: string, at: ConfigPath): ContributionEntry<K> {
    const found = (this.#entries.get(kind) as Map<string, ContributionEntry>).get(id);
    if (!found) {
      const field = { backend: 'backend', dataset: 'kind', judge: 'mode', reporter: 'id' }[kind as string];
      throw new JudgekitError(
        'config',
        `${where(at, field)}: unknown ${kind} "${id}". Available ${CONTRIBUTION_POINTS[kind].plural}: ${this.describeAvailable(kind)}. Add the package that provides it to "plugins".`,
        { ...(at.file ? { file: at.file } : {}), location: at.path },
      );
    }
    return found as ContributionEntry<K>;
  }

  get<K extends ContributionKind>(kind: K, id: string, at: ConfigPath = { path: kind }): ContributionTypes[K] {
    return this.entry(kind, id, at).value;
  }

  /**
   * The contribution with its options checked against its schema (defaults filled in). Options given to a
   * contribution that declares no schema are an error, so a typo never passes silently.
   */
  resolve<K extends ContributionKind>(kind: K, id: string, options: Record<string, unknown> | undefined, at: ConfigPath): { value: ContributionTypes[K]; options: Record<string, unknown> } {
    const entry = this.entry(kind, id, at);
    const checked = structuredClone(options ?? {});
    if (!entry.optionsSchema) {
      if (Object.keys(checked).length > 0) {
        throw new JudgekitError('config', `${where(at, 'options')}: ${kind} "${id}" (${formatSource(entry.source)}) takes no options, got ${Object.keys(checked).map((k) => `"${k}"`).join(', ')}.`, {
          ...(at.file ? { file: at.file } : {}),
          location: `${at.path}.options`,
        });
      }
      return { value: entry.value, options: checked };
    }
    const validate = this.#validator(entry.optionsSchema);
    if (!validate(checked)) {
      const problems = (validate.errors ?? []).map((error) => describeOptionError(error, where(at, 'options')));
      throw new JudgekitError('config', `${problems.join('; ')} (options of ${kind} "${id}" from ${formatSource(entry.source)}).`, {
        ...(at.file ? { file: at.file } : {}),
        location: `${at.path}.options`,
      });
    }
    return { value: entry.value, options: checked };
  }

  #validator(schema: JsonSchema): ValidateFunction {
    let validate = this.#validators.get(schema);
    if (!validate) {
      validate = this.#ajv.compile(schema);
      this.#validators.set(schema, validate);
    }
    return validate;
  }
}

/** A transient binding hands out a new instance on every lookup: the same class under the same id is not new. */
function sameTransient(existing: unknown, value: object): boolean {
  const constructor = (value as { constructor?: unknown }).constructor;
  return existing !== undefined && constructor !== Object && (existing as { constructor?: unknown }).constructor === constructor;
}

function describeOptionError(error: ErrorObject, prefix: string): string {
  const path = `${prefix}${error.instancePath.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.')}`;
  if (error.keyword === 'additionalProperties') return `${path}: unknown option "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  if (error.keyword === 'required') return `${path}: missing option "${(error.params as { missingProperty: string }).missingProperty}"`;
  if (error.keyword === 'enum') return `${path}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${path}: ${error.message ?? error.keyword}`;
}
