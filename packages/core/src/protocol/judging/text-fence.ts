// Markdown code fences that cannot be closed from inside: a fence one backtick longer than the longest
// backtick run in the text. This keeps an answer that contains "```" or "# Model 2" from forging structure
// in a prompt that shows several answers.

export function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return longest;
}

/** The fence for `text`: at least three backticks, and longer than any backtick run inside it. */
export function fenceFor(text: string): string {
  return '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
}

/** `text` inside a fence it cannot close. */
export function fenced(text: string): string {
  const fence = fenceFor(text);
  return `${fence}\n${text}\n${fence}`;
}
