import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { coreRange, PLUGIN_DEV_DEPENDENCIES, PLUGIN_KINDS, scaffoldPlugin } from './plugin-scaffold.js';

const rootManifest = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };

describe('scaffoldPlugin', () => {
  it('pins the dev dependencies at the ranges the repository itself uses', () => {
    for (const [name, range] of Object.entries(PLUGIN_DEV_DEPENDENCIES)) expect(rootManifest.devDependencies[name], name).toBe(range);
  });

  it.each(PLUGIN_KINDS)('writes a publishable %s package whose sources use the chosen id and names', (kind) => {
    const files = scaffoldPlugin({ kind, packageName: '@acme/judgekit-plugin-word-recall', id: 'word-recall', dirName: 'judgekit-plugin-word-recall', judgekitVersion: '1.2.3', licenseText: 'licence' });
    const stem = `word-recall-${kind}`;
    expect(Object.keys(files).sort()).toEqual(
      ['.gitignore', 'LICENSE', 'README.md', 'package.json', 'tsconfig.json', 'tsup.config.ts', 'src/index.ts', `src/${stem}-module.ts`, `src/${stem}.ts`, `src/${stem}.spec.ts`, `src/${stem}-module.int.spec.ts`].sort(),
    );
    const manifest = JSON.parse(files['package.json'] as string) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: '@acme/judgekit-plugin-word-recall',
      type: 'module',
      license: 'Apache-2.0',
      engines: { node: '>=20' },
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
      files: ['dist', 'README.md', 'LICENSE'],
      peerDependencies: { '@judgekit/core': coreRange('1.2.3') },
      devDependencies: { '@judgekit/core': '^1.2.3', ...PLUGIN_DEV_DEPENDENCIES },
      publishConfig: { access: 'public' },
      keywords: ['judgekit-plugin', 'judgekit', kind],
    });
    expect(manifest.scripts).toMatchObject({ build: 'tsup', test: 'vitest run' });
    // Self-contained: nothing refers to the judgekit repository's files.
    for (const [path, text] of Object.entries(files)) expect(text, path).not.toMatch(/\.\.\/\.\.\/|tsup\.base|vitest\.shared|@judgekit\/source/);
    expect(files[`src/${stem}-module.ts`]).toMatch(/import \{ ContainerModule, \w+ \} from '@judgekit\/core';/);
    expect(files[`src/${stem}.ts`]).toMatch(/\bid(: | = )'word-recall'/);
    expect(files[`src/${stem}.ts`]).toContain('optionsSchema');
    expect(files['README.md']).toMatch(/## Build and test[\s\S]*## Use it in a study[\s\S]*"plugins": \["@acme\/judgekit-plugin-word-recall"\][\s\S]*## Options[\s\S]*## Publish/);
  });

  it('leaves LICENSE out of the files when there is no licence text', () => {
    const files = scaffoldPlugin({ kind: 'judge', packageName: 'x', id: 'x', dirName: 'x', judgekitVersion: '0.1.0', license: 'MIT' });
    expect(files.LICENSE).toBeUndefined();
    expect(JSON.parse(files['package.json'] as string)).toMatchObject({ license: 'MIT', files: ['dist', 'README.md'] });
  });
});
