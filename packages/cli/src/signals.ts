// How the CLI stops. The first SIGINT or SIGTERM asks the command to stop (its AbortSignal): finished work is
// kept and a rerun carries on. A second signal, or a SIGTERM whose command has not stopped within the grace
// period, exits at once; either way the exit removes the temporary files of writes in progress (core's
// exit-cleanup), so no half-written file, however big, is left behind. A SIGKILL cannot be caught: the next run
// sweeps what it leaves.
import { isDelegatingToChild } from './huge-pages.js';

export interface StopOnSignalsOptions {
  /** How long a SIGTERM waits for the command to stop before exiting. Default 10 s (`JUDGEKIT_TERM_GRACE_MS`). */
  graceMs?: number;
}

const EXIT_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Install the handlers; returns the function that removes them. */
export function stopOnSignals(controller: AbortController, options: StopOnSignalsOptions = {}): () => void {
  const graceMs = options.graceMs ?? (Number(process.env.JUDGEKIT_TERM_GRACE_MS) || 10_000);
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received++;
    // A parent that re-ran the command in a huge-pages child forwards the signal and waits for the child.
    if (isDelegatingToChild()) return;
    if (received > 1) process.exit(EXIT_CODES[signal] ?? 1);
    controller.abort(new Error(signal === 'SIGINT' ? 'interrupted' : 'terminated'));
    if (signal === 'SIGTERM') setTimeout(() => process.exit(EXIT_CODES.SIGTERM), graceMs).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
