// What the scaffold's shared part and each kind's template agree on: the names a plugin's files use, and the
// shape of a kind's template.

/** The kinds `judgekit new plugin --kind` makes. */
export type PluginKind = 'judge' | 'backend' | 'dataset';

export interface PluginNames {
  /** The npm package name, e.g. `judgekit-plugin-fancy`. */
  packageName: string;
  /** The contribution id configs select, e.g. `fancy`. */
  id: string;
  /** e.g. `FancyJudge`. */
  className: string;
  /** e.g. `fancyJudge`. */
  valueName: string;
  /** File name stem, e.g. `fancy-judge`. */
  fileStem: string;
}

export interface ScaffoldContext {
  kind: PluginKind;
  names: PluginNames;
  description: string;
  license: string;
  /** The version of @judgekit/core the plugin is written against. */
  judgekitVersion: string;
  /** The directory name, for README paths like `npm install ../<dir>`. */
  dirName: string;
}

/** One option of a contribution, for the README's table (the schema itself is in the generated source). */
export interface TemplateOption {
  name: string;
  type: string;
  default: string;
  description: string;
}

export interface PluginTemplate {
  kind: PluginKind;
  /** How the README names the contribution: `judge mode`, `backend`, `dataset`. */
  noun: string;
  /** The description when `--description` gives none. */
  defaultDescription(id: string): string;
  options: readonly TemplateOption[];
  /** Files under src/, keyed by path. */
  sourceFiles(context: ScaffoldContext): Record<string, string>;
  /** The README's "select it in a study" part. */
  readmeUsage(context: ScaffoldContext): string;
}

/** Markdown's code fence, kept out of the template strings so they need no escaping. */
export const FENCE = '```';
