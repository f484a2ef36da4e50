// A second capability a backend may have: instruction fine-tuning. The finetune stage uses it for every model
// whose backend has it; a backend without it still computes loss and generates.
import type { AlpacaRecord } from './records.js';
import type { Device, ModelBackend, ModelSpec } from './model-backend.js';

/** The study config's `finetune` section: what every trainer is asked for; each backend maps it to its own. */
export interface FinetuneRecipe {
  /** Fixed epochs; omit for early stopping on validation loss. */
  epochs?: number;
  maxEpochs?: number;
  learningRate?: number;
  weightDecay?: number;
  batchSize?: number;
  gradientAccumulation?: number;
  maskPrompt?: boolean;
  maxLength?: number;
  seed?: number;
}

export interface FinetuneRequest {
  model: ModelSpec;
  /** Every record of the dataset; the backend splits them with `split` (the study's 85/10/5 by default). */
  records: readonly AlpacaRecord[];
  split?: { train?: number; test?: number; shuffleSeed?: number };
  /** The run directory: the backend writes under `<runDir>/finetune/<name>/` and resumes from there. */
  runDir: string;
  name: string;
  recipe: FinetuneRecipe;
  /** `book`, `study`, or a custom template object. */
  template?: unknown;
  device?: Device;
  /** The model's `options` from the config, validated against the backend's schema. */
  options?: Record<string, unknown>;
  log?: (line: string) => void;
  progress?: boolean;
  signal?: AbortSignal;
}

export interface FinetuneOutcome {
  /** The kept (best) weights, loadable by the same backend. */
  model: ModelSpec;
  bestEpoch: number;
  epochs: number;
  stoppedEarly: boolean;
}

export interface FinetuningBackend extends ModelBackend {
  finetune(request: FinetuneRequest): Promise<FinetuneOutcome>;
}

export function canFinetune(backend: ModelBackend): backend is FinetuningBackend {
  return typeof (backend as Partial<FinetuningBackend>).finetune === 'function';
}
