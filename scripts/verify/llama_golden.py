#!/usr/bin/env python3
"""Golden inference values for judgekit's Llama family, computed by code that shares nothing with judgekit.

Writes, under packages/backends/test-fixtures/verify/ (or --out), three tiny seeded LlamaForCausalLM checkpoints in
Hugging Face naming (`model.` prefix, nn.Linear [out, in] projections), each a folder with model.safetensors,
config.json and a word-level tokenizer.json over the 128 ids:

  llama-infer-gqa-tied/   grouped-query attention (4 query heads, 2 KV heads), head tied to embed_tokens (no
                          lm_head tensor), F32, rope_theta 10000
  llama-infer-gqa-bias/   4 query heads, 2 KV heads, q/k/v/o biases, untied lm_head, stored as BF16, rope_theta 500,
                          rms_norm_eps 1e-6
  llama-infer-mqa-f16/    multi-query attention (4 query heads, 1 KV head) with head_dim 16 stated apart from
                          hidden_size / heads, untied lm_head, stored as F16

and llama-golden.json: per checkpoint, what a float64 PyTorch forward pass computes from the weights read back from
the written file: per-token NLL and the mean token loss of a few token sequences, the last position's logits over
the whole vocabulary, a few vocabulary entries at every position, and greedy continuations of two prompts (with the
smallest gap between the best and second-best logit on the way, so a tie could not decide a token).

The forward pass is written here from Hugging Face's modeling_llama (LlamaRMSNorm, rotary embeddings with
inv_freq = 1 / theta^(2j/D) in the rotate_half layout, repeat_kv, SiLU-gated MLP, causal softmax attention), in
float64 without transformers (torch 1.13 has none); the safetensors writer and reader are safetensors_np.py.
Regenerate with Debian's python3-torch (the output is deterministic):

    /usr/bin/python3 scripts/verify/llama_golden.py

The tests that read the files are packages/backends/src/engine/python-golden-llama.int.spec.ts.
"""
import argparse
import json
import math
import os

import numpy as np
import torch

from safetensors_np import read_safetensors, write_safetensors

SEED = 20261207
BASE = dict(vocab=128, context=32, hidden=32, layers=2, intermediate=64)
CASES = {
    'llama-infer-gqa-tied': dict(heads=4, kv_heads=2, head_dim=8, bias=False, tied=True, dtype='F32', theta=10000.0, eps=1e-5),
    'llama-infer-gqa-bias': dict(heads=4, kv_heads=2, head_dim=8, bias=True, tied=False, dtype='BF16', theta=500.0, eps=1e-6),
    'llama-infer-mqa-f16': dict(heads=4, kv_heads=1, head_dim=16, bias=False, tied=False, dtype='F16', theta=10000.0, eps=1e-5),
}
SEQUENCE_LENGTHS = (32, 13, 2)  # tokens per sequence; position t predicts token t + 1
LOGIT_IDS = (0, 5, 64, 126)
PROMPT_LENGTHS = (5, 3)
NEW_TOKENS = 10
BOS, EOS = 1, 2
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'packages', 'backends', 'test-fixtures', 'verify')


def config_json(c):
    return {
        'model_type': 'llama', 'architectures': ['LlamaForCausalLM'],
        'vocab_size': BASE['vocab'], 'max_position_embeddings': BASE['context'], 'hidden_size': BASE['hidden'],
        'num_hidden_layers': BASE['layers'], 'num_attention_heads': c['heads'], 'num_key_value_heads': c['kv_heads'],
        'head_dim': c['head_dim'], 'intermediate_size': BASE['intermediate'], 'hidden_act': 'silu',
        'rms_norm_eps': c['eps'], 'rope_theta': c['theta'], 'tie_word_embeddings': c['tied'],
        'attention_bias': c['bias'], 'bos_token_id': BOS, 'eos_token_id': EOS,
    }


