// A Hugging Face `tokenizer.json` for GPT-2, built offline from the BPE ranks gpt-tokenizer ships: vocabulary from
// the ranks (bytes shown through GPT-2's byte-to-unicode table), merges recovered by running BPE on each token's
// bytes with only lower ranks allowed (the last two parts are the merge that made it).
import r50kRanks from 'gpt-tokenizer/bpeRanks/r50k_base';
import { gpt2TokenBytes } from '../../../packages/backends/src/architectures/gpt2/gpt2-tokenizer.ts';

/** GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the rest to code points from 256 up. */
export function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return table;
}

export function buildGpt2TokenizerJson(): Record<string, unknown> {
  const bytes = gpt2TokenBytes();
  const count = (r50kRanks as unknown[]).length; // 50256 BPE tokens; 50256 itself is the special token
  const unicode = byteToUnicode();
  const show = (b: Uint8Array) => Array.from(b, (x) => unicode[x] as string).join('');
  const key = (b: Uint8Array) => String.fromCharCode(...b);
  const rank = new Map<string, number>();
  for (let r = 0; r < count; r++) rank.set(key(bytes[r] as Uint8Array), r);
  const vocab: Record<string, number> = {};
  for (let r = 0; r < count; r++) vocab[show(bytes[r] as Uint8Array)] = r;
  const merges: string[] = [];
  for (let r = 0; r < count; r++) {
    const token = bytes[r] as Uint8Array;
    if (token.length < 2) continue;
    let parts = Array.from(token, (b) => String.fromCharCode(b));
    for (;;) {
      let best = -1;
      let bestRank = r;
      for (let i = 0; i + 1 < parts.length; i++) {
        const merged = rank.get((parts[i] as string) + (parts[i + 1] as string));
        if (merged !== undefined && merged < bestRank) {
          bestRank = merged;
          best = i;
        }
      }
      if (best < 0) break;
      parts = [...parts.slice(0, best), (parts[best] as string) + (parts[best + 1] as string), ...parts.slice(best + 2)];
    }
    if (parts.length !== 2) throw new Error(`cannot recover the merge for token ${r}`);
    const latin = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    merges.push(`${show(latin(parts[0] as string))} ${show(latin(parts[1] as string))}`);
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab: { ...vocab, '<|endoftext|>': 50256 },
      merges,
    },
  };
}

/**
 * tokenizer_config.json for a byte-level BPE whose only special token is `<|endoftext|>` (BOS, EOS and unknown), no
 * prefix space and no BOS added: the GPT-2 bench folders' and the Llama shape's (whose vocabulary is cut from GPT-2's).
 */
export function gpt2StyleTokenizerConfig(contextLength: number): Record<string, unknown> {
  return {
    tokenizer_class: 'GPT2Tokenizer',
    model_max_length: contextLength,
    bos_token: '<|endoftext|>',
    eos_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    add_prefix_space: false,
    add_bos_token: false,
    clean_up_tokenization_spaces: false,
  };
}
