// The input and output names of every family's decoder graphs: optimum's (`past_key_values.{i}.key`, `present.*`),
// so exported decoders from other tools run on the same sessions, plus the slot decoder's `new.*` outputs.

/** Outputs of the slot decoder: the keys and values of the step's own tokens, [batch, heads, seq, head_dim]. */
export const newKeyName = (layer: number): string => `new.${layer}.key`;
export const newValueName = (layer: number): string => `new.${layer}.value`;

/** Input/output names of the decoder graph (optimum's names). */
export const pastKeyName = (layer: number): string => `past_key_values.${layer}.key`;
export const pastValueName = (layer: number): string => `past_key_values.${layer}.value`;
export const presentKeyName = (layer: number): string => `present.${layer}.key`;
export const presentValueName = (layer: number): string => `present.${layer}.value`;

/** Matches a past key input and captures its layer. */
export const PAST_KEY_PATTERN = /^past_key_values\.(\d+)\.key$/;
