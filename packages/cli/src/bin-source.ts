// Entry point for running the CLI from source (tests, `npm run judgekit`), without a build.
import 'reflect-metadata';
import { runCli } from './huge-pages.js';
import { main } from './main.js';
import { stopOnSignals } from './signals.js';

const controller = new AbortController();
stopOnSignals(controller);
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal: controller.signal }, main);
