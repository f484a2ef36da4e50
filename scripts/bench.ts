// `npm run bench -- <name> [<name> ...]`: runs benchmarks from scripts/bench/<name>.ts (each default-exports
// an async function) one after another in this process, so their figures come from the same machine state.
// Options that take their value as the next argument (`--model xl`), so the value is not read as a benchmark name.
const VALUE_OPTIONS = new Set(['--model']);
const names = process.argv.slice(2).filter((arg, i, all) => !arg.startsWith('-') && !VALUE_OPTIONS.has(all[i - 1] ?? ''));
if (names.length === 0) {
  console.error('Usage: npm run bench -- <judge|loss|generate|decode-steps|train|big|greedy-equality|ratelimit|scale|scale-batch> [...]');
  process.exit(2);
}
// A --model that one of the named benchmarks does not take is refused before any of them runs.
const { benchModelOption } = await import('./bench/lib/bench-model-option.ts');
for (const name of names) if (name === 'loss' || name === 'generate' || name === 'train') benchModelOption(process.argv.slice(2), name);
for (const name of names) {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`Bad benchmark name "${name}".`);
  const module = (await import(`./bench/${name}.ts`)) as { default: (args: string[]) => Promise<void> };
  console.log(`\n## bench ${name}\n`);
  await module.default(process.argv.slice(2));
}
