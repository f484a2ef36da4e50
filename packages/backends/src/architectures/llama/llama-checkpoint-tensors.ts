// Llama's trainable parameters to and from its checkpoints' tensors: Hugging Face LlamaForCausalLM names
// (`model.` prefix, nn.Linear [out, in] projections), so trained weights are written back as they came in.
import type { CheckpointTarget } from '../architecture.js';
import type { NamedTensor } from '../../training/safetensors-file.js';
import { transpose2d } from '../gpt2/load-gpt2-checkpoint.js';
import type { LlamaConfig } from './llama-config.js';
import { checkLlamaParameters, llamaParameterSpecs, type LlamaParameters } from './llama-parameters.js';
import { isLlamaProjection, llamaTensorName, type LoadedLlama } from './load-llama-checkpoint.js';
import { cloneParameters } from '../../training/model-parameters.js';

/**
 * The trainable parameters of a loaded checkpoint, as copies (the trainer updates them in place and must never write
 * into the loader's buffers).
 */
export function llamaCheckpointParameters(loaded: LoadedLlama, _sourceNames: readonly string[]): { config: LlamaConfig; parameters: LlamaParameters } {
  const parameters = cloneParameters(loaded.parameters);
  checkLlamaParameters(loaded.config, parameters);
  return { config: { ...loaded.config }, parameters };
}

/**
 * Parameters as tensors in Hugging Face's naming (`target.prefix`, normally `model.`), projections transposed back to
 * [out, in]. A tied head that the source stored anyway as `lm_head.weight` is written as the trained embedding.
 */
export function llamaCheckpointTensors(config: LlamaConfig, parameters: ReadonlyMap<string, Float32Array>, target: CheckpointTarget): Map<string, NamedTensor> {
  checkLlamaParameters(config, parameters as LlamaParameters);
  const out = new Map<string, NamedTensor>();
  for (const spec of llamaParameterSpecs(config)) {
    const data = parameters.get(spec.name)!;
    const name = llamaTensorName(spec.name, target.prefix);
    if (isLlamaProjection(spec.name)) {
      const [rows, cols] = spec.shape as [number, number];
      out.set(name, { shape: [cols, rows], data: transpose2d(data, rows, cols) });
    } else {
      out.set(name, { shape: spec.shape, data });
    }
  }
  if (config.tiedHead && target.sourceNames.includes('lm_head.weight')) {
    out.set('lm_head.weight', { shape: [config.vocabSize, config.embDim], data: parameters.get('embed_tokens.weight')! });
  }
  return out;
}
