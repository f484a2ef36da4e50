// What a provider reports for run.json: this package's version and its SDK's (only the SDK's version module loads).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

async function versionOf(packageJson: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(require.resolve(packageJson), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** `{ '@judgekit/judges': x, [sdk]: y }`, leaving out what cannot be found. */
export async function providerVersions(sdk: 'openai' | '@anthropic-ai/sdk'): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  const own = await versionOf('@judgekit/judges/package.json');
  if (own) versions['@judgekit/judges'] = own;
  const sdkVersion = await sdkVersionOf(sdk);
  if (sdkVersion) versions[sdk] = sdkVersion;
  return versions;
}

async function sdkVersionOf(sdk: 'openai' | '@anthropic-ai/sdk'): Promise<string | undefined> {
  try {
    if (sdk === 'openai') return ((await import('openai/version')) as { VERSION: string }).VERSION;
    return ((await import('@anthropic-ai/sdk/version')) as { VERSION: string }).VERSION;
  } catch {
    return undefined;
  }
}
