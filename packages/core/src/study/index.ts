// The study as a library: its stages, their contribution point, the judge assembly and `runStudy`.
export * from './study.js';
export * from './study-dataset.js';
export * from './judge-assembly.js';
export * from './study-results.js';
export * from './study-module.js';
export * from './run-study.js';
export * from './study-remote.js';
export * from './stages/dataset-stage.js';
export * from './stages/loss-stage.js';
export * from './stages/finetune-stage.js';
export * from './stages/generate-stage.js';
export * from './stages/judge-stage.js';
export * from './stages/results-stage.js';
export * from './stages/report-stage.js';
