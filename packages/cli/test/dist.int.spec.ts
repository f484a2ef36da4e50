// The one check that runs the BUILT packages (dist/), the way a user's project loads them: plain node, no
// source condition, no TypeScript. `npm test` builds first (pretest).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const packages = ['core', 'datasets', 'judges', 'backends', 'queue', 'cli'];

describe('built packages (dist/)', () => {
  it('every package has a built entry point (run `npm run build` first)', () => {
    const missing = packages.filter((name) => !existsSync(join(root, 'packages', name, 'dist', 'index.js')));
    expect(missing).toEqual([]);
  });

  it('imports the public API of each package from dist with plain node', async () => {
    const script = `
      import 'reflect-metadata';
      const core = await import('@judgekit/core');
      const judges = await import('@judgekit/judges');
      const datasets = await import('@judgekit/datasets');
      const backends = await import('@judgekit/backends');
      const out = {
        core: import.meta.resolve('@judgekit/core'),
        hash: core.canonicalHash({ b: 1, a: 2 }),
        judgesModule: typeof judges.default,
        datasetsModule: typeof datasets.default,
        backendsModule: typeof backends.default,
      };
      console.log(JSON.stringify(out));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    const out = JSON.parse(stdout) as Record<string, string>;
    expect(out.core).toMatch(/packages\/core\/dist\/index\.js$/);
    expect(out.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(out.judgesModule).toBe('object');
    expect(out.datasetsModule).toBe('object');
    expect(out.backendsModule).toBe('object');
  });

  it('runs the built CLI binary', async () => {
    const { stdout } = await run(process.execPath, [join(root, 'packages/cli/bin/judgekit.js'), '--help'], { cwd: root });
    expect(stdout).toContain('Usage: judgekit <command>');
    expect(stdout).toMatch(/judge\s+/);
  });
});
