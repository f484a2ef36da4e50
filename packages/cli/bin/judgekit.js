#!/usr/bin/env node
import 'reflect-metadata';
import { main, runCli, stopOnSignals } from '../dist/index.js';

const controller = new AbortController();
stopOnSignals(controller);
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal: controller.signal }, main);
