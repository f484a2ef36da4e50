// `judgekit new plugin`: the files of a new plugin package. What every kind shares lives here (package.json,
// tsconfig, tsup config, README, .gitignore); each kind's sources, tests and README usage come from its template.
import { backendPluginTemplate } from './backend-plugin-template.js';
import { datasetPluginTemplate } from './dataset-plugin-template.js';
import { judgePluginTemplate } from './judge-plugin-template.js';
import { FENCE, type PluginKind, type PluginNames, type PluginTemplate, type ScaffoldContext } from './plugin-template.js';

export type { PluginKind } from './plugin-template.js';

/**
 * Dev dependencies of a scaffolded plugin, at the ranges the judgekit repository itself pins (a unit test keeps
 * them equal to the root package.json).
 */
export const PLUGIN_DEV_DEPENDENCIES = Object.freeze({
  '@types/node': '^20.19.43',
  tsup: '~8.5',
  typescript: '~6.0.3',
  vitest: '^4.1.12',
});

export const PLUGIN_TEMPLATES: Readonly<Record<PluginKind, PluginTemplate>> = Object.freeze({
  judge: judgePluginTemplate,
  backend: backendPluginTemplate,
  dataset: datasetPluginTemplate,
});

export const PLUGIN_KINDS = Object.freeze(Object.keys(PLUGIN_TEMPLATES) as PluginKind[]);

function pascalCase(id: string): string {
  return id
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

export function pluginNames(packageName: string, id: string, kind: PluginKind): PluginNames {
  const className = `${pascalCase(id)}${pascalCase(kind)}`;
  return {
    packageName,
    id,
    className,
    valueName: className.charAt(0).toLowerCase() + className.slice(1),
    fileStem: `${id}-${kind}`,
  };
}

/** `^0.1.0`: the judgekit release the plugin is written against and any later compatible one. */
export function coreRange(version: string): string {
  return `^${version}`;
}

function packageJson(context: ScaffoldContext, withLicenseFile: boolean): string {
  const { names, kind } = context;
  const core = coreRange(context.judgekitVersion);
  const manifest = {
    name: names.packageName,
    version: '0.1.0',
    description: context.description,
    license: context.license,
    type: 'module',
    engines: { node: '>=20' },
    exports: {
      '.': { types: './dist/index.d.ts', import: './dist/index.js' },
      './package.json': './package.json',
    },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist', 'README.md', ...(withLicenseFile ? ['LICENSE'] : [])],
    scripts: {
      build: 'tsup',
      test: 'vitest run',
      typecheck: 'tsc --noEmit',
      prepublishOnly: 'npm run typecheck && npm test && npm run build',
    },
    // The application's judgekit provides core (and with it inversify), so there is one copy of each; the dev
    // dependency is the same core, for building and testing.
    peerDependencies: { '@judgekit/core': core },
    devDependencies: { '@judgekit/core': core, ...PLUGIN_DEV_DEPENDENCIES },
    publishConfig: { access: 'public' },
    keywords: ['judgekit-plugin', 'judgekit', kind],
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: false,
      isolatedModules: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      declaration: true,
      sourceMap: true,
      outDir: 'dist',
    },
    include: ['src'],
  },
  null,
  2,
)}\n`;

const TSUP_CONFIG = `// One ESM bundle with its declarations; @judgekit/core stays an import (it is a peer dependency).
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  // TypeScript 6 deprecates an option tsup's declaration build sets; nothing to change on our side.
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
});
`;

const GITIGNORE = `node_modules/
dist/
*.tgz
`;

function optionsTable(template: PluginTemplate): string {
  if (template.options.length === 0) return 'It takes no options.';
  const rows = template.options.map((option) => `| \`${option.name}\` | ${option.type} | ${option.default} | ${option.description} |`);
  return ['| option | type | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function readme(context: ScaffoldContext, template: PluginTemplate): string {
  const { names, kind } = context;
  return `# ${names.packageName}

${context.description}

A [judgekit](https://www.npmjs.com/package/judgekit) plugin. Its default export is an inversify \`ContainerModule\`
(\`src/${names.fileStem}-module.ts\`) that binds the ${template.noun} \`${names.id}\`; judgekit loads it when a study
config lists the package under \`"plugins"\`, and selects it by that id.

## Build and test

${FENCE}sh
npm install
npm run build   # tsup: dist/index.js and dist/index.d.ts
npm test        # vitest: the unit tests, and the plugin loaded into a judgekit container
${FENCE}

## Use it in a study

In the project that runs judgekit:

${FENCE}sh
npm install judgekit ${names.packageName}   # before publishing: npm install ../${context.dirName}
npx judgekit plugins --plugin ${names.packageName} --kind ${kind}
${FENCE}

\`judgekit plugins\` lists \`${names.id}\` with this package's name and version, or says why the plugin did not load.

${template.readmeUsage(context)}

## Options

judgekit checks the options a config gives against the schema in \`src/${names.fileStem}.ts\` (errors name the
config path, e.g. \`study.json: judges[1].options.x\`) and fills in the defaults. \`npx judgekit schema --config
study.json --out judgekit.schema.json\` writes the config schema with these options in it, for your editor.

${optionsTable(template)}

## Publish

${FENCE}sh
npm publish   # runs the type check, the tests and the build first (prepublishOnly)
${FENCE}

\`publishConfig.access\` is \`public\`, so a scoped name (\`@you/${names.packageName.replace(/^@[^/]+\//, '')}\`) publishes too. The
\`judgekit-plugin\` keyword lets people find it: \`npm search keywords:judgekit-plugin\`. Keep \`@judgekit/core\` a
peer dependency: the application's judgekit provides it, so there is one copy of its tokens and of inversify.
`;
}

export interface ScaffoldOptions {
  kind: PluginKind;
  packageName: string;
  id: string;
  dirName: string;
  judgekitVersion: string;
  description?: string;
  license?: string;
  /** The licence text for LICENSE, when there is one to copy (judgekit's own for Apache-2.0). */
  licenseText?: string;
}

/** Every file of the new package, keyed by its path in the package. */
export function scaffoldPlugin(options: ScaffoldOptions): Record<string, string> {
  const template = PLUGIN_TEMPLATES[options.kind];
  const names = pluginNames(options.packageName, options.id, options.kind);
  const context: ScaffoldContext = {
    kind: options.kind,
    names,
    description: options.description ?? template.defaultDescription(options.id),
    license: options.license ?? 'Apache-2.0',
    judgekitVersion: options.judgekitVersion,
    dirName: options.dirName,
  };
  return {
    'package.json': packageJson(context, options.licenseText !== undefined),
    'tsconfig.json': TSCONFIG,
    'tsup.config.ts': TSUP_CONFIG,
    'README.md': readme(context, template),
    '.gitignore': GITIGNORE,
    ...(options.licenseText !== undefined ? { LICENSE: options.licenseText } : {}),
    ...template.sourceFiles(context),
  };
}
