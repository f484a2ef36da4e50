// Shared tsup settings: every package ships ESM with declarations, built from src/.
import type { Options } from 'tsup';

export function libraryBuild(entry: string[] | Record<string, string>): Options {
  return {
    entry,
    format: ['esm'],
    dts: { compilerOptions: { customConditions: [], ignoreDeprecations: '6.0' } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: true,
    tsconfig: 'tsconfig.json',
  };
}
