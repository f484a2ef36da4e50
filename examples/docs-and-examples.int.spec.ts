// Every example under examples/ and every TypeScript block in docs/ is type-checked and run, so the
// documentation cannot drift from the code.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const snippetDir = join(root, '.test-output', 'doc-snippets');

/** Run by their own test below (demo.ts), or modules the examples import (demo-models.ts). */
const RUN_ELSEWHERE = new Set(['demo.ts', 'demo-models.ts']);

function docSnippets(): Array<{ name: string; code: string }> {
  const snippets: Array<{ name: string; code: string }> = [];
  for (const file of readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(root, 'docs', file), 'utf8');
    const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)];
    blocks.forEach((match, index) => snippets.push({ name: `${file.replace(/\.md$/, '')}-${index + 1}.ts`, code: match[1] as string }));
  }
  return snippets;
}

function runTs(file: string, cwd: string) {
  return run(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', file], {
    cwd,
    env: { ...process.env, JUDGEKIT_EXAMPLE_QUICK: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
}

describe('docs and examples', () => {
  const snippets = docSnippets();
  rmSync(snippetDir, { recursive: true, force: true });
  mkdirSync(snippetDir, { recursive: true });
  for (const snippet of snippets) writeFileSync(join(snippetDir, snippet.name), `${snippet.code}\nexport {};\n`);
  writeFileSync(
    join(snippetDir, 'tsconfig.json'),
    JSON.stringify({ extends: '../../tsconfig.json', include: ['./*.ts'] }, null, 2),
  );

  it('type-checks the whole repository, examples and doc snippets included', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], { cwd: root, maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc failed:\n${error.stdout ?? String(error)}`);
    });
    if (snippets.length > 0) {
      await run(process.execPath, [tsc, '-p', join(snippetDir, 'tsconfig.json'), '--noEmit'], { cwd: root }).catch((error: { stdout?: string }) => {
        throw new Error(`doc snippets failed to type-check:\n${error.stdout ?? String(error)}`);
      });
    }
  });

  for (const snippet of snippets) {
    it(`runs the docs snippet ${snippet.name}`, async () => {
      const { stderr } = await runTs(join(snippetDir, snippet.name), root);
      expect(stderr).not.toMatch(/Error/);
    });
  }

  it('runs the demo (quick mode): pre-training, loss, fine-tuning, generation, judging, table and report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'judgekit-demo-'));
    const { stdout } = await run(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', join(root, 'examples', 'demo.ts')], {
      cwd: root,
      env: { ...process.env, JUDGEKIT_EXAMPLE_QUICK: '1', JUDGEKIT_DEMO_DIR: dir, JUDGEKIT_CACHE_DIR: join(dir, 'cache'), OPENAI_API_KEY: '' },
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toMatch(/\| model \| test loss \| reference score \|/);
    const results = JSON.parse(readFileSync(join(dir, 'run', 'results.json'), 'utf8')) as { models: Array<{ name: string; loss?: number; scored: number }> };
    expect(results.models.map((model) => model.name)).toEqual(['wide-long', 'wide-short', 'narrow-long']);
    for (const model of results.models) {
      expect(model.loss).toBeGreaterThan(0);
      expect(model.scored).toBeGreaterThan(0);
    }
    // More pre-training gives a lower held-out loss than fewer steps of the same shape.
    expect(results.models[0]!.loss!).toBeLessThan(results.models[1]!.loss!);
    expect(readFileSync(join(dir, 'run', 'report.html'), 'utf8')).toContain('wide-long');
  });

  const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.config.ts') && !RUN_ELSEWHERE.has(f));
  for (const example of examples) {
    it(`runs examples/${example}`, async () => {
      const { stdout } = await runTs(join(root, 'examples', example), root);
      expect(stdout.length).toBeGreaterThan(0);
    });
  }
});
