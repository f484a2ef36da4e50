// `npm run bench -- <name> [<name> ...]`: runs benchmarks from scripts/bench/<name>.ts (each default-exports
// an async function) one after another in this process, so their figures come from the same machine state.
const names = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
if (names.length === 0) {
  console.error('Usage: npm run bench -- <judge|loss|generate|train|greedy-equality|ratelimit|scale|scale-batch> [...]');
  process.exit(2);
}
for (const name of names) {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`Bad benchmark name "${name}".`);
  const module = (await import(`./bench/${name}.ts`)) as { default: (args: string[]) => Promise<void> };
  console.log(`\n## bench ${name}\n`);
  await module.default(process.argv.slice(2));
}
