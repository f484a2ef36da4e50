// Runs `judgekit` in-process through main() with captured output, for tests that need no separate process.
import { Writable } from 'node:stream';
import { main } from '../../src/main.js';

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A writable stream that keeps what is written to it. */
export function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

export async function runMain(argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<MainResult> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { stdout: stdout.stream, stderr: stderr.stream, env: options.env ?? {}, cwd: options.cwd });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
