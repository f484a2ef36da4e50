// `judgekit new plugin`, end to end as a plugin author goes: scaffold each kind into a temporary folder, `npm
// install` (third-party packages from the registry or npm's cache; @judgekit/core as a tarball packed from this
// checkout, built fresh, since it is not on the registry), type-check, build with tsup and run the generated tests
// with vitest. Then the judge plugin is packed and installed into a study project (beside this checkout's core, as
// `npm install judgekit` would bring it), listed by `judgekit plugins` and used by `judgekit run` beside the built-in
// reference judge. Also the command's refusals. About a minute, most of it `npm install`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '@judgekit/core';
import { cleanEnv, CLI_SOURCE, REPO_ROOT, type CliResult } from './support/cli-process.js';
import { runMain } from './support/run-main.js';

const exec = promisify(execFile);
const KINDS = ['judge', 'backend', 'dataset'] as const;

/**
 * The environment of the npm and vitest children: this process's, without what vitest and an enclosing `npm test`
 * set for themselves (a nested vitest must not think it is a worker; a nested npm must not see the workspace).
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  for (const key of Object.keys(env)) {
    if (/^(VITEST|FORCE_COLOR$|NODE_OPTIONS$|INIT_CWD$|npm_package_|npm_lifecycle_|npm_config_local_prefix$|npm_config_workspace)/.test(key)) delete env[key];
  }
  return env;
}

async function npm(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await exec('npm', [...args, '--loglevel=error'], { cwd, env: childEnv(), maxBuffer: 16 * 1024 * 1024, timeout: 180_000 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/**
 * `judgekit` from this checkout's sources as a child process in `cwd`, the way a user's shell runs it. Not in-process:
 * under vitest an installed package's `import '@judgekit/core'` is loaded by Node itself, which cannot run the
 * TypeScript sources the private source condition points at; tsx can.
 */
async function judgekitProcess(args: string[], cwd: string): Promise<CliResult> {
  const tsx = pathToFileURL(createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx/esm')).href;
  const argv = ['--conditions=@judgekit/source', '--import', tsx, join(REPO_ROOT, CLI_SOURCE), ...args];
  // tsx reads the compiler settings (decorators) from the repository's tsconfig, not from the study's folder.
  const env = cleanEnv({ JUDGEKIT_CACHE_DIR: join(work, 'cache'), TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.json') });
  try {
    const { stdout, stderr } = await exec(process.execPath, argv, { cwd, env, timeout: 90_000 });
    return { code: 0, signal: null, stdout, stderr };
  } catch (error) {
    const { code, signal, stdout, stderr } = error as { code?: number; signal?: NodeJS.Signals; stdout?: string; stderr?: string };
    return { code: typeof code === 'number' ? code : null, signal: signal ?? null, stdout: stdout ?? '', stderr: stderr ?? '' };
  }
}

let work: string;
let coreTarball: string;

const judgekit = (args: string[], cwd: string) => runMain(args, { cwd, env: { JUDGEKIT_CACHE_DIR: join(work, 'cache') } });
const pluginDir = (kind: string) => join(work, `judgekit-plugin-fancy-${kind}`);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'judgekit-new-plugin-'));
  // @judgekit/core as it would be published, built from this checkout's sources (not the possibly stale dist/).
  const core = join(work, 'core-package');
  await mkdir(core);
  for (const file of ['package.json', 'README.md', 'LICENSE']) await cp(join(REPO_ROOT, 'packages/core', file), join(core, file));
  await cp(join(REPO_ROOT, 'packages/core/schema'), join(core, 'schema'), { recursive: true });
  await exec(join(REPO_ROOT, 'node_modules/.bin/tsup'), ['--out-dir', join(core, 'dist')], { cwd: join(REPO_ROOT, 'packages/core'), env: childEnv(), maxBuffer: 16 * 1024 * 1024 });
  const packed = JSON.parse(await npm(['pack', core, '--pack-destination', work, '--ignore-scripts', '--json'], work)) as Array<{ filename: string }>;
  coreTarball = join(work, (packed[0] as { filename: string }).filename);
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('judgekit new plugin', () => {
  it('refuses a bad name, a bad kind, a bad id and a folder with files in it', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['new', 'plugin', '--kind', 'judge', 'Judgekit-Plugin-X'], /"Judgekit-Plugin-X" cannot be an npm package name: it has capital letters/],
      [['new', 'plugin', '--kind', 'judge', 'fs'], /is the name of a Node\.js core module/],
      [['new', 'plugin', '--kind', 'metric', 'judgekit-plugin-x'], /Unsupported --kind "metric"\. Should be one of: judge, backend, dataset\./],
      [['new', 'plugin', 'judgekit-plugin-x'], /needs --kind/],
      [['new', 'plugin', '--kind', 'judge', '--id', 'Fancy', 'judgekit-plugin-x'], /--id "Fancy" must be lower-case words joined by dashes/],
      [['new', 'project', 'x'], /judgekit new makes plugins/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await judgekit(args, work);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
    await mkdir(join(work, 'taken'));
    await writeFile(join(work, 'taken', 'notes.txt'), 'mine');
    const taken = await judgekit(['new', 'plugin', '--kind', 'judge', '--dir', 'taken', 'judgekit-plugin-x'], work);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/taken is not empty; judgekit new never overwrites files/);
    expect(await readdir(join(work, 'taken'))).toEqual(['notes.txt']);
  });

  it('takes the id from the name, writes a scoped package into --dir, and says what to do next', async () => {
    const { code, stdout } = await judgekit(['new', 'plugin', '--kind', 'dataset', '--dir', 'scoped', '--license', 'MIT', '@acme/judgekit-plugin-qa-dataset'], work);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Created @acme\/judgekit-plugin-qa-dataset, a judgekit dataset plugin \(dataset "qa"\), in scoped:/);
    expect(stdout).toMatch(/Next steps:\n {2}cd scoped\n {2}npm install\n {2}npm run build && npm test/);
    expect(stdout).toMatch(/Add the text of your MIT licence as LICENSE/);
    const manifest = JSON.parse(await readFile(join(work, 'scoped', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: '@acme/judgekit-plugin-qa-dataset', license: 'MIT', files: ['dist', 'README.md'], publishConfig: { access: 'public' } });
    expect(existsSync(join(work, 'scoped', 'LICENSE'))).toBe(false);
    expect(existsSync(join(work, 'scoped', 'src', 'qa-dataset.ts'))).toBe(true);
  });
});

