// What a run records about where it ran: tool and package versions, Node and the platform. Never the
// environment variables themselves (they hold keys).
import { arch, cpus, platform, totalmem } from 'node:os';
import { packageVersion } from '@judgekit/core';

const PACKAGES = ['@judgekit/core', '@judgekit/datasets', '@judgekit/judges', '@judgekit/backends', '@judgekit/report', 'judgekit', 'onnxruntime-node', 'openai', '@anthropic-ai/sdk'];

export async function runEnvironment(): Promise<Record<string, unknown>> {
  const versions: Record<string, string | null> = {};
  for (const name of PACKAGES) versions[name] = packageVersion(name, import.meta.url) ?? null;
  return {
    tool: 'judgekit',
    packages: versions,
    node: process.version,
    platform: `${platform()}-${arch()}`,
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}
