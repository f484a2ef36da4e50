#!/usr/bin/env python3
"""Golden training values for judgekit's Llama family, computed by code that shares nothing with judgekit.

Writes, under packages/backends/test-fixtures/verify/ (or --out):

  llama-train-gqa/model.safetensors + config.json   a tiny seeded LlamaForCausalLM in Hugging Face naming
                                                    (`model.` prefix, nn.Linear [out, in] projections):
                                                    grouped-query attention (4 query heads, 2 KV heads),
                                                    attention biases, untied lm_head
  llama-train-tied/model.safetensors + config.json  multi-head attention (4 and 4), no biases, head tied to
                                                    embed_tokens (so no lm_head tensor)
  llama-train-golden.json                           per checkpoint, what float64 PyTorch computes from the float32
                                                    weights read back from the written file: the loss on a padded
                                                    instruction batch, per-parameter gradient digests (autograd),
                                                    the loss after one torch.optim.AdamW step and sampled weights
                                                    after it

The Llama forward pass is written here from Hugging Face's modeling_llama (LlamaRMSNorm, rotate_half rotary
embeddings with inv_freq = 1 / theta^(2j/D), repeat_kv, SwiGLU MLP), in float64, without transformers; the
safetensors writer is safetensors_np.py. Regenerate with (needs numpy and torch; judgekit's tests only read the
committed files; the output is deterministic):

    python3 scripts/verify/llama_train_golden.py
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from safetensors_np import read_safetensors, write_safetensors

SEED = 20261206
# hidden 32, 4 query heads of width 8, intermediate 64; rope_theta is not the default, so a graph that ignored the
# config's theta would show in the loss.
BASE = dict(vocab=128, context=32, hidden=32, layers=2, heads=4, head_dim=8, intermediate=64, eps=1e-5, theta=1000.0)
VARIANTS = {
    'llama-train-gqa': dict(kv_heads=2, bias=True, tied=False),
    'llama-train-tied': dict(kv_heads=4, bias=False, tied=True),
}
# A larger learning rate than the book's 5e-5 so the step moves the loss far beyond the tolerance. Weight decay
# applies to every parameter (norms and biases too), as judgekit's AdamW does.
ADAMW = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
PAD = 127
IGNORE = -100
EXAMPLE_LENGTHS = (9, 14, 40, 6)  # the 40-token example is truncated to the context
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'packages', 'backends', 'test-fixtures', 'verify')
PROJECTIONS = ('q_proj', 'k_proj', 'v_proj', 'o_proj')


def canonical_specs(s):
    """judgekit's canonical Llama parameters in order (llama-parameters.ts), [in, out] projections."""
    C, H, KV, D, I, V = s['hidden'], s['heads'], s['kv_heads'], s['head_dim'], s['intermediate'], s['vocab']
    specs = [('embed_tokens.weight', (V, C))]
    for i in range(s['layers']):
        p = f'layers.{i}.'
        specs.append((p + 'input_layernorm.weight', (C,)))
        for name, fan_in, fan_out in (('q_proj', C, H * D), ('k_proj', C, KV * D), ('v_proj', C, KV * D), ('o_proj', H * D, C)):
            specs.append((f'{p}self_attn.{name}.weight', (fan_in, fan_out)))
            if s['bias']:
                specs.append((f'{p}self_attn.{name}.bias', (fan_out,)))
        specs.append((p + 'post_attention_layernorm.weight', (C,)))
        specs += [(p + 'mlp.gate_proj.weight', (C, I)), (p + 'mlp.up_proj.weight', (C, I)), (p + 'mlp.down_proj.weight', (I, C))]
    specs.append(('norm.weight', (C,)))
    if not s['tied']:
        specs.append(('lm_head.weight', (V, C)))
    return specs


def is_projection(name):
    return name.endswith('_proj.weight')


def random_weights(rng, s):
    """Seeded canonical weights, large enough that logits are far from uniform, rounded to float32 once."""
    stds = {'embed_tokens': 0.5, 'lm_head': 0.5, 'q_proj': 0.3, 'k_proj': 0.3, 'v_proj': 0.2, 'o_proj': 0.2, 'gate_proj': 0.25, 'up_proj': 0.25, 'down_proj': 0.15}
    w = {}
    for name, shape in canonical_specs(s):
        if name.endswith('norm.weight'):
            w[name] = (1 + rng.normal(0.0, 0.2, shape)).astype(np.float32)
        elif name.endswith('.bias'):
            w[name] = rng.normal(0.0, 0.1, shape).astype(np.float32)
        else:
            key = next(k for k in stds if k in name)
            w[name] = rng.normal(0.0, stds[key], shape).astype(np.float32)
    return w


