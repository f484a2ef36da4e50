// Answer generation protocol: batching and resume over a GenerativeModel, and the study's answer extraction.
export * from './answer-batches.js';
export * from './answer-text.js';
export * from './generate-answers.js';
