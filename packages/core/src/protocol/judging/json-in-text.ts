// Finds JSON objects inside free text (a judge's reply with prose, code fences or an explanation around its JSON):
// brace matching that knows JSON strings, so a `}` inside a comment does not end the object.

/** Index just past the `}` that closes the `{` at `start`, or -1 when it never closes. */
export function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i++;
      else if (char === 0x22 /* " */) inString = false;
      continue;
    }
    if (char === 0x22) inString = true;
    else if (char === 0x7b /* { */) depth++;
    else if (char === 0x7d /* } */) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * The JSON objects in `text`, in order: each balanced `{...}` that parses as a JSON object. After an object the
 * search goes on after its end; after a span that does not parse, from the next `{`. At most `maxTries` spans are
 * tried, so adversarial text (thousands of unclosed braces) costs a bounded number of linear scans.
 */
export function jsonObjectsIn(text: string, maxTries = 16): Array<Record<string, unknown>> {
  const found: Array<Record<string, unknown>> = [];
  let from = text.indexOf('{');
  for (let tries = 0; from >= 0 && tries < maxTries; tries++) {
    const end = matchingBrace(text, from);
    if (end < 0) {
      from = text.indexOf('{', from + 1);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text.slice(from, end));
    } catch {
      value = undefined;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      found.push(value as Record<string, unknown>);
      from = text.indexOf('{', end);
    } else {
      from = text.indexOf('{', from + 1);
    }
  }
  return found;
}
