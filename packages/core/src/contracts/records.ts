// The study's record shapes: an Alpaca instruction record, and the same record with a model's answer.

export interface AlpacaRecord {
  instruction: string;
  input: string;
  output: string;
}

/** One line of `{name}-ift-test-results.json`. */
export interface AnswerRecord extends AlpacaRecord {
  model_response: string;
}

/** One model's answers to the test split, in test-split order. */
export interface ModelAnswers {
  /** Display name: the file name without `.json` and a trailing `-ift-test-results`. */
  name: string;
  /** Where the answers came from, for error messages and the annotated output's stem. */
  file?: string;
  /** The field read as the answer when it is not `model_response` (a file with several models' answers, e.g. `model 1 response`). */
  column?: string;
  records: AnswerRecord[];
}
