// `judgekit rate <run-dir>`: blind human rating of a run's answers. Serves a page on localhost (each saved item is
// a ratings.jsonl line), or writes a self-contained page whose ratings are exported as JSONL and brought back with
// --import. `judgekit report` then shows judge-human agreement.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isRatingScale, JudgekitError, RATING_SCALES, ratingFromSlots, ratingRunId, RatingsFile, runFile, writeFileAtomic, type RatingScale, type RunItems, type SlotRating } from '@judgekit/core';
import { integerOption, stringOption, type CliCommand, type CliIo } from '../cli-command.js';

async function readItems(runDir: string): Promise<RunItems> {
  const { loadRunDirectory } = await import('@judgekit/report');
  return (await loadRunDirectory(runDir)).items;
}

/** `--import`: lines a written page exported (slot scores), checked against this run and filed as ratings. */
async function importRatings(runDir: string, items: RunItems, file: string, io: CliIo): Promise<number> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new JudgekitError('input', `${file} cannot be read (${error.code ?? error.message}); give the JSONL file the rating page exported.`, { file });
  });
  const run = ratingRunId(items);
  const records = text.split('\n').flatMap((line, k) => {
    if (line.trim() === '') return [];
    let value: SlotRating;
    try {
      value = JSON.parse(line) as SlotRating;
    } catch {
      throw new JudgekitError('input', `${file} line ${k + 1} is not valid JSON; export the ratings again.`, { file, location: `line ${k + 1}` });
    }
    if (value.run !== undefined && value.run !== run) {
      throw new JudgekitError('input', `${file} line ${k + 1}: field "run" is ${String(value.run)}, but ${runDir} is run ${run} (other models or items); import it into the run directory the page was written from.`, { file, location: `line ${k + 1}` });
    }
    try {
      return [ratingFromSlots(items, value)];
    } catch (error) {
      throw new JudgekitError('input', `${file} line ${k + 1}: ${(error as Error).message}`, { file, location: `line ${k + 1}`, cause: error });
    }
  });
  const out = new RatingsFile(runFile(runDir, 'ratings'));
  for (const record of records) await out.append(record);
  io.stdout.write(`Imported ${records.length} rating(s) into ${runFile(runDir, 'ratings')}\n`);
  return 0;
}

export const command: CliCommand = {
  name: 'rate',
  summary: "Rate a run's answers blind (served on localhost or as a page file); ratings go to ratings.jsonl for judge-human agreement in `judgekit report`",
  usage: 'judgekit rate <run-dir> [--rater <id>] [--scale 100|10|rank] [--serve [--port <n>]] [--out page.html] [--import ratings.jsonl]',
  options: {
    rater: { type: 'string', value: '<id>', description: 'Rater id (served: the default when the URL has no ?rater=; needed with --out)' },
    scale: { type: 'string', value: '<100|10|rank>', description: 'Score each answer 0-100 or 1-10, or rank them', default: '100' },
    serve: { type: 'boolean', description: 'Serve the page on localhost until interrupted (the default without --out or --import)' },
    port: { type: 'string', value: '<n>', description: 'Port to serve on (0: any free port)', default: '8765' },
    host: { type: 'string', value: '<address>', description: 'Address to listen on', default: '127.0.0.1' },
    out: { type: 'string', short: 'o', value: '<page.html>', description: 'Write a self-contained page instead (ratings kept in the browser, exported as JSONL)' },
    import: { type: 'string', value: '<file.jsonl>', description: 'File the ratings a written page exported into the run directory' },
    title: { type: 'string', value: '<text>', description: 'Page title' },
  },
  async run(args, io) {
    const [dir, ...extra] = args.positionals;
    if (dir === undefined || extra.length > 0) throw new JudgekitError('usage', 'Give exactly one run directory: judgekit rate <run-dir>.');
    const runDir = resolve(io.cwd, dir);
    const scale = stringOption(args, 'scale') ?? '100';
    if (!isRatingScale(scale)) throw new JudgekitError('usage', `Unsupported --scale "${scale}". Should be one of: ${RATING_SCALES.join(', ')}.`);
    const rater = stringOption(args, 'rater')?.trim() || undefined;
    const out = stringOption(args, 'out');
    const importFile = stringOption(args, 'import');
    const title = stringOption(args, 'title');
    if ([out, importFile, args.values.serve === true ? true : undefined].filter((v) => v !== undefined).length > 1) {
      throw new JudgekitError('usage', 'Give one of --serve, --out and --import.');
    }
    const items = await readItems(runDir);
    if (items.models.length < 2) throw new JudgekitError('input', `${runFile(runDir, 'items')} has ${items.models.length} model(s); blind rating compares at least 2.`, { file: runFile(runDir, 'items') });
    if (importFile) return importRatings(runDir, items, resolve(io.cwd, importFile), io);
    const report = await import('@judgekit/report');
    if (out) {
      if (!rater) throw new JudgekitError('usage', 'A written page is made for one rater: give --rater <id> with --out.');
      const path = resolve(io.cwd, out);
      await writeFileAtomic(path, report.renderRatingPage(items, { rater, scale: scale as RatingScale, mode: 'file', ...(title ? { title } : {}) }));
      io.stdout.write(`Wrote ${path} for rater "${rater}" (${items.items.length} items, ${items.models.length} answers each). Open it in a browser, export the ratings, then: judgekit rate ${dir} --import <file>\n`);
      return 0;
    }
    const server = await report.startRatingServer({
      runDir,
      items,
      scale: scale as RatingScale,
      ...(rater ? { rater } : {}),
      port: integerOption(args, 'port', 8765, 0) as number,
      host: stringOption(args, 'host') ?? '127.0.0.1',
      ...(title ? { title } : {}),
    });
    const link = rater ? `${server.url}?rater=${encodeURIComponent(rater)}` : server.url;
    io.stdout.write(`Rating ${items.items.length} items (${items.models.length} answers each, scale ${scale}) at ${link}\nRatings go to ${runFile(runDir, 'ratings')}. Press Ctrl+C to stop.\n`);
    await new Promise<void>((done) => {
      // Without a signal (an embedding program), serve until the process ends.
      if (io.signal?.aborted) return done();
      io.signal?.addEventListener('abort', () => done(), { once: true });
    });
    await server.close();
    io.stdout.write('Stopped serving.\n');
    return 0;
  },
};
