// The container every command starts from: judgekit's own packages as sourced modules (so `judgekit plugins`
// and error messages name them), then the plugins a config or `--plugin` lists.
import { assembleContainer, packageVersion, studyModule, type ContainerAssembly, type SourcedModule } from '@judgekit/core';

function sourced(name: string, module: SourcedModule['module']): SourcedModule {
  const found = packageVersion(name, import.meta.url);
  return { module, source: { package: name, ...(found ? { version: found } : {}) } };
}

/** judgekit's built-in modules; the backends and the report load their heavy parts only when used. */
export async function builtinModules(): Promise<SourcedModule[]> {
  const [datasets, judges, backends, report] = await Promise.all([import('@judgekit/datasets'), import('@judgekit/judges'), import('@judgekit/backends'), import('@judgekit/report')]);
  return [
    sourced('@judgekit/core', studyModule),
    sourced('@judgekit/datasets', datasets.default),
    sourced('@judgekit/judges', judges.default),
    sourced('@judgekit/backends', backends.default),
    sourced('@judgekit/report', report.default),
  ];
}

export interface AssembleJudgekitOptions {
  plugins?: readonly string[];
  baseDir: string;
  configFile?: string;
}

/** Built-ins plus plugins; a plugin that fails to load is a one-line error naming where it was listed. */
export async function assembleJudgekit(options: AssembleJudgekitOptions): Promise<ContainerAssembly> {
  return assembleContainer({
    modules: await builtinModules(),
    plugins: options.plugins ?? [],
    baseDir: options.baseDir,
    ...(options.configFile ? { configFile: options.configFile } : {}),
  });
}
