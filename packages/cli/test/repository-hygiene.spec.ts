// No file of the repository names a package registry's or a mirror's host: apt sources are built from the
// machine's own configuration, npm uses its configured registry. The hosts to look for are read from this
// machine's apt sources and npm configuration, so this test names none itself.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli-process.js';

function aptHosts(): string[] {
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').map((name) => join('/etc/apt/sources.list.d', name)) : [])];
  const hosts: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(/\b[a-z][a-z0-9+.-]*:\/\/([^/\s:]+)/gi)) hosts.push(match[1]!.toLowerCase());
  }
  return hosts;
}

function npmRegistryHosts(): string[] {
  const registries = [process.env.npm_config_registry];
  try {
    // Outside the workspace: `npm config` refuses to run in one.
    registries.push(execFileSync('npm', ['config', 'get', 'registry'], { cwd: tmpdir(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // No npm configuration to read: the apt hosts are still checked.
  }
  return registries.flatMap((registry) => {
    try {
      return registry ? [new URL(registry).hostname.toLowerCase()] : [];
    } catch {
      return [];
    }
  });
}

describe('repository hygiene', () => {
  const hosts = [...new Set([...aptHosts(), ...npmRegistryHosts()])].filter((host) => host.includes('.') && host !== 'localhost');

  it.skipIf(hosts.length === 0)('no tracked file names the machine\'s apt mirror or npm registry host (skipped: this machine configures none)', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    expect(files.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const file of files) {
      const path = join(REPO_ROOT, file);
      if (!existsSync(path)) continue;
      const text = readFileSync(path).toString('latin1').toLowerCase();
      for (const host of hosts) if (text.includes(host)) offenders.push(`${file}: ${host}`);
    }
    expect(offenders).toEqual([]);
  });
});
