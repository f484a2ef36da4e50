// Files and folders that must not outlive the process: temporaries of atomic writes in progress, ONNX graphs
// written beside their external weights. They are removed when the process exits, also through
// `process.exit()` after SIGINT/SIGTERM (see the CLI's signal handling); a SIGKILL leaves them to the next
// run's sweep.
import { rmSync } from 'node:fs';

const registered = new Set<string>();
let listening = false;

/** Remove `path` (file or folder) if the process exits before the returned function is called. */
export function removeOnExit(path: string): () => void {
  if (!listening) {
    listening = true;
    process.once('exit', removeRegisteredNow);
  }
  registered.add(path);
  return () => {
    registered.delete(path);
  };
}

/** Remove everything registered, synchronously (an `exit` listener cannot wait); returns what was removed. */
export function removeRegisteredNow(): string[] {
  const removed: string[] = [];
  for (const path of registered) {
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Best effort: the next run's sweep catches what is left.
    }
  }
  registered.clear();
  return removed;
}
