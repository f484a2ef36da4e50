// A full garbage collection on request. After a big model's weights are written to an ONNX external-data file, the
// JS copy (gigabytes of ArrayBuffers) is garbage, but V8 sees no reason to collect it while ONNX Runtime, outside
// the JS heap, loads its own copy: without this, loading GPT-2 large (2.9 GiB of F32 weights) peaked at 6.8 GiB
// of RSS, with it at 3.7 GiB.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

function findGc(): (() => void) | null {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    // The flag only adds the `gc` function to contexts created after it is set.
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    return null;
  }
}

/** Run a full collection if the runtime allows it; returns whether it ran. */
export function collectGarbage(): boolean {
  gc ??= findGc();
  if (!gc) return false;
  gc();
  return true;
}