def tokenizer_json():
    """A word-level tokenizer.json over the 128 ids (`<unk>` `<s>` `</s>`, then `w3` ... `w127`) prepending `<s>`, so
    each folder is complete as Hugging Face lays checkpoints out (judgekit reads a Llama model's tokenizer beside it)."""
    vocab = {'<unk>': 0, '<s>': 1, '</s>': 2}
    vocab.update({f'w{i}': i for i in range(3, BASE['vocab'])})
    special = lambda content, i: {'id': i, 'content': content, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
    bos = [{'SpecialToken': {'id': '<s>', 'type_id': 0}}]
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [special('<unk>', 0), special('<s>', BOS), special('</s>', EOS)],
        'normalizer': None, 'pre_tokenizer': {'type': 'WhitespaceSplit'},
        'post_processor': {'type': 'TemplateProcessing', 'single': bos + [{'Sequence': {'id': 'A', 'type_id': 0}}],
                           'pair': bos + [{'Sequence': {'id': 'A', 'type_id': 0}}] + bos + [{'Sequence': {'id': 'B', 'type_id': 1}}],
                           'special_tokens': {'<s>': {'id': '<s>', 'ids': [BOS], 'tokens': ['<s>']}}},
        'decoder': None,
        'model': {'type': 'WordLevel', 'vocab': vocab, 'unk_token': '<unk>'},
    }


def hf_tensors(rng, c):
    """Seeded weights in LlamaForCausalLM naming, nn.Linear [out, in]; large enough that logits are far from uniform."""
    V, C, I = BASE['vocab'], BASE['hidden'], BASE['intermediate']
    H, KV, D = c['heads'], c['kv_heads'], c['head_dim']
    n = lambda *shape, std: rng.normal(0.0, std, shape).astype(np.float32)
    t = [('model.embed_tokens.weight', n(V, C, std=1.0))]
    for i in range(BASE['layers']):
        p = f'model.layers.{i}.'
        t.append((p + 'input_layernorm.weight', 1 + n(C, std=0.2)))
        for name, out_dim, in_dim in (('q_proj', H * D, C), ('k_proj', KV * D, C), ('v_proj', KV * D, C), ('o_proj', C, H * D)):
            t.append((f'{p}self_attn.{name}.weight', n(out_dim, in_dim, std=0.35)))
            if c['bias']:
                t.append((f'{p}self_attn.{name}.bias', n(out_dim, std=0.2)))
        t.append((p + 'post_attention_layernorm.weight', 1 + n(C, std=0.2)))
        t += [(p + 'mlp.gate_proj.weight', n(I, C, std=0.3)), (p + 'mlp.up_proj.weight', n(I, C, std=0.3)), (p + 'mlp.down_proj.weight', n(C, I, std=0.25))]
    t.append(('model.norm.weight', 1 + n(C, std=0.2)))
    if not c['tied']:
        t.append(('lm_head.weight', n(V, C, std=0.5)))
    return t


