// Test items with planted answers: each answer's text is unique and maps to a known true quality, so the judge
// simulator can score it and a test can check what the statistics recover.
import { formatAlpacaPrompt, seededRandom, type RunItems } from '@judgekit/core';

export interface PlantedModel {
  name: string;
  /** Mean true quality of this model's answers. */
  quality: number;
  /** Mean answer length in words (default 20). */
  words?: number;
}

export interface PlantedRun {
  items: RunItems;
  /** True quality of every answer text. */
  quality: Map<string, number>;
}

const INSTRUCTIONS: Array<[string, string, string]> = [
  ['What is the capital of France?', '', 'The capital of France is Paris.'],
  ['Rewrite the sentence in passive voice.', 'The chef cooked the meal.', 'The meal was cooked by the chef.'],
  ['Calculate 12 * 7.', '', '12 * 7 = 84.'],
  ['Who wrote "Hamlet"?', '', 'William Shakespeare wrote "Hamlet".'],
  ['Translate "thank you" into German.', '', '"Danke".'],
  ['How many days are in a leap year?', '', 'A leap year has 366 days.'],
  ['Suggest a name for a bakery.', '', 'Rise & Shine Bakery.'],
  ['Define the word "ephemeral".', '', 'Lasting for a very short time.'],
  ['Classify the following as fruit or vegetable.', 'carrot', 'Vegetable.'],
  ['Write a haiku about rain.', '', 'Soft rain on the roof / ...'],
];

const FILLER = ['the', 'answer', 'is', 'that', 'this', 'model', 'thinks', 'about', 'it', 'and', 'writes', 'words', 'here', 'now'];

/**
 * `items` test items for `models`; an answer's quality is the model's quality + an item difficulty offset
 * (shared by all models) + a small per-answer jitter, all seeded.
 */
export function plantedRun(models: readonly PlantedModel[], itemCount: number, seed: number | string = 1, options: { itemSpread?: number; jitter?: number } = {}): PlantedRun {
  const random = seededRandom(`${String(seed)}/planted`);
  const quality = new Map<string, number>();
  const items: RunItems['items'] = [];
  const responses = models.map(() => [] as string[]);
  for (let i = 0; i < itemCount; i++) {
    const [instruction, input, output] = INSTRUCTIONS[i % INSTRUCTIONS.length] as [string, string, string];
    items.push({ index: i, instruction, input, output, prompt: formatAlpacaPrompt({ instruction, input }) });
    const difficulty = (random() - 0.5) * 2 * (options.itemSpread ?? 10);
    models.forEach((model, m) => {
      const words = Math.max(1, Math.round((model.words ?? 20) * (0.5 + random())));
      const body = Array.from({ length: words }, () => FILLER[Math.floor(random() * FILLER.length)] as string).join(' ');
      const text = `${model.name} on item ${i}: ${body}.`;
      quality.set(text, model.quality + difficulty + (random() - 0.5) * 2 * (options.jitter ?? 3));
      (responses[m] as string[]).push(text);
    });
  }
  return { items: { items, models: models.map((m, k) => ({ name: m.name, responses: responses[k] as string[] })) }, quality };
}
