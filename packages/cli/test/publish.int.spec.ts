// Publishing: each workspace package's manifest is fit to publish, and its `npm pack` tarball works in a fresh
// project. The tarballs are installed into a temporary project (npm, from the registry or its cache for
// third-party dependencies), every exported subpath is imported with plain node, a third-party judge plugin and
// dataset plugin (examples/plugins) are type-checked against the installed types and loaded through a config
// by the compose-a-pipeline guide script, and the installed `judgekit` binary judges that pipeline's answers.
// The example plugin packages (examples/plugins/*: a rubric judge, a unigram backend, a words dataset) are packed
// and installed the same way, in both inversify layouts (one copy taken from @judgekit/core; the plugin's own
// nested copy), and `npx judgekit run` runs a study that names them beside built-in judges and backends.
// Needs the built dist/ folders (`npm test` builds first) and npm; about 30-60 s, most of it `npm install`.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeTestLoss, openTokenSource, type RunLosses, type RunResults } from '@judgekit/core';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { fencedBlocks, startFakeLlmServer } from '@judgekit/judges/testing';
import { countTokens, gpt2Tokenizer, UnigramModel } from 'judgekit-plugin-unigram';
import { REPO_ROOT } from './support/cli-process.js';

const run = promisify(execFile);
const PACKAGES = ['core', 'datasets', 'judges', 'backends', 'report', 'queue', 'cli'] as const;
/** The example plugins under examples/plugins/, each an npm package of its own. */
const PLUGINS = ['rubric-judge', 'unigram-backend', 'words-dataset'] as const;
/** Every workspace folder that is packed, relative to the repository root. */
const WORKSPACES = [...PACKAGES.map((dir) => `packages/${dir}`), ...PLUGINS.map((dir) => `examples/plugins/${dir}`)];

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
  private?: boolean;
  keywords?: string[];
}

const manifests = Object.fromEntries(PACKAGES.map((dir) => [dir, JSON.parse(readFileSync(join(REPO_ROOT, 'packages', dir, 'package.json'), 'utf8')) as Manifest]));
const pluginManifests = Object.fromEntries(PLUGINS.map((dir) => [dir, JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'plugins', dir, 'package.json'), 'utf8')) as Manifest]));
const allManifests = [...Object.values(manifests), ...Object.values(pluginManifests)];
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
const missingDist = WORKSPACES.filter((dir) => !existsSync(join(REPO_ROOT, dir, 'dist', 'index.js')));
const staleDist = WORKSPACES.filter(
  (dir) => !missingDist.includes(dir) && statSync(join(REPO_ROOT, dir, 'dist', 'index.js')).mtimeMs < newestSource(join(REPO_ROOT, dir, 'src')),
);
const skipReason =
  missingDist.length > 0 || staleDist.length > 0
    ? ` (skipped: dist/ ${[...missingDist.map((dir) => `missing in ${dir}`), ...staleDist.map((dir) => `older than src/ in ${dir}`)].join(', ')}; run \`npm run build\` first)`
    : '';

/** What every package manifest here needs: ESM, the licence, Node 20, dist/ published, source-condition exports. */
function expectPublishableManifest(manifest: Manifest): void {
  expect(manifest.type).toBe('module');
  expect(manifest.license).toBe('Apache-2.0');
  expect(manifest.engines?.node).toBe('>=20');
  expect(manifest.files).toContain('dist');
  expect(manifest.files).toEqual(expect.arrayContaining(['README.md', 'LICENSE']));
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
}

