// Whether a path exists, as a boolean: for "resume if there, start fresh if not" decisions.
import { access } from 'node:fs/promises';

export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