class TorchLlama:
    """LlamaForCausalLM's forward pass in float64 on one unpadded sequence (batch 1), positions 0..T-1."""

    def __init__(self, path, c):
        self.c = c
        self.w = {name: torch.tensor(a, dtype=torch.float64) for name, a in read_safetensors(path).items()}
        self.head = self.w['model.embed_tokens.weight'] if c['tied'] else self.w['lm_head.weight']

    def rms_norm(self, x, weight):
        variance = x.pow(2).mean(-1, keepdim=True)
        return weight * (x * torch.rsqrt(variance + self.c['eps']))

    def linear(self, x, name):
        y = x @ self.w[name + '.weight'].T
        bias = self.w.get(name + '.bias')
        return y if bias is None else y + bias

    @staticmethod
    def rotate_half(x):
        half = x.shape[-1] // 2
        return torch.cat((-x[..., half:], x[..., :half]), dim=-1)

    def logits(self, ids):
        c = self.c
        H, KV, D = c['heads'], c['kv_heads'], c['head_dim']
        T = len(ids)
        x = self.w['model.embed_tokens.weight'][torch.tensor(ids)]
        inv_freq = 1.0 / (c['theta'] ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
        freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        causal = torch.full((T, T), float('-inf'), dtype=torch.float64).triu(1)
        for i in range(BASE['layers']):
            p = f'model.layers.{i}.'
            h = self.rms_norm(x, self.w[p + 'input_layernorm.weight'])
            q = self.linear(h, p + 'self_attn.q_proj').view(T, H, D).transpose(0, 1)
            k = self.linear(h, p + 'self_attn.k_proj').view(T, KV, D).transpose(0, 1)
            v = self.linear(h, p + 'self_attn.v_proj').view(T, KV, D).transpose(0, 1)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            # repeat_kv: query head j reads KV head j // (H / KV).
            k = k.repeat_interleave(H // KV, dim=0)
            v = v.repeat_interleave(H // KV, dim=0)
            scores = q @ k.transpose(1, 2) / math.sqrt(D) + causal
            attn = torch.softmax(scores, dim=-1) @ v  # [H, T, D]
            x = x + self.linear(attn.transpose(0, 1).reshape(T, H * D), p + 'self_attn.o_proj')
            h = self.rms_norm(x, self.w[p + 'post_attention_layernorm.weight'])
            gate = self.linear(h, p + 'mlp.gate_proj')
            x = x + self.linear(torch.nn.functional.silu(gate) * self.linear(h, p + 'mlp.up_proj'), p + 'mlp.down_proj')
        return self.rms_norm(x, self.w['model.norm.weight']) @ self.head.T

    def greedy(self, prompt, new_tokens):
        """Greedy continuation by full recomputation each step; also the smallest top-1/top-2 logit gap."""
        ids, out, gap = list(prompt), [], float('inf')
        for _ in range(new_tokens):
            last = self.logits(ids)[-1]
            top = torch.topk(last, 2).values
            gap = min(gap, float(top[0] - top[1]))
            token = int(torch.argmax(last))
            out.append(token)
            ids.append(token)
        return out, gap


def floats(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default=DEFAULT_OUT)
    args = parser.parse_args()
    out = os.path.normpath(args.out)
    rng = np.random.default_rng(SEED)
    # Token ids above the special ones, so sequences look like text after a BOS.
    sequences = [[int(x) for x in rng.integers(3, BASE['vocab'], n)] for n in SEQUENCE_LENGTHS]
    prompts = [[BOS] + [int(x) for x in rng.integers(3, BASE['vocab'], n - 1)] for n in PROMPT_LENGTHS]
    golden = {
        'about': 'Written by scripts/verify/llama_golden.py (float64 PyTorch on the weights read back from each llama-infer-*/model.safetensors); do not edit.',
        'torch': torch.__version__,
        'seed': SEED,
        'logitIds': list(LOGIT_IDS),
        'sequences': sequences,
        'prompts': prompts,
        'newTokens': NEW_TOKENS,
        'cases': {},
    }
    for name, c in CASES.items():
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, 'model.safetensors')
        write_safetensors(path, [(n, c['dtype'], a) for n, a in hf_tensors(rng, c)], {'format': 'pt'})
        with open(os.path.join(folder, 'config.json'), 'w') as f:
            json.dump(config_json(c), f, indent=2)
            f.write('\n')
        with open(os.path.join(folder, 'tokenizer.json'), 'w') as f:
            json.dump(tokenizer_json(), f)
            f.write('\n')
        model = TorchLlama(path, c)
        case = {'config': config_json(c), 'dtype': c['dtype'], 'sequences': [], 'greedy': []}
        all_nll = []
        with torch.no_grad():
            for seq in sequences:
                logits = model.logits(seq[:-1])
                targets = torch.tensor(seq[1:])
                nll = -logits.log_softmax(-1)[torch.arange(len(targets)), targets]
                all_nll.append(nll)
                case['sequences'].append({'lastLogits': floats(logits[-1]), 'selectedLogits': [floats(logits[:, j]) for j in LOGIT_IDS], 'nll': floats(nll)})
            case['meanTokenLoss'] = float(torch.cat(all_nll).mean())
            for prompt in prompts:
                tokens, gap = model.greedy(prompt, NEW_TOKENS)
                # float32 arithmetic moves logits by ~1e-5 here: a gap this wide cannot flip the argmax.
                assert gap > 1e-3, f'{name}: greedy tie (gap {gap}); pick another seed'
                case['greedy'].append({'prompt': prompt, 'tokens': tokens, 'minGap': gap})
        golden['cases'][name] = case
        print(f"{name}: mean token loss {case['meanTokenLoss']:.6f}, greedy {[g['tokens'] for g in case['greedy']]}, min gap {min(g['minGap'] for g in case['greedy']):.4f}")
    with open(os.path.join(out, 'llama-golden.json'), 'w') as f:
        json.dump(golden, f, indent=1)
        f.write('\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
