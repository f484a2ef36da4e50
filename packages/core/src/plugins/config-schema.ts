// The study config's JSON Schema with every loaded contribution folded in: the ids each selector accepts, and
// for each id the schema of its `options`, so an editor completes and checks plugin options too.
import type { ContributionKind, JsonSchema } from '../contracts/contribution.js';
import { studyConfigSchema } from '../config/study-config.js';
import type { ContributionRegistry } from './contribution-registry.js';

type Schema = Record<string, any>;

/** if/then branches: when `selector` is `id`, `options` must match that contribution's schema. */
function optionBranches(registry: ContributionRegistry, kind: ContributionKind, selector: string, defaultId?: string): Schema[] {
  return registry.list(kind).map((entry) => {
    const matches: Schema = { properties: { [selector]: { const: entry.id } }, required: [selector] };
    const condition = entry.id === defaultId ? { anyOf: [matches, { not: { required: [selector] } }] } : matches;
    const options: JsonSchema = entry.optionsSchema ?? { type: 'object', additionalProperties: false, properties: {} };
    return { if: condition, then: { properties: { options: { description: `Options of ${kind} "${entry.id}": ${entry.description}`, ...options } } } };
  });
}

/** When `judge` is `<provider>:...`, `providerOptions` must match that provider's schema. */
function providerOptionBranches(registry: ContributionRegistry): Schema[] {
  return registry.list('chat-provider').map((entry) => ({
    if: { properties: { judge: { pattern: `^${entry.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:` } }, required: ['judge'] },
    then: { properties: { providerOptions: { description: `Options of provider "${entry.id}": ${entry.description}`, ...(entry.optionsSchema ?? { type: 'object', additionalProperties: false, properties: {} }) } } },
  }));
}

function selectorWithIds(base: Schema | undefined, registry: ContributionRegistry, kind: ContributionKind): Schema {
  const entries = registry.list(kind);
  return { ...(base ?? {}), examples: entries.map((entry) => entry.id), description: `${base?.description ?? ''} Loaded: ${entries.map((e) => `${e.id} (${e.description})`).join('; ')}`.trim() };
}

export function configSchemaWithPlugins(registry: ContributionRegistry): JsonSchema {
  const schema = structuredClone(studyConfigSchema()) as Schema;
  const props = schema.properties as Schema;
  const model = props.models.items as Schema;
  model.properties.backend = selectorWithIds(model.properties.backend, registry, 'backend');
  model.allOf = optionBranches(registry, 'backend', 'backend', 'onnxruntime');
  const judge = props.judges.items as Schema;
  judge.properties.mode = selectorWithIds(judge.properties.mode, registry, 'judge');
  judge.allOf = [...optionBranches(registry, 'judge', 'mode'), ...providerOptionBranches(registry)];
  const dataset = props.dataset as Schema;
  dataset.properties.kind = selectorWithIds(dataset.properties.kind, registry, 'dataset');
  dataset.allOf = optionBranches(registry, 'dataset', 'kind', 'alpaca');
  const reporter = props.reporters.items.oneOf[1] as Schema;
  reporter.properties.id = selectorWithIds(reporter.properties.id, registry, 'reporter');
  reporter.allOf = optionBranches(registry, 'reporter', 'id');
  return schema;
}
