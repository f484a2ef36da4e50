// One place for what every vitest project shares: run against src/ through the private
// "@judgekit/source" export condition, so tests need no build.
import type { UserWorkspaceConfig } from 'vitest/config';

export const SOURCE_CONDITION = '@judgekit/source';

export function sourceProject(name: string): UserWorkspaceConfig {
  return {
    resolve: { conditions: [SOURCE_CONDITION, 'import', 'node', 'default'] },
    ssr: { resolve: { conditions: [SOURCE_CONDITION, 'import', 'node', 'default'], externalConditions: [SOURCE_CONDITION] } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  };
}