describe('package manifests', () => {
  it.each(PACKAGES)('%s has exports with types, files, engines, a licence and ESM type', (dir) => {
    const manifest = manifests[dir] as Manifest;
    expectPublishableManifest(manifest);
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

  it.each(PLUGINS)('example plugin %s is a package: peer of @judgekit/core, no other plugin, a README and the licence', (dir) => {
    const manifest = pluginManifests[dir] as Manifest;
    expectPublishableManifest(manifest);
    expect(manifest.name).toMatch(/^judgekit-plugin-[a-z]+$/);
    expect(manifest.keywords).toContain('judgekit-plugin');
    // Never published from here by accident: the examples are for copying.
    expect(manifest.private).toBe(true);
    expect(manifest.peerDependencies?.['@judgekit/core']).toBeDefined();
    // A plugin depends on core (as a peer, so the application has one copy), never on judgekit's other packages.
    expect(Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@judgekit/') || name.startsWith('judgekit'))).toEqual([]);
    expect(existsSync(join(REPO_ROOT, 'examples', 'plugins', dir, 'README.md'))).toBe(true);
    expect(readFileSync(join(REPO_ROOT, 'examples', 'plugins', dir, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
  });
});

describe('versioning with changesets', () => {
  it('releases every workspace package together, at one version, from the pending changesets', async () => {
    const config = JSON.parse(readFileSync(join(REPO_ROOT, '.changeset', 'config.json'), 'utf8')) as { fixed: string[][]; baseBranch: string; access: string };
    const names = PACKAGES.map((dir) => (manifests[dir] as Manifest).name).sort();
    expect(config.fixed.map((group) => [...group].sort())).toEqual([names]);
    expect(config.access).toBe('public');
    const { default: getReleasePlan } = (await import('@changesets/get-release-plan')) as unknown as { default: (cwd: string) => Promise<{ changesets: Array<{ releases: Array<{ name: string }> }>; releases: Array<{ name: string; type: string; newVersion: string }> }> };
    const plan = await getReleasePlan(REPO_ROOT);
    for (const changeset of plan.changesets) for (const release of changeset.releases) expect(names).toContain(release.name);
    // The example plugins are private workspaces: changesets lists them with type "none" and never versions them.
    const releases = plan.releases.filter((release) => release.type !== 'none');
    if (releases.length > 0) {
      expect(releases.map((release) => release.name).sort()).toEqual(names);
      expect(new Set(releases.map((release) => release.newVersion)).size).toBe(1);
    }
  });
});

const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
const NPM_ENV = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false' };

/**
 * Gives an installed plugin a copy of inversify of its own, at another version than the application's, as npm
 * leaves it when the plugin pins one or is developed with `npm link`: inversify and its exactly pinned
 * @inversifyjs/* packages under node_modules/<plugin>/node_modules, installed by npm in a side folder.
 */
async function nestInversify(work: string, project: string, plugin: string): Promise<void> {
  const shared = (JSON.parse(await readFile(join(project, 'node_modules', 'inversify', 'package.json'), 'utf8')) as Manifest).version;
  const side = join(work, 'nested-inversify');
  await mkdir(side);
  await writeFile(join(side, 'package.json'), JSON.stringify({ name: 'nested-inversify', private: true, dependencies: { inversify: shared === '8.2.2' ? '8.2.3' : '8.2.2' } }));
  await run('npm', NPM_INSTALL, { cwd: side, env: NPM_ENV, timeout: 120_000 });
  await rename(join(side, 'node_modules'), join(project, 'node_modules', plugin, 'node_modules'));
}

describe.skipIf(skipReason !== '')(`npm pack tarballs in a fresh project${skipReason}`, () => {
  let work: string;
  let project: string;
  const tarballs = new Map<string, { file: string; files: string[] }>();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'judgekit-publish-'));
    const packs = join(work, 'tarballs');
    await mkdir(packs);
    const { stdout } = await run('npm', ['pack', ...WORKSPACES.flatMap((dir) => ['-w', dir]), '--pack-destination', packs, '--json', '--ignore-scripts'], {
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
    await run('npm', NPM_INSTALL, { cwd: project, env: NPM_ENV, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 });
    // The plugins and the guide script, exactly as documented; they import only the packages' public API.
    for (const file of ['length-judge-plugin.ts', 'words-study.json']) await cp(join(REPO_ROOT, 'examples', 'plugins', file), join(project, 'plugins', file));
    await cp(join(REPO_ROOT, 'examples', 'guide-compose-pipeline.ts'), join(project, 'guide-compose-pipeline.ts'));
    await nestInversify(work, project, 'judgekit-plugin-words');
  }, 300_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('every tarball holds the files its exports, main, types and bin name', () => {
    expect([...tarballs.keys()].sort()).toEqual(allManifests.map((manifest) => manifest.name).sort());
    for (const manifest of allManifests) {
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
    for (const manifest of allManifests) {
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
    expect(summary.plugins).toEqual(['./length-judge-plugin.js', 'judgekit-plugin-words']);
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

  it('loads plugin packages in both inversify layouts: one copy from @judgekit/core, and the plugin\'s own nested copy', async () => {
    const script = `
      import 'reflect-metadata';
      import { existsSync, readFileSync } from 'node:fs';
      import { ContainerModule } from '@judgekit/core';
      const out = {};
      for (const name of ['judgekit-plugin-rubric', 'judgekit-plugin-unigram', 'judgekit-plugin-words']) {
        const own = 'node_modules/' + name + '/node_modules/inversify/package.json';
        out[name] = {
          sharedClass: (await import(name)).default instanceof ContainerModule,
          ownInversify: existsSync(own) ? JSON.parse(readFileSync(own, 'utf8')).version : null,
        };
      }
      out.shared = JSON.parse(readFileSync('node_modules/inversify/package.json', 'utf8')).version;
      console.log(JSON.stringify(out));
    `;
    const layout = JSON.parse((await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project })).stdout) as Record<string, { sharedClass: boolean; ownInversify: string | null }> & { shared: string };
    // (a) ContainerModule taken from @judgekit/core: the application's one copy.
    expect(layout['judgekit-plugin-rubric']).toEqual({ sharedClass: true, ownInversify: null });
    expect(layout['judgekit-plugin-unigram']).toEqual({ sharedClass: true, ownInversify: null });
    // (b) ContainerModule from the plugin's own inversify, another version: a class judgekit's copy does not know.
    expect(layout['judgekit-plugin-words']?.sharedClass).toBe(false);
    expect(layout['judgekit-plugin-words']?.ownInversify).toMatch(/^8\./);
    expect(layout['judgekit-plugin-words']?.ownInversify).not.toBe(layout.shared);

    const bin = join(project, 'node_modules', '.bin', 'judgekit');
    const plugins = ['judgekit-plugin-rubric', 'judgekit-plugin-unigram', 'judgekit-plugin-words'].flatMap((name) => ['--plugin', name]);
    const { stdout } = await run(bin, ['plugins', ...plugins, '--json'], { cwd: project, env: { PATH: process.env.PATH ?? '', HOME: project, CI: '1' } });
    const listed = JSON.parse(stdout) as Array<{ kind: string; id: string; package: string; version: string | null; optionsSchema: { required?: string[]; properties?: Record<string, unknown> } | null }>;
    const find = (kind: string, id: string) => listed.find((entry) => entry.kind === kind && entry.id === id);
    expect(find('judge', 'rubric')).toMatchObject({ package: 'judgekit-plugin-rubric', version: '0.1.0', optionsSchema: { required: ['criteria'] } });
    expect(Object.keys(find('judge', 'rubric')?.optionsSchema?.properties ?? {})).toEqual(['criteria', 'scale', 'showReference']);
    expect(find('backend', 'unigram')).toMatchObject({ package: 'judgekit-plugin-unigram', version: '0.1.0' });
    expect(Object.keys(find('backend', 'unigram')?.optionsSchema?.properties ?? {})).toEqual(['smoothing']);
    expect(find('dataset', 'words')).toMatchObject({ package: 'judgekit-plugin-words', version: '0.1.0' });
    // The built-ins are still there beside them.
    expect(find('judge', 'reference')?.package).toBe('@judgekit/judges');
    expect(find('backend', 'onnxruntime')?.package).toBe('@judgekit/backends');
  }, 60_000);

  it('`npx judgekit run` runs a study naming the plugin judge (with options), backend and dataset beside built-ins', async () => {
    const criteria = ['Repeats the word of the input.', 'Adds nothing unrelated.'];
    // The fake judge model: 8 of 10 for an answer that holds the reference's word, 3 otherwise.
    const server = await startFakeLlmServer((request) => {
      const blocks = Object.fromEntries(fencedBlocks(request.prompt).map((block) => [block.heading, block.text]));
      const [reference, answer] = [blocks['A correct answer:'], blocks["The model's answer:"]];
      if (reference === undefined || answer === undefined) return { status: 400, errorMessage: 'not a rubric prompt' };
      return answer.includes(reference.split(' ')[0] as string) ? '8' : '3';
    });
    try {
      const models = join(project, 'models');
      await mkdir(models, { recursive: true });
      // The built-in backend's model: a tiny seeded GPT-2. The plugin backend's: unigram counts of two words.
      await createTinyGpt2({ dir: models, name: 'tiny', vocabSize: 50257, contextLength: 128, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
      const unigram = countTokens(gpt2Tokenizer.encode(' apple river'.repeat(5)), 64);
      await writeFile(join(models, 'unigram.json'), JSON.stringify(unigram));
      await writeFile(join(models, 'tokens.bin'), Uint16Array.from(gpt2Tokenizer.encode(' apple river lantern orbit'.repeat(12))));
      const study = {
        plugins: ['judgekit-plugin-rubric', 'judgekit-plugin-unigram', 'judgekit-plugin-words'],
        runDir: 'study-run',
        seed: 7,
        dataset: { kind: 'words', location: 'words:40', options: { words: ['apple', 'river'] }, limit: 4 },
        models: [
          { name: 'tiny-gpt2', checkpoint: 'models/tiny.safetensors' },
          { name: 'unigram', backend: 'unigram', checkpoint: 'models/unigram.json', options: { smoothing: 0.5 } },
        ],
        loss: { data: 'models/tokens.bin', contextLength: 8, batchSize: 2 },
        generation: { maxNewTokens: 6 },
        judges: [{ mode: 'reference' }, { mode: 'rubric', judge: 'openai:judge-model', temperature: 0, options: { criteria, scale: 10 } }],
      };
      await writeFile(join(project, 'study.json'), JSON.stringify(study, null, 2));
      const { stdout, stderr } = await run('npx', ['--no', '--', 'judgekit', 'run', 'study.json'], {
        cwd: project,
        env: { PATH: process.env.PATH ?? '', HOME: project, CI: '1', npm_config_update_notifier: 'false', JUDGEKIT_CACHE_DIR: join(project, 'cache'), OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.openaiBaseURL },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 150_000,
      });
      const out = join(project, 'study-run');
      // The plugin dataset (the nested-inversify layout) gave the test items both models answered.
      expect(stderr).toMatch(/dataset: 40 records/);
      expect(stdout).toMatch(/\| model \| test loss \| reference score \| rubric score \|/);

      // Both backends' losses; the unigram one is exactly the plugin's model with the config's smoothing.
      const losses = JSON.parse(await readFile(join(out, 'loss.json'), 'utf8')) as RunLosses;
      expect(losses.models.map((model) => model.name)).toEqual(['tiny-gpt2', 'unigram']);
      const expected = async (smoothing: number): Promise<number> => {
        const source = await openTokenSource(join(models, 'tokens.bin'));
        try {
          return (await computeTestLoss(new UnigramModel(unigram, smoothing), source, { contextLength: 8, batchSize: 2 })).loss;
        } finally {
          await source.close();
        }
      };
      expect(losses.models[1]!.loss).toBeCloseTo(await expected(0.5), 5);
      expect(losses.models[1]!.loss).not.toBeCloseTo(await expected(1), 3);
      expect(losses.models[0]!.loss).toBeGreaterThan(0);

      // Both judges' columns: the built-in reference judge and the plugin's rubric judge, its options applied.
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
      expect(results.judges.map((judge) => [judge.name, judge.mode, judge.provider, judge.model])).toEqual([
        ['reference', 'reference', 'none', 'rouge-l-f1'],
        ['rubric', 'rubric', 'openai', 'judge-model'],
      ]);
      const items = JSON.parse(await readFile(join(out, 'items.json'), 'utf8')) as { items: Array<{ output: string }>; models: Array<{ name: string; responses: string[] }> };
      expect(results.items).toBe(items.items.length);
      expect(results.items).toBeGreaterThan(0);
      for (const model of results.models) {
        const { reference, rubric } = model.judges ?? {};
        expect(reference, model.name).toMatchObject({ scored: results.items, failed: 0 });
        expect(rubric, model.name).toMatchObject({ scored: results.items, failed: 0 });
        expect(reference!.score).toBeGreaterThanOrEqual(0);
        expect(reference!.score).toBeLessThanOrEqual(100);
        // What the fake judge gave each answer, rescaled from 0-10 to 0-100.
        const responses = items.models.find((answers) => answers.name === model.name)!.responses;
        const scores = responses.map((response, index) => (response.includes(items.items[index]!.output.split(' ')[0] as string) ? 80 : 30));
        expect(rubric!.score).toBeCloseTo(scores.reduce((sum, score) => sum + score, 0) / scores.length, 9);
      }
      // The unigram model answers "apple river": every answer holds the word, and overlaps the reference.
      const unigramRow = results.models.find((model) => model.name === 'unigram')!;
      expect(unigramRow.judges?.rubric?.score).toBe(80);
      expect(unigramRow.judges?.reference?.score).toBeGreaterThan(0);
      expect(server.requests).toHaveLength(2 * results.items);
      for (const request of server.requests) expect(request.prompt).toContain(`1. ${criteria[0]}\n2. ${criteria[1]}`);

      const report = await readFile(join(out, 'report.html'), 'utf8');
      expect(report).toContain('rubric');
      expect(report).toContain('unigram');
    } finally {
      await server.close();
    }
  }, 180_000);
});
