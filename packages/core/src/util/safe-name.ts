// Names from configs and flags (models, judges) become parts of file names in a run directory. A name that could
// point elsewhere (`../x`, `a/b`, an absolute path) or that a file system cannot hold is refused, naming where it
// was given.
import { JudgekitError } from '../errors.js';

// Separators of every platform and control characters. (':' stays allowed: the study's own model names use it.)
const UNSAFE = /[\\/\u0000-\u001f\u007f]/;

export function pathSafeNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') return 'is empty';
  if (name === '.' || name === '..') return `is "${name}"`;
  if (UNSAFE.test(name)) return 'contains a path separator or a control character';
  if (name.length > 200) return 'is longer than 200 characters';
  return undefined;
}

/** Throws unless `name` can be one part of a path; `where` says where it came from (`study.json: models[1].name`). */
export function assertPathSafeName(name: string, where: string): void {
  const problem = pathSafeNameProblem(name);
  if (problem) {
    throw new JudgekitError('config', `${where}: the name ${JSON.stringify(name)} ${problem}; it becomes part of a file name in the run directory, so leave out '/' and '\\'.`);
  }
}
