// The throughput benchmarks' `--model` choice (scripts/bench/lib/bench-model-option.ts), what the Llama shape is
// built from (scripts/bench/lib/bench-model.ts): its FLOP count and its synthetic 49,152-entry tokenizer.json, and the
// bench cases' peak-memory figure (scripts/bench/lib/peak-rss.ts). The benchmarks themselves are not run here (the
// Llama shape writes 0.5 GB).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { benchModelOption, benchSection, SMOLLM_135M_SHAPE } from '../../../scripts/bench/lib/bench-model-option.ts';
import { llamaForwardFlops, smollmStyleTokenizerJson } from '../../../scripts/bench/lib/bench-model.ts';
import { llamaParameterSpecs } from '../../backends/src/architectures/llama/llama-parameters.ts';

describe('the benchmarks --model option', () => {
  it('defaults to 124m and reads smollm-135m in both --model=value and --model value form, among other arguments', () => {
    expect(benchModelOption([])).toBe('124m');
    expect(benchModelOption(['loss', 'generate', '--gen-prompts=4'])).toBe('124m');
    expect(benchModelOption(['loss', '--model=smollm-135m', 'train'])).toBe('smollm-135m');
    expect(benchModelOption(['loss', '--model', 'smollm-135m', 'generate'])).toBe('smollm-135m');
    expect(benchModelOption(['--model=124m'])).toBe('124m');
    expect(benchModelOption(['loss', '--model', 'medium'])).toBe('medium');
    expect(benchModelOption(['loss', '--model=xl'], 'loss')).toBe('xl');
    expect(benchModelOption(['loss', '--model', 'large'])).toBe('large');
  });

  it('refuses an unknown shape naming the choices, and points generation and training at the larger GPT-2 sizes to the big benchmark', () => {
    expect(() => benchModelOption(['--model=llama-7b'])).toThrow('--model for loss must be one of 124m, medium, smollm-135m, large, xl; got "llama-7b"');
    expect(() => benchModelOption(['--model=llama-7b'], 'train')).toThrow('--model for train must be one of 124m, medium, smollm-135m; got "llama-7b"');
    expect(() => benchModelOption(['--model', 'xl'], 'generate')).toThrow("(GPT-2 xl's generation is `npm run bench -- big --model=xl`)");
    expect(() => benchModelOption(['--model=large'], 'train')).toThrow("(GPT-2 large's fine-tuning is `npm run bench -- big --model=large --finetune`)");
    expect(() => benchModelOption(['loss', '--model'])).toThrow('got ""');
  });

  it("writes 124m's figures to the benchmark's own section and another shape's to a section named after it", () => {
    expect(benchSection('loss', '124m')).toBe('loss');
    expect(benchSection('generate', 'smollm-135m')).toBe('generate-smollm-135m');
    expect(benchSection('loss', 'medium')).toBe('loss-medium');
  });
});

describe("the benchmarks' SmolLM-135M-shaped Llama", () => {
  it('counts 2 FLOPs per weight of every matrix (the tied head once) plus the attention products per token', () => {
    const specs = llamaParameterSpecs({ ...SMOLLM_135M_SHAPE });
    const matrixWeights = specs.filter((s) => s.shape.length === 2).reduce((n, s) => n + s.shape[0]! * s.shape[1]!, 0);
    const allWeights = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    // SmolLM-135M's parameter count (134.5M) with the tied head.
    expect(allWeights).toBe(134_515_008);
    const { nLayers: L, nHeads: H, headDim: D } = SMOLLM_135M_SHAPE;
    expect(llamaForwardFlops(SMOLLM_135M_SHAPE, 1, 1)).toBe(2 * matrixWeights + 4 * L * 1 * H * D);
    expect(llamaForwardFlops(SMOLLM_135M_SHAPE, 3, 512)).toBe(3 * 512 * (2 * matrixWeights + 4 * L * 512 * H * D));
  });

  it('builds a byte-level BPE tokenizer.json of exactly 49,152 ids, <|endoftext|> at 0, that encodes and decodes text within the vocabulary', () => {
    const json = smollmStyleTokenizerJson() as { model: { vocab: Record<string, number>; merges: string[] } };
    const ids = Object.values(json.model.vocab);
    expect(ids).toHaveLength(SMOLLM_135M_SHAPE.vocabSize);
    expect(new Set(ids).size).toBe(SMOLLM_135M_SHAPE.vocabSize);
    expect(Math.min(...ids)).toBe(0);
    expect(Math.max(...ids)).toBe(SMOLLM_135M_SHAPE.vocabSize - 1);
    expect(json.model.vocab['<|endoftext|>']).toBe(0);
    // Every merge makes a token of the vocabulary from two of its tokens.
    for (const merge of json.model.merges) {
      const [left, right] = merge.split(' ') as [string, string];
      expect(json.model.vocab[left] !== undefined && json.model.vocab[right] !== undefined && json.model.vocab[left + right] !== undefined, merge).toBe(true);
    }
    const tokenizer = new Tokenizer(json as never, {});
    const text = 'Below is an instruction that describes a task.\n\n### Instruction:\nName three primary colours, naïvely: "red", …';
    const encoded: number[] = tokenizer.encode(text, { add_special_tokens: false }).ids;
    // Merges make words single tokens (far fewer ids than bytes), and every id is inside the model's vocabulary.
    expect(encoded.length).toBeLessThan(Buffer.byteLength(text) / 2);
    expect(Math.max(...encoded)).toBeLessThan(SMOLLM_135M_SHAPE.vocabSize);
    expect(tokenizer.decode(encoded, { skip_special_tokens: false })).toBe(text);
    expect(tokenizer.encode('<|endoftext|>').ids).toEqual([0]);
  });
});

describe("a bench case's peak RSS", () => {
  it('is the child process\'s own high-water mark, not the size of the process that spawned it', () => {
    // The spawning process holds 400 MB more than a fresh Node process needs; a child that only starts Node and
    // reads its figure stays far below that (maxRSS from getrusage would start at the parent's size).
    const ballast = new Float64Array(50_000_000).fill(1);
    const module = resolve(import.meta.dirname, '../../../scripts/bench/lib/peak-rss.ts');
    const child = spawnSync(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', `import { peakRssMb } from ${JSON.stringify(module)}; console.log(peakRssMb());`], {
      encoding: 'utf8',
      cwd: resolve(import.meta.dirname, '../../..'),
    });
    expect(child.status, child.stderr).toBe(0);
    expect(ballast[49_999_999]).toBe(1);
    const childPeak = Number(child.stdout.trim());
    expect(childPeak).toBeGreaterThan(10);
    expect(childPeak).toBeLessThan(300);
    expect(process.memoryUsage().rss / 2 ** 20).toBeGreaterThan(400);
  });
});
