// The study's answer text: decode prompt + completion, cut the prompt's characters off the front, remove every
// response header, trim. Decoding the whole sequence (not just the completion) matches the study byte for byte
// when a character spans the prompt/completion boundary.

export const DEFAULT_RESPONSE_HEADER = '### Response:';

/**
 * `decodedFull` is decode(prompt ids + completion ids); `promptText` the prompt string the ids came from.
 * Removes `promptText.length` characters from the front (as the study's `generated_text[len(input_text):]`),
 * then every occurrence of `responseHeader`, then surrounding whitespace.
 */
export function extractAnswerText(decodedFull: string, promptText: string, responseHeader: string = DEFAULT_RESPONSE_HEADER): string {
  let answer = decodedFull.slice(promptText.length);
  if (responseHeader !== '') answer = answer.split(responseHeader).join('');
  return answer.trim();
}