def hf_tensors(w, s):
    """Hugging Face LlamaForCausalLM tensors: `model.` prefix, nn.Linear [out, in], lm_head only when untied."""
    tensors = []
    for name, _ in canonical_specs(s):
        array = w[name].T if is_projection(name) else w[name]
        tensors.append((name if name == 'lm_head.weight' else 'model.' + name, array))
    config = {
        'model_type': 'llama', 'architectures': ['LlamaForCausalLM'], 'vocab_size': s['vocab'], 'max_position_embeddings': s['context'],
        'hidden_size': s['hidden'], 'num_hidden_layers': s['layers'], 'num_attention_heads': s['heads'], 'num_key_value_heads': s['kv_heads'],
        'head_dim': s['head_dim'], 'intermediate_size': s['intermediate'], 'hidden_act': 'silu', 'rms_norm_eps': s['eps'],
        'rope_theta': s['theta'], 'tie_word_embeddings': s['tied'], 'attention_bias': s['bias'], 'mlp_bias': False,
        'bos_token_id': 1, 'eos_token_id': 2, 'pad_token_id': PAD, 'torch_dtype': 'float32',
    }
    return tensors, config


# --------------------------------------------------------------------------------------------------------- model


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class TorchLlama:
    """LlamaForCausalLM in float64 over leaf tensors read back from the written file (so a writer bug shows too),
    kept under judgekit's canonical names and layouts only so gradient digests compare name by name."""

    def __init__(self, path, s):
        t = {k: torch.tensor(v, dtype=torch.float64) for k, v in read_safetensors(path).items()}
        self.s = s
        params = {}
        for name, _ in canonical_specs(s):
            tensor = t[name if name == 'lm_head.weight' else 'model.' + name]
            params[name] = tensor.T if is_projection(name) else tensor
        self.params = {k: v.contiguous().clone().requires_grad_(True) for k, v in params.items()}

    def rms_norm(self, x, weight):
        variance = x.pow(2).mean(-1, keepdim=True)
        return weight * (x * torch.rsqrt(variance + self.s['eps']))

    def logits(self, ids):
        s, p = self.s, self.params
        B, T = ids.shape
        H, KV, D = s['heads'], s['kv_heads'], s['head_dim']
        inv_freq = 1.0 / (s['theta'] ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
        freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        x = p['embed_tokens.weight'][ids]
        for i in range(s['layers']):
            a = f'layers.{i}.self_attn.'
            proj = lambda h, name: h @ p[f'{a}{name}.weight'] + (p[f'{a}{name}.bias'] if s['bias'] else 0)
            h = self.rms_norm(x, p[f'layers.{i}.input_layernorm.weight'])
            q = proj(h, 'q_proj').view(B, T, H, D).transpose(1, 2)
            k = proj(h, 'k_proj').view(B, T, KV, D).transpose(1, 2)
            v = proj(h, 'v_proj').view(B, T, KV, D).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            # repeat_kv: KV head j serves query heads j * G .. j * G + G - 1.
            k = k[:, :, None].expand(B, KV, H // KV, T, D).reshape(B, H, T, D)
            v = v[:, :, None].expand(B, KV, H // KV, T, D).reshape(B, H, T, D)
            scores = (q @ k.transpose(2, 3)) * D ** -0.5
            att = scores.masked_fill(~causal, float('-inf')).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, H * D)
            x = x + proj(y, 'o_proj')
            m = self.rms_norm(x, p[f'layers.{i}.post_attention_layernorm.weight'])
            mp = f'layers.{i}.mlp.'
            x = x + (F.silu(m @ p[mp + 'gate_proj.weight']) * (m @ p[mp + 'up_proj.weight'])) @ p[mp + 'down_proj.weight']
        x = self.rms_norm(x, p['norm.weight'])
        head = p['embed_tokens.weight'] if s['tied'] else p['lm_head.weight']
        return x @ head.T

    def loss(self, inputs, targets):
        logits = self.logits(inputs)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)


# ----------------------------------------------------------------------------------------------------- the data


def collate(batch, pad, max_length):
    """The book's custom_collate_fn: pad with `pad`, the first pad target kept, later ones ignored, truncated."""
    longest = max(len(item) + 1 for item in batch)
    inputs, targets = [], []
    for item in batch:
        padded = list(item) + [pad] * (longest - len(item))
        x, y = torch.tensor(padded[:-1]), torch.tensor(padded[1:])
        pads = torch.nonzero(y == pad).squeeze(-1)
        if pads.numel() > 1:
            y[pads[1:]] = IGNORE
        inputs.append(x[:max_length])
        targets.append(y[:max_length])
    return torch.stack(inputs), torch.stack(targets)


def digest(g, extra_rows=()):
    """Layout-independent summary of a gradient plus entries in judgekit's canonical layout: fixed places, the
    largest entry and, for [V, C] tensors, the first entry of rows the batch uses."""
    flat = g.detach().reshape(-1)
    n = flat.numel()
    picks = {0, n // 3, (2 * n) // 3, n - 1, int(flat.abs().argmax())}
    if g.dim() == 2:
        picks |= {row * g.shape[1] + 1 for row in extra_rows}
    return {'norm': float(flat.norm()), 'sum': float(flat.sum()), 'absMax': float(flat.abs().max()),
            'entries': [[i, float(flat[i])] for i in sorted(picks)]}


def golden_for(model, batch):
    out = {}
    loss = model.loss(*batch)
    loss.backward()
    out['batchLoss'] = float(loss)
    rows = sorted({int(batch[0][0, 0]), int(batch[1][0, 0])})
    out['gradients'] = {name: digest(p.grad, rows if name in ('embed_tokens.weight', 'lm_head.weight') else ()) for name, p in model.params.items()}
    optimizer = torch.optim.AdamW(list(model.params.values()), lr=ADAMW['lr'], betas=ADAMW['betas'], eps=ADAMW['eps'], weight_decay=ADAMW['weight_decay'])
    optimizer.step()
    with torch.no_grad():
        out['lossAfterOneStep'] = float(model.loss(*batch))
        # Adam's first step moves an entry by about lr x sign(gradient); the decay term (lr x 0.1 x weight) shows in
        # the weights rather than the loss, so sampled weights after the step are recorded with their gradients.
        out['afterOneStep'] = {}
        for name, p in model.params.items():
            flat, grad = p.detach().reshape(-1), p.grad.reshape(-1)
            picks = sorted({int(round(x)) for x in np.linspace(0, flat.numel() - 1, 8)})
            out['afterOneStep'][name] = [[i, float(grad[i]), float(flat[i])] for i in picks]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default=DEFAULT_OUT)
    args = parser.parse_args()
    out = os.path.normpath(args.out)
    rng = np.random.default_rng(SEED)
    examples = [[int(x) for x in rng.integers(0, PAD, n)] for n in EXAMPLE_LENGTHS]
    batch = collate(examples, PAD, BASE['context'])
    golden = {
        'about': 'Written by scripts/verify/llama_train_golden.py (float64 PyTorch on the float32 weights of llama-train-gqa/ and llama-train-tied/); do not edit.',
        'torch': torch.__version__,
        'seed': SEED,
        'adamw': {'lr': ADAMW['lr'], 'beta1': ADAMW['betas'][0], 'beta2': ADAMW['betas'][1], 'eps': ADAMW['eps'], 'weightDecay': ADAMW['weight_decay']},
        'batch': {'batch': int(batch[0].shape[0]), 'seq': int(batch[0].shape[1]), 'inputs': batch[0].reshape(-1).tolist(), 'targets': batch[1].reshape(-1).tolist()},
        'checkpoints': {},
    }
    for name, variant in VARIANTS.items():
        s = {**BASE, **variant}
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        tensors, config = hf_tensors(random_weights(rng, s), s)
        path = os.path.join(folder, 'model.safetensors')
        write_safetensors(path, [(n, 'F32', a) for n, a in tensors], {'format': 'pt'})
        with open(os.path.join(folder, 'config.json'), 'w') as f:
            json.dump(config, f, indent=2)
            f.write('\n')
        golden['checkpoints'][name] = {'shape': s, **golden_for(TorchLlama(path, s), batch)}
    with open(os.path.join(out, 'llama-train-golden.json'), 'w') as f:
        json.dump(golden, f, indent=1)
        f.write('\n')
    for name, g in golden['checkpoints'].items():
        print(f"{name}: batch loss {g['batchLoss']:.6f}, after one AdamW step {g['lossAfterOneStep']:.6f}")
    print(f'wrote {out}')


if __name__ == '__main__':
    torch.set_default_dtype(torch.float64)
    main()
