// What a run records about where it ran: tool and package versions, Node and the platform. Never the
// environment variables themselves (they hold keys).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, cpus, platform, totalmem } from 'node:os';

const PACKAGES = ['@judgekit/core', '@judgekit/datasets', '@judgekit/judges', '@judgekit/backends', '@judgekit/report', 'judgekit', 'onnxruntime-node', 'openai', '@anthropic-ai/sdk'];

async function packageVersion(name: string): Promise<string | null> {
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(await readFile(path, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

export async function runEnvironment(): Promise<Record<string, unknown>> {
  const versions: Record<string, string | null> = {};
  for (const name of PACKAGES) versions[name] = await packageVersion(name);
  return {
    tool: 'judgekit',
    packages: versions,
    node: process.version,
    platform: `${platform()}-${arch()}`,
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}
