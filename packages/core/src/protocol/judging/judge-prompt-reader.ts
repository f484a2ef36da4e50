// Read back what a judge prompt shows (the inverse of the prompt formatters), so a fake or simulated judge can
// answer from the answers themselves (and a wrong slot-to-model mapping shows up as wrong scores).

/** The fenced blocks of a prompt in order, each with the heading line that precedes it, fences matched by length. */
export function fencedBlocks(prompt: string): Array<{ heading: string; text: string }> {
  const lines = prompt.split('\n');
  const blocks: Array<{ heading: string; text: string }> = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const open = /^(`{3,})$/.exec(line);
    if (!open) {
      if (line.trim() !== '') heading = line;
      continue;
    }
    const fence = open[1] as string;
    const end = lines.indexOf(fence, i + 1);
    if (end < 0) break;
    blocks.push({ heading, text: lines.slice(i + 1, end).join('\n') });
    heading = '';
    i = end;
  }
  return blocks;
}

/** The answers a batched judge prompt shows, in slot order ("# Model 1" first). */
export function batchedPromptAnswers(prompt: string): string[] {
  return fencedBlocks(prompt)
    .filter((block) => /^# Model \d+$/.test(block.heading))
    .map((block) => block.text);
}

/** The model response a single-judge prompt asks about. */
export function singlePromptAnswer(prompt: string): string | undefined {
  const match = /score the model response `([\s\S]*)` on a scale (?:from|of) 0 to 100/.exec(prompt);
  return match?.[1];
}

/** The two answers a pairwise judge prompt shows: "# Model A" then "# Model B". */
export function pairwisePromptAnswers(prompt: string): string[] {
  return fencedBlocks(prompt)
    .filter((block) => /^# Model [AB]$/.test(block.heading))
    .map((block) => block.text);
}

export type JudgePromptReading = { kind: 'single'; answers: [string] } | { kind: 'batched'; answers: string[] } | { kind: 'pairwise'; answers: string[] } | { kind: 'unknown'; answers: [] };

/** Which of the judge prompts this is (single in either wording, batched, or pairwise) and the answers it shows. */
export function readJudgePrompt(prompt: string): JudgePromptReading {
  if (/judging the comparative capabilities of two different/.test(prompt)) return { kind: 'pairwise', answers: pairwisePromptAnswers(prompt) };
  if (/judging the comparative capabilities/.test(prompt)) return { kind: 'batched', answers: batchedPromptAnswers(prompt) };
  const single = singlePromptAnswer(prompt);
  if (single !== undefined) return { kind: 'single', answers: [single] };
  return { kind: 'unknown', answers: [] };
}

/** A batched reply giving each slot `scoreOf(answer)`. */
export function batchedReplyFor(prompt: string, scoreOf: (answer: string, slot: number) => number, comments = true): string {
  const reply: Record<string, { score: number; comments?: string }> = {};
  batchedPromptAnswers(prompt).forEach((answer, slot) => {
    reply[`Model ${slot + 1}`] = comments ? { score: scoreOf(answer, slot), comments: `slot ${slot + 1}` } : { score: scoreOf(answer, slot) };
  });
  return JSON.stringify(reply);
}
