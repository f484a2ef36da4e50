// The study's answer text: decode prompt + completion, cut the prompt's characters off the front, remove every
// response header, trim. Decoding the whole sequence (not just the completion) matches the study byte for byte
// when a character spans the prompt/completion boundary.

export const DEFAULT_RESPONSE_HEADER = '### Response:';

// Python's str.strip() whitespace (str.isspace): JS trim() differs on U+001C-U+001F and U+0085 (Python strips them)
// and U+FEFF (JS strips it). The study used Python, so strip exactly its set.
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** Python's `str.strip()` with no arguments. */
export function pythonStrip(text: string): string {
  return text.replace(PY_STRIP, '');
}

/**
 * `decodedFull` is decode(prompt ids + completion ids); `promptText` the prompt string the ids came from.
 * Removes `promptText.length` characters from the front (as the study's `generated_text[len(input_text):]`),
 * then every occurrence of `responseHeader`, then surrounding whitespace (Python's definition of it).
 */
export function extractAnswerText(decodedFull: string, promptText: string, responseHeader: string = DEFAULT_RESPONSE_HEADER): string {
  let answer = decodedFull.slice(promptText.length);
  if (responseHeader !== '') answer = answer.split(responseHeader).join('');
  return pythonStrip(answer);
}
