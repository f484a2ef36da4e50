// `judgekit new plugin --kind judge|backend|dataset <name>`: a new plugin package, ready to build, test, use in a
// study and publish. The files come from src/scaffold/; this command checks the names and writes them.
import { JudgekitError, packageVersion } from '@judgekit/core';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { stringOption, type CliCommand } from '../cli-command.js';
import { CONTRIBUTION_ID_PATTERN, packageNameProblem, suggestedContributionId, unscopedName } from '../scaffold/package-name.js';
import { PLUGIN_KINDS, PLUGIN_TEMPLATES, scaffoldPlugin, type PluginKind } from '../scaffold/plugin-scaffold.js';

const DEFAULT_LICENSE = 'Apache-2.0';

/** The version of the @judgekit/core this judgekit runs with: what a new plugin is written against. */
/** The version a new plugin depends on: core's, as installed beside this CLI. */
function judgekitVersion(): string {
  const version = packageVersion('@judgekit/core', import.meta.url);
  if (!version) throw new JudgekitError('internal', 'Cannot find the installed @judgekit/core version to pin the new plugin to.');
  return version;
}

/** judgekit's own licence text, for a plugin under the same licence; none when it cannot be found. */
async function apacheLicenseText(): Promise<string | undefined> {
  try {
    const manifest = createRequire(import.meta.url).resolve('judgekit/package.json');
    return await readFile(join(dirname(manifest), 'LICENSE'), 'utf8');
  } catch {
    return undefined;
  }
}

async function refuseNonEmpty(dir: string): Promise<void> {
  const found = await stat(dir).catch(() => undefined);
  if (!found) return;
  if (!found.isDirectory()) throw new JudgekitError('usage', `${dir} is a file; choose another --dir.`);
  if ((await readdir(dir)).length > 0) throw new JudgekitError('usage', `${dir} is not empty; judgekit new never overwrites files: choose another --dir or empty it first.`);
}

function pluginKind(raw: string | undefined): PluginKind {
  if (raw === undefined) throw new JudgekitError('usage', `judgekit new plugin needs --kind: one of ${PLUGIN_KINDS.join(', ')}.`);
  if (!(PLUGIN_KINDS as readonly string[]).includes(raw)) throw new JudgekitError('usage', `Unsupported --kind "${raw}". Should be one of: ${PLUGIN_KINDS.join(', ')}.`);
  return raw as PluginKind;
}

export const command: CliCommand = {
  name: 'new',
  summary: 'Scaffold a plugin package (judge, backend or dataset) ready to build, test, use in a study and publish',
  usage: 'judgekit new plugin --kind judge|backend|dataset <name> [--dir <dir>] [--id <id>] [--license <spdx>] [--description <text>]',
  options: {
    kind: { type: 'string', value: '<kind>', description: `What the plugin contributes: ${PLUGIN_KINDS.join(', ')}` },
    dir: { type: 'string', value: '<dir>', description: 'Where to write it (default: ./<name> without its scope); must be empty or absent' },
    id: { type: 'string', value: '<id>', description: 'The id configs select it by (default: from the name, e.g. judgekit-plugin-fancy -> fancy)' },
    license: { type: 'string', value: '<spdx>', description: 'The package licence', default: DEFAULT_LICENSE },
    description: { type: 'string', value: '<text>', description: "The package's one-line description" },
  },
  async run(args, io) {
    const [what, name, ...extra] = args.positionals;
    if (what !== 'plugin') throw new JudgekitError('usage', `judgekit new makes plugins: judgekit new plugin --kind ${PLUGIN_KINDS.join('|')} <name>${what ? ` (got "${what}")` : ''}.`);
    if (name === undefined) throw new JudgekitError('usage', 'judgekit new plugin needs a package name, e.g. judgekit new plugin --kind judge judgekit-plugin-fancy.');
    if (extra.length > 0) throw new JudgekitError('usage', `judgekit new plugin takes one name, got also ${extra.map((e) => `"${e}"`).join(', ')}.`);
    const kind = pluginKind(stringOption(args, 'kind'));
    const problem = packageNameProblem(name);
    if (problem) throw new JudgekitError('usage', `"${name}" cannot be an npm package name: it ${problem}.`);
    const id = stringOption(args, 'id') ?? suggestedContributionId(name, kind);
    if (id === undefined) throw new JudgekitError('usage', `no ${kind} id follows from "${name}"; give one with --id, e.g. --id fancy.`);
    if (!CONTRIBUTION_ID_PATTERN.test(id)) throw new JudgekitError('usage', `--id "${id}" must be lower-case words joined by dashes, e.g. fancy or word-recall.`);
    const license = stringOption(args, 'license') ?? DEFAULT_LICENSE;
    if (!/^[A-Za-z0-9][A-Za-z0-9.+-]*(?: (?:OR|AND|WITH) [A-Za-z0-9][A-Za-z0-9.+-]*)*$/.test(license)) {
      throw new JudgekitError('usage', `--license "${license}" is not an SPDX licence expression, e.g. Apache-2.0, MIT or "MIT OR Apache-2.0".`);
    }

    const dir = resolve(io.cwd, stringOption(args, 'dir') ?? unscopedName(name));
    await refuseNonEmpty(dir);
    const description = stringOption(args, 'description');
    const licenseText = license === DEFAULT_LICENSE ? await apacheLicenseText() : undefined;
    const files = scaffoldPlugin({
      kind,
      packageName: name,
      id,
      dirName: basename(dir),
      judgekitVersion: judgekitVersion(),
      ...(description !== undefined ? { description } : {}),
      license,
      ...(licenseText !== undefined ? { licenseText } : {}),
    });
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      // `wx`: a file that appeared since the check is never overwritten.
      await writeFile(join(dir, path), text, { flag: 'wx' });
    }

    const shown = relative(io.cwd, dir) || '.';
    const noun = PLUGIN_TEMPLATES[kind].noun;
    const lines = [
      `Created ${name}, a judgekit ${kind} plugin (${noun} "${id}"), in ${shown}:`,
      ...Object.keys(files).map((path) => `  ${path}`),
      '',
      'Next steps:',
      `  cd ${shown}`,
      '  npm install',
      '  npm run build && npm test',
      `Then, in the project that runs judgekit: npm install ${dir}`,
      `  npx judgekit plugins --plugin ${name} --kind ${kind}    # shows "${id}"`,
      `  and list "${name}" under "plugins" in the study config (README.md shows how to select it).`,
      ...(license !== DEFAULT_LICENSE ? [`Add the text of your ${license} licence as LICENSE (and to "files" in package.json).`] : []),
      'Publish with npm publish (it type-checks, tests and builds first).',
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
