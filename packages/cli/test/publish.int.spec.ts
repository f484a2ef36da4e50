// Publishing: each workspace package's manifest is fit to publish, and its `npm pack` tarball works in a fresh
// project. The tarballs are installed into a temporary project (npm, from the registry or its cache for
// third-party dependencies), every exported subpath is imported with plain node, a third-party judge plugin and
// dataset plugin (examples/plugins) are type-checked against the installed types and loaded through a config
// by the compose-a-pipeline guide script, and the installed `judgekit` binary judges that pipeline's answers.
// Needs the built dist/ folders (`npm test` builds first) and npm; about 30-60 s, most of it `npm install`.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli-process.js';

const run = promisify(execFile);
const PACKAGES = ['core', 'datasets', 'judges', 'backends', 'report', 'cli'] as const;

interface Manifest {
  name: string;
  version: string;
  type?: string;
  license?: string;
  engines?: { node?: string };
  files?: string[];
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const manifests = Object.fromEntries(PACKAGES.map((dir) => [dir, JSON.parse(readFileSync(join(REPO_ROOT, 'packages', dir, 'package.json'), 'utf8')) as Manifest]));
/** Newest modification time of the non-test sources under a folder. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.ts$/.test(entry.name) && !/\.spec\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

// `npm test` builds first (pretest); run alone, this test needs a build at least as new as the sources.
const missingDist = PACKAGES.filter((dir) => !existsSync(join(REPO_ROOT, 'packages', dir, 'dist', 'index.js')));
const staleDist = PACKAGES.filter(
  (dir) => !missingDist.includes(dir) && statSync(join(REPO_ROOT, 'packages', dir, 'dist', 'index.js')).mtimeMs < newestSource(join(REPO_ROOT, 'packages', dir, 'src')),
);
const skipReason =
  missingDist.length > 0 || staleDist.length > 0
    ? ` (skipped: dist/ ${[...missingDist.map((dir) => `missing in ${dir}`), ...staleDist.map((dir) => `older than src/ in ${dir}`)].join(', ')}; run \`npm run build\` first)`
    : '';

describe('package manifests', () => {
  it.each(PACKAGES)('%s has exports with types, files, engines, a licence and ESM type', (dir) => {
    const manifest = manifests[dir] as Manifest;
    expect(manifest.type).toBe('module');
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.engines?.node).toBe('>=20');
    expect(manifest.files).toContain('dist');
    expect(manifest.exports?.['./package.json']).toBe('./package.json');
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (subpath === './package.json') continue;
      expect(typeof target, subpath).toBe('object');
      const conditions = target as Record<string, string>;
      expect(Object.keys(conditions), subpath).toEqual(['@judgekit/source', 'types', 'import']);
      expect(conditions.types, subpath).toMatch(/^\.\/dist\/.+\.d\.ts$/);
      expect(conditions.import, subpath).toBe(conditions.types!.replace(/\.d\.ts$/, '.js'));
      // The source condition is private: it must point into src/, which is not published.
      expect(conditions['@judgekit/source'], subpath).toMatch(/^\.\/src\/.+\.ts$/);
    }
    // Workspace packages depend on each other at the exact version they are released together with.
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
      if (name.startsWith('@judgekit/')) expect(range, `${dir} -> ${name}`).toBe(manifests[name.slice('@judgekit/'.length)]?.version);
    }
  });

  it.each(PACKAGES)('%s has a README and the licence text, and publishes both', (dir) => {
    const manifest = manifests[dir] as Manifest;
    expect(existsSync(join(REPO_ROOT, 'packages', dir, 'README.md'))).toBe(true);
    expect(readFileSync(join(REPO_ROOT, 'packages', dir, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    expect(manifest.files).toEqual(expect.arrayContaining(['README.md', 'LICENSE']));
  });
});

describe('versioning with changesets', () => {
  it('releases every workspace package together, at one version, from the pending changesets', async () => {
    const config = JSON.parse(readFileSync(join(REPO_ROOT, '.changeset', 'config.json'), 'utf8')) as { fixed: string[][]; baseBranch: string; access: string };
    const names = PACKAGES.map((dir) => (manifests[dir] as Manifest).name).sort();
    expect(config.fixed.map((group) => [...group].sort())).toEqual([names]);
    expect(config.access).toBe('public');
    const { default: getReleasePlan } = (await import('@changesets/get-release-plan')) as unknown as { default: (cwd: string) => Promise<{ changesets: Array<{ releases: Array<{ name: string }> }>; releases: Array<{ name: string; newVersion: string }> }> };
    const plan = await getReleasePlan(REPO_ROOT);
    for (const changeset of plan.changesets) for (const release of changeset.releases) expect(names).toContain(release.name);
    if (plan.releases.length > 0) {
      expect(plan.releases.map((release) => release.name).sort()).toEqual(names);
      expect(new Set(plan.releases.map((release) => release.newVersion)).size).toBe(1);
    }
  });
});

describe.skipIf(skipReason !== '')(`npm pack tarballs in a fresh project${skipReason}`, () => {
  let work: string;
  let project: string;
  const tarballs = new Map<string, { file: string; files: string[] }>();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'judgekit-publish-'));
    const packs = join(work, 'tarballs');
    await mkdir(packs);
    const { stdout } = await run('npm', ['pack', ...PACKAGES.flatMap((dir) => ['-w', `packages/${dir}`]), '--pack-destination', packs, '--json', '--ignore-scripts'], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const packed of JSON.parse(stdout) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>) {
      tarballs.set(packed.name, { file: join(packs, packed.filename), files: packed.files.map((file) => file.path) });
    }

    project = join(work, 'consumer');
    await mkdir(join(project, 'plugins'), { recursive: true });
    const dependencies: Record<string, string> = { inversify: '^8.2.2', 'reflect-metadata': '^0.2.2' };
    for (const [name, { file }] of tarballs) dependencies[name] = `file:${file}`;
    // Overrides make every package use the local tarballs of its siblings, never a registry copy.
    const overrides = Object.fromEntries([...tarballs.keys()].filter((name) => name.startsWith('@judgekit/')).map((name) => [name, `$${name}`]));
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'judgekit-consumer', private: true, type: 'module', dependencies, devDependencies: { '@types/node': '^20.19.43' }, overrides }, null, 2),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: project,
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 240_000,
    });
    // The plugins and the guide script, exactly as documented; they import only the packages' public API.
    for (const file of ['length-judge-plugin.ts', 'tiny-dataset-plugin.ts', 'words-study.json']) await cp(join(REPO_ROOT, 'examples', 'plugins', file), join(project, 'plugins', file));
    await cp(join(REPO_ROOT, 'examples', 'guide-compose-pipeline.ts'), join(project, 'guide-compose-pipeline.ts'));
  }, 300_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('every tarball holds the files its exports, main, types and bin name', () => {
    expect([...tarballs.keys()].sort()).toEqual(PACKAGES.map((dir) => (manifests[dir] as Manifest).name).sort());
    for (const dir of PACKAGES) {
      const manifest = manifests[dir] as Manifest;
      const packed = tarballs.get(manifest.name)!;
      const targets = [manifest.main, manifest.types, ...Object.values(manifest.bin ?? {})];
      for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
        if (typeof target === 'string') targets.push(target);
        else targets.push(target.types, target.import);
        expect(subpath === './package.json' || typeof target === 'object').toBe(true);
      }
      for (const target of [...targets, 'README.md', 'LICENSE']) if (target) expect(packed.files, `${manifest.name}: ${target}`).toContain(target.replace(/^\.\//, ''));
      // Nothing but built output and metadata: no sources, tests or configs.
      expect(packed.files.filter((file) => /^(src|test)\/|\.spec\.|tsconfig|vitest|tsup/.test(file)), manifest.name).toEqual([]);
    }
  });

  it('imports every exported subpath of every installed package with plain node', async () => {
    const specifiers: string[] = [];
    for (const dir of PACKAGES) {
      const manifest = manifests[dir] as Manifest;
      for (const subpath of Object.keys(manifest.exports ?? {})) {
        if (subpath !== './package.json') specifiers.push(subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`);
      }
    }
    const script = `
      import 'reflect-metadata';
      const out = {};
      for (const specifier of ${JSON.stringify(specifiers)}) {
        const module = await import(specifier);
        out[specifier] = { exports: Object.keys(module).length, resolved: import.meta.resolve(specifier) };
      }
      console.log(JSON.stringify(out));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    const out = JSON.parse(stdout) as Record<string, { exports: number; resolved: string }>;
    for (const specifier of specifiers) {
      expect(out[specifier]?.exports, specifier).toBeGreaterThan(0);
      expect(out[specifier]?.resolved, specifier).toContain(`${project}/node_modules/`);
      expect(out[specifier]?.resolved, specifier).toMatch(/\/dist\/.+\.js$/);
    }
  });

  it('type-checks third-party plugins against the installed types, loads them through a config and runs a pipeline', async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          verbatimModuleSyntax: true,
          skipLibCheck: true,
          types: ['node'],
          ignoreDeprecations: '6.0',
        },
        include: ['*.ts', 'plugins/*.ts'],
      }),
    );
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch((error: { stdout?: string }) => {
      throw new Error(`the plugins do not type-check against the published types:\n${error.stdout ?? String(error)}`);
    });
    const runDir = join(project, 'run');
    const first = await run(process.execPath, ['guide-compose-pipeline.js', 'plugins/words-study.json', runDir], { cwd: project });
    const summary = JSON.parse(first.stdout.trim().split('\n').at(-1) as string) as {
      plugins: string[];
      ran: string[];
      models: Array<{ name: string; score: number; scored: number; failed: number }>;
    };
    expect(summary.plugins).toEqual(['./length-judge-plugin.js', './tiny-dataset-plugin.js']);
    expect(summary.ran).toEqual(['split', 'answer', 'judge']);
    const [echo, shout] = summary.models;
    expect(echo).toMatchObject({ name: 'echo', scored: 10, failed: 0 });
    expect(shout).toMatchObject({ name: 'shout', scored: 10, failed: 0 });
    // The length judge: "SHOUT!!!" is exactly three characters longer than the echo on every item.
    expect(shout!.score - echo!.score).toBeCloseTo(3, 9);
    const again = await run(process.execPath, ['guide-compose-pipeline.js', 'plugins/words-study.json', runDir], { cwd: project });
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ ran: [], skipped: ['split', 'answer', 'judge'] });

    // The installed binary judges the same answers with a built-in judge.
    const bin = join(project, 'node_modules', '.bin', 'judgekit');
    const judged = await run(bin, ['judge', '--mode', 'reference', '--out', join(project, 'reference-run'), join(runDir, 'echo-ift-test-results.json'), join(runDir, 'shout-ift-test-results.json')], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', HOME: project, JUDGEKIT_CACHE_DIR: join(project, 'cache'), CI: '1' },
    });
    expect(judged.stdout).toMatch(/\| echo \| 100\.00 \|/);
    const results = JSON.parse(await readFile(join(project, 'reference-run', 'results.json'), 'utf8')) as { models: Array<{ name: string; scored: number }> };
    expect(results.models.map((model) => [model.name, model.scored])).toEqual([
      ['echo', 10],
      ['shout', 10],
    ]);
  }, 120_000);
});