describe.each(KINDS)('a scaffolded %s plugin', (kind) => {
  it('installs, type-checks, builds and passes its own tests', async () => {
    const { code, stdout, stderr } = await judgekit(['new', 'plugin', '--kind', kind, `judgekit-plugin-fancy-${kind}`], work);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`src/fancy-${kind}-module.ts`);
    const dir = pluginDir(kind);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string>; keywords: string[]; license: string };
    const coreVersion = (JSON.parse(await readFile(join(REPO_ROOT, 'packages/core/package.json'), 'utf8')) as { version: string }).version;
    expect(manifest.peerDependencies).toEqual({ '@judgekit/core': `^${coreVersion}` });
    expect(manifest.keywords).toContain('judgekit-plugin');
    expect(await readFile(join(dir, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    // What the README says to run; @judgekit/core from the local tarball (--no-save keeps package.json as written).
    await npm(['install', '--prefer-offline', '--no-save', coreTarball], dir);
    await npm(['run', 'typecheck'], dir);
    await npm(['run', 'build'], dir);
    expect(existsSync(join(dir, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(dir, 'dist', 'index.d.ts'))).toBe(true);
    const tests = await npm(['test'], dir);
    expect(tests).toMatch(/Test Files\s+2 passed/);
  }, 180_000);
});

describe('the scaffolded judge plugin in a study', () => {
  it('is packed, installed into a study project and scores answers in `judgekit run` beside the reference judge', async () => {
    const dir = pluginDir('judge');
    expect(existsSync(join(dir, 'dist', 'index.js')), 'the judge plugin was built by the test above').toBe(true);
    const packed = JSON.parse(await npm(['pack', '--pack-destination', work, '--json'], dir)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    expect(packed[0]?.files.map((file) => file.path).sort()).toEqual(['LICENSE', 'README.md', 'dist/index.d.ts', 'dist/index.js', 'dist/index.js.map', 'package.json']);

    const study = join(work, 'study');
    await mkdir(study);
    await writeFile(join(study, 'package.json'), JSON.stringify({ name: 'my-study', private: true, type: 'module' }));
    // `npm install judgekit judgekit-plugin-fancy-judge`, modulo the local judgekit: this checkout's core (linked, so
    // the plugin and the judgekit below share it) and, below, its command line.
    await npm(['install', '--prefer-offline', '--no-save', join(work, (packed[0] as { filename: string }).filename), join(REPO_ROOT, 'packages/core')], study);

    const items = [
      { instruction: 'Name two primary colours.', input: '', output: 'Red and blue.' },
      { instruction: 'What is the capital of France?', input: '', output: 'Paris is the capital.' },
    ];
    await writeFile(join(study, 'echo-ift-test-results.json'), JSON.stringify(items.map((item) => ({ ...item, model_response: item.output }))));
    await writeFile(join(study, 'vague-ift-test-results.json'), JSON.stringify(items.map((item) => ({ ...item, model_response: 'I am not sure.' }))));
    const config = {
      runDir: 'run',
      plugins: ['judgekit-plugin-fancy-judge'],
      models: [
        { name: 'echo', answers: 'echo-ift-test-results.json' },
        { name: 'vague', answers: 'vague-ift-test-results.json' },
      ],
      judges: [{ mode: 'reference' }, { mode: 'fancy', options: { caseSensitive: false } }],
      reporters: [],
    };
    await writeFile(join(study, 'study.json'), JSON.stringify(config));

    const listed = await judgekitProcess(['plugins', '--plugin', 'judgekit-plugin-fancy-judge', '--kind', 'judge'], study);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/judge\s+fancy\s+judgekit-plugin-fancy-judge@0\.1\.0\s+caseSensitive/);

    const { code, stdout, stderr } = await judgekitProcess(['run', 'study.json', '--quiet'], study);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/\| model \| test loss \| reference score \| fancy score \|/);
    const results = JSON.parse(await readFile(join(study, 'run', 'results.json'), 'utf8')) as RunResults;
    expect(results.judges.map((judge) => judge.name)).toEqual(['reference', 'fancy']);
    const [echo, vague] = results.models;
    expect(echo?.judges?.fancy?.score).toBe(100);
    expect(vague?.judges?.fancy?.score).toBe(0);
    expect(echo?.judges?.reference?.score).toBeGreaterThan(vague?.judges?.reference?.score ?? 100);

    // A bad option for the plugin's mode is a one-line config error naming the path.
    await writeFile(join(study, 'bad.json'), JSON.stringify({ ...config, judges: [{ mode: 'fancy', options: { caseSensitive: 'no' } }] }));
    const bad = await judgekitProcess(['run', 'bad.json'], study);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.json: judges\[0\]\.options\.caseSensitive: must be boolean/);
  }, 120_000);
});
