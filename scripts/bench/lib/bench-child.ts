// Runs one benchmark case in a fresh Node process, so each figure (time and peak RSS) is isolated from the
// others and from the parent that builds the model. The child prints one `RESULT {json}` line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CASES = fileURLToPath(new URL('./bench-cases.ts', import.meta.url));

export async function runCase<T>(name: string, params: Record<string, unknown>, log: (line: string) => void = () => {}): Promise<T> {
  const child = spawn(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', CASES, name, JSON.stringify(params)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line.startsWith('LOG ')) log(line.slice(4));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`bench case ${name} failed (exit ${code}):\n${stderr.slice(-4000)}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}
