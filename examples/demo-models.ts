// The demo's base models: tiny GPT-2s (the real 50,257-token vocabulary, a 128-token context) pre-trained from
// seeded random weights on text the project writes itself, for different numbers of steps and at different
// sizes, so their test loss and what they learn really differ. Saved as Hugging Face-style safetensors.
import { writeJsonAtomic } from '@judgekit/core';
import { encodeGpt2Documents } from '@judgekit/backends/tokenizer';
import { gpt2ConfigToJson } from '@judgekit/backends';
import { Gpt2Trainer, randomGpt2Parameters, toCheckpointTensors, writeTrainingSafetensors, type Gpt2Shape } from '@judgekit/backends/training';
import { seededRandom } from '@judgekit/core';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DemoModelSpec {
  name: string;
  embDim: number;
  nLayers: number;
  nHeads: number;
  /** Pre-training steps of 8 x 64 tokens. */
  steps: number;
}

export const CONTEXT_LENGTH = 128;

export async function pretrainDemoModel(spec: DemoModelSpec, documents: readonly string[], dir: string, log: (line: string) => void): Promise<{ checkpoint: string }> {
  const checkpoint = join(dir, spec.name, 'model.safetensors');
  if (existsSync(checkpoint)) return { checkpoint };
  const shape: Gpt2Shape = { vocabSize: 50257, contextLength: CONTEXT_LENGTH, embDim: spec.embDim, nLayers: spec.nLayers, nHeads: spec.nHeads, qkvBias: true, tiedHead: true };
  const tokens = encodeGpt2Documents(documents);
  const trainer = await Gpt2Trainer.create({
    shape,
    parameters: randomGpt2Parameters(shape, 1234),
    optimizer: { lr: 2e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01 },
  });
  const batch = 8;
  const seq = 64;
  const random = seededRandom(`pretrain-${spec.name}`);
  const started = performance.now();
  let last = Number.NaN;
  try {
    for (let step = 0; step < spec.steps; step++) {
      const inputs = new Int32Array(batch * seq);
      const targets = new Int32Array(batch * seq);
      for (let row = 0; row < batch; row++) {
        const begin = Math.floor(random() * (tokens.length - seq - 1));
        for (let t = 0; t < seq; t++) {
          inputs[row * seq + t] = tokens[begin + t] as number;
          targets[row * seq + t] = tokens[begin + t + 1] as number;
        }
      }
      last = (await trainer.accumulateGradients({ inputs, targets, batch, seq })).loss;
      await trainer.applyGradients();
    }
    await mkdir(join(dir, spec.name), { recursive: true });
    await writeTrainingSafetensors(checkpoint, toCheckpointTensors(shape, trainer.parameters, 'hf'), { format: 'pt' });
    await writeJsonAtomic(join(dir, spec.name, 'config.json'), gpt2ConfigToJson({ ...shape }, 'hf'));
  } finally {
    await trainer.dispose();
  }
  log(`pre-trained ${spec.name} (${spec.embDim} wide, ${spec.nLayers} layers): ${spec.steps} steps, last batch loss ${last.toFixed(2)}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { checkpoint };
}

export async function writeText(path: string, text: string): Promise<void> {
  await writeFile(path, text);
}
