// A process that stops mid-write, for the signal tests: it starts an atomic write to argv[2] (the temporary
// file gets some bytes, then the write waits), prints `writing`, and, if argv[3] is `honour`, ends the write
// with an error when its AbortSignal fires; otherwise the write never ends.
import { writeFile } from 'node:fs/promises';
import { replaceAtomically } from '@judgekit/core';
import { stopOnSignals } from '../../src/signals.js';

const controller = new AbortController();
stopOnSignals(controller, { graceMs: 300 });
const [target, mode] = process.argv.slice(2);
try {
  await replaceAtomically(target!, async (temporary) => {
    await writeFile(temporary, 'partial');
    process.stdout.write('writing\n');
    await new Promise<void>((_, reject) => {
      if (mode === 'honour') controller.signal.addEventListener('abort', () => reject(new Error('stopped')));
      setInterval(() => undefined, 1000);
    });
  });
} catch (error) {
  process.stdout.write(`write failed: ${(error as Error).message}\n`);
  process.exit(3);
}
