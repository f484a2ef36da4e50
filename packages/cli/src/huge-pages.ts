// Training and inference with full-vocabulary tensors run several times faster when glibc's malloc uses huge
// pages; the setting only works at process start, so long-running commands re-run themselves once with it.
import { spawn } from 'node:child_process';
import type { CliIo } from './cli-command.js';

/**
 * On Linux, run the command again in a child process with glibc's malloc asking for transparent huge pages. Each
 * training step allocates and frees ~0.4 GB [tokens, vocab] tensors; with 4 KiB pages the page faults on them cost
 * about as much CPU as the matmuls (measured: 7.3 CPU-s against 2.1 CPU-s for the head matmul + log-softmax of
 * GPT-2 small at 8 x 256). The variable only takes effect at process start, hence the child. Only when this
 * process is the real CLI (its own stdout), so tests and embedders run in-process. Returns the child's exit code,
 * or undefined to carry on here.
 */
const WATCH_PARENT = 'JUDGEKIT_WATCH_PARENT';

let delegating = false;

/** Whether this process is only waiting for a huge-pages child that does the work (signals are forwarded to it). */
export function isDelegatingToChild(): boolean {
  return delegating;
}

/**
 * In the re-run child: when the parent goes away (its IPC channel closes, which also happens on SIGKILL), stop at
 * once, as the parent did, rather than train on as an orphan. Every file is written atomically, so a rerun
 * resumes from the last completed epoch either way.
 */
export function stopWithParent(): void {
  if (!process.env[WATCH_PARENT] || !process.send) return;
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

export async function rerunWithHugePages(io: CliIo): Promise<number | undefined> {
  const env = process.env;
  if (process.platform !== 'linux' || io.stdout !== process.stdout || /hugetlb/.test(env.GLIBC_TUNABLES ?? '') || env.JUDGEKIT_NO_HUGEPAGES) return undefined;
  // And a fixed mmap threshold: glibc otherwise raises it as large blocks are freed, after which the training
  // step's many 6-25 MB tensors come from its heap and stay there when freed (measured: peak RSS of GPT-2 small
  // fine-tuning at 8 x 256 5.91 GB with huge pages alone, 4.40 GB with both; docs/training.md).
  const tunables = [env.GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1', 'glibc.malloc.mmap_threshold=4194304'].filter(Boolean).join(':');
  // An IPC channel lets the child notice when this process dies, even by SIGKILL, and stop too (see below).
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...env, GLIBC_TUNABLES: tunables, [WATCH_PARENT]: '1' },
  });
  // The terminal's Ctrl-C reaches the child too; wait for it to stop rather than leave it running.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  delegating = true;
  try {
    return await new Promise<number | undefined>((done) => {
      child.on('error', () => done(undefined));
      child.on('close', (code, signal) => done(code ?? (signal ? 130 : 1)));
    });
  } finally {
    delegating = false;
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}


/** Commands that train or run models, and so re-run themselves with huge pages when started as the CLI. */
const HUGE_PAGE_COMMANDS: ReadonlySet<string> = new Set(['run', 'finetune', 'loss', 'generate']);

/**
 * The CLI entry (bin): the re-run happens here, never inside a command, so a script that calls `main()` in-process
 * is not re-executed from its start.
 */
export async function runCli(argv: string[], io: CliIo, main: (argv: string[], io: CliIo) => Promise<number>): Promise<number> {
  stopWithParent();
  if (argv[0] !== undefined && HUGE_PAGE_COMMANDS.has(argv[0]) && !argv.includes('--help') && !argv.includes('-h')) {
    const code = await rerunWithHugePages(io);
    if (code !== undefined) return code;
  }
  return main(argv, io);
}
