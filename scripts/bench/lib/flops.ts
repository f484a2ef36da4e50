// FLOPs of one GPT-2 forward pass over `batch` x `seq` tokens, counted as the graphs compute them:
//   2 x (12 L C^2) per token for the block matmuls (QKV 3C^2, projection C^2, MLP 8C^2),
// + 2 x V C per token for the output head,
// + 4 x L x seq x C per token for attention (QK^T and PV over the full seq x seq square, as the graph computes it
//   before masking).
// Embedding lookups, LayerNorm, GELU, softmax and the loss are left out (a few percent at most).
export function gpt2ForwardFlops(c: { vocabSize: number; embDim: number; nLayers: number }, batch: number, seq: number): number {
  const C = c.embDim;
  const tokens = batch * seq;
  return tokens * (2 * 12 * c.nLayers * C * C + 2 * c.vocabSize * C + 4 * c.nLayers * seq * C);
}

export function matmulFlops(m: number, k: number, n: number): number {
  return 2 * m * k * n;
}
