#!/usr/bin/env python3
"""An implementation of GPT-2 test loss that shares no code with judgekit: NumPy only, float64.

Builds a GPT-2 checkpoint with seeded random weights in Hugging Face `GPT2LMHeadModel` naming (`transformer.`
prefix, Conv1D [in, out] weights, `attn.bias`/`masked_bias` buffers, tied head) or in the book's `GPTModel` naming
(Linear [out, in] weights, separate `out_head`, JSON config), writes it as safetensors, and computes the study's
test loss (non-overlapping windows, targets shifted by one, mean of batch means) on a flat uint16 token file.

    python3 scripts/verify/numpy_gpt2_loss.py build --naming hf --out /tmp/x   # writes model.safetensors + config
    python3 scripts/verify/numpy_gpt2_loss.py loss /tmp/x tokens.bin --context 128 --batch-size 4 --batches 3

Then compare with `npm run judgekit -- loss /tmp/x/model.safetensors tokens.bin --context-length 128 ... --json`.
"""
import argparse
import json
import os

import numpy as np

from safetensors_np import read_safetensors, write_safetensors

SHAPE = dict(vocab=50257, context=128, emb=96, layers=3, heads=4)


def random_weights(seed, s, spread):
    """Canonical layout: per layer q/k/v/o as [in, out] matrices. `spread` scales every weight's spread: at 10 the
    logits are far from uniform (loss well away from ln(vocab)), so a wrong layer shows in the loss."""
    rng = np.random.default_rng(seed)
    C, V, T, L = s['emb'], s['vocab'], s['context'], s['layers']
    n = lambda *shape, scale=0.02: rng.normal(0, scale * spread, shape)
    w = {'wte': n(V, C), 'wpe': n(T, C, scale=0.01), 'lnf_w': 1 + n(C, scale=0.1), 'lnf_b': n(C), 'layers': []}
    for _ in range(L):
        w['layers'].append({
            'ln1_w': 1 + n(C, scale=0.1), 'ln1_b': n(C), 'q': n(C, C, scale=0.2), 'k': n(C, C, scale=0.2), 'v': n(C, C),
            'qb': n(C), 'kb': n(C), 'vb': n(C), 'o': n(C, C), 'ob': n(C),
            'ln2_w': 1 + n(C, scale=0.1), 'ln2_b': n(C), 'fc': n(C, 4 * C), 'fcb': n(4 * C), 'proj': n(4 * C, C), 'projb': n(C),
        })
    w['head'] = n(V, C)
    return w


def build(args):
    s = SHAPE
    w = random_weights(args.seed, s, args.spread)
    os.makedirs(args.out, exist_ok=True)
    dt = args.dtype
    t = {}
    if args.naming == 'hf':
        p = 'transformer.'
        t[p + 'wte.weight'] = (dt, w['wte'])
        t[p + 'wpe.weight'] = (dt, w['wpe'])
        for i, l in enumerate(w['layers']):
            h = f'{p}h.{i}.'
            t[h + 'ln_1.weight'], t[h + 'ln_1.bias'] = (dt, l['ln1_w']), (dt, l['ln1_b'])
            t[h + 'attn.c_attn.weight'] = (dt, np.concatenate([l['q'], l['k'], l['v']], axis=1))  # Conv1D: [in, out]
            t[h + 'attn.c_attn.bias'] = (dt, np.concatenate([l['qb'], l['kb'], l['vb']]))
            t[h + 'attn.c_proj.weight'], t[h + 'attn.c_proj.bias'] = (dt, l['o']), (dt, l['ob'])
            t[h + 'ln_2.weight'], t[h + 'ln_2.bias'] = (dt, l['ln2_w']), (dt, l['ln2_b'])
            t[h + 'mlp.c_fc.weight'], t[h + 'mlp.c_fc.bias'] = (dt, l['fc']), (dt, l['fcb'])
            t[h + 'mlp.c_proj.weight'], t[h + 'mlp.c_proj.bias'] = (dt, l['proj']), (dt, l['projb'])
            t[h + 'attn.bias'] = ('F32', np.tril(np.ones((1, 1, s['context'], s['context']))))
            t[h + 'attn.masked_bias'] = ('F32', np.array(-1e4))
        t[p + 'ln_f.weight'], t[p + 'ln_f.bias'] = (dt, w['lnf_w']), (dt, w['lnf_b'])
        config = {'model_type': 'gpt2', 'vocab_size': s['vocab'], 'n_positions': s['context'], 'n_embd': s['emb'],
                  'n_layer': s['layers'], 'n_head': s['heads'], 'layer_norm_epsilon': 1e-5, 'tie_word_embeddings': True}
        config_name = 'config.json'
    else:
        t['tok_emb.weight'], t['pos_emb.weight'] = (dt, w['wte']), (dt, w['wpe'])
        for i, l in enumerate(w['layers']):
            b = f'trf_blocks.{i}.'
            for name, key in (('W_query', 'q'), ('W_key', 'k'), ('W_value', 'v')):
                t[b + f'att.{name}.weight'] = (dt, l[key].T)  # Linear: [out, in]
                t[b + f'att.{name}.bias'] = (dt, l[key + 'b'])
            t[b + 'att.out_proj.weight'], t[b + 'att.out_proj.bias'] = (dt, l['o'].T), (dt, l['ob'])
            t[b + 'norm1.scale'], t[b + 'norm1.shift'] = (dt, l['ln1_w']), (dt, l['ln1_b'])
            t[b + 'norm2.scale'], t[b + 'norm2.shift'] = (dt, l['ln2_w']), (dt, l['ln2_b'])
            t[b + 'ff.layers.0.weight'], t[b + 'ff.layers.0.bias'] = (dt, l['fc'].T), (dt, l['fcb'])
            t[b + 'ff.layers.2.weight'], t[b + 'ff.layers.2.bias'] = (dt, l['proj'].T), (dt, l['projb'])
        t['final_norm.scale'], t['final_norm.shift'] = (dt, w['lnf_w']), (dt, w['lnf_b'])
        t['out_head.weight'] = (dt, w['head'])
        config = {'vocab_size': s['vocab'], 'context_length': s['context'], 'emb_dim': s['emb'], 'n_heads': s['heads'],
                  'n_layers': s['layers'], 'drop_rate': 0.0, 'qkv_bias': True}
        config_name = 'model.json'
    write_safetensors(os.path.join(args.out, 'model.safetensors'), [(name, dtype, array) for name, (dtype, array) in t.items()])
    with open(os.path.join(args.out, config_name), 'w') as f:
        json.dump(config, f)
    print(os.path.join(args.out, 'model.safetensors'))


def load(model_dir):
    t = read_safetensors(os.path.join(model_dir, 'model.safetensors'))
    if 'tok_emb.weight' in t:
        cfg = json.load(open(os.path.join(model_dir, 'model.json')))
        L, H = cfg['n_layers'], cfg['n_heads']
        w = {'wte': t['tok_emb.weight'], 'wpe': t['pos_emb.weight'], 'lnf_w': t['final_norm.scale'], 'lnf_b': t['final_norm.shift'],
             'head': t['out_head.weight'], 'layers': []}
        for i in range(L):
            b = f'trf_blocks.{i}.'
            g = lambda k: t[b + k]
            w['layers'].append({'ln1_w': g('norm1.scale'), 'ln1_b': g('norm1.shift'), 'q': g('att.W_query.weight').T, 'qb': g('att.W_query.bias'),
                                'k': g('att.W_key.weight').T, 'kb': g('att.W_key.bias'), 'v': g('att.W_value.weight').T, 'vb': g('att.W_value.bias'),
                                'o': g('att.out_proj.weight').T, 'ob': g('att.out_proj.bias'), 'ln2_w': g('norm2.scale'), 'ln2_b': g('norm2.shift'),
                                'fc': g('ff.layers.0.weight').T, 'fcb': g('ff.layers.0.bias'), 'proj': g('ff.layers.2.weight').T, 'projb': g('ff.layers.2.bias')})
    else:
        cfg = json.load(open(os.path.join(model_dir, 'config.json')))
        L, H = cfg['n_layer'], cfg['n_head']
        p = 'transformer.'
        C = cfg['n_embd']
        w = {'wte': t[p + 'wte.weight'], 'wpe': t[p + 'wpe.weight'], 'lnf_w': t[p + 'ln_f.weight'], 'lnf_b': t[p + 'ln_f.bias'], 'layers': []}
        w['head'] = w['wte']
        for i in range(L):
            h = f'{p}h.{i}.'
            ca, cb = t[h + 'attn.c_attn.weight'], t[h + 'attn.c_attn.bias']
            w['layers'].append({'ln1_w': t[h + 'ln_1.weight'], 'ln1_b': t[h + 'ln_1.bias'], 'q': ca[:, :C], 'k': ca[:, C:2 * C], 'v': ca[:, 2 * C:],
                                'qb': cb[:C], 'kb': cb[C:2 * C], 'vb': cb[2 * C:], 'o': t[h + 'attn.c_proj.weight'], 'ob': t[h + 'attn.c_proj.bias'],
                                'ln2_w': t[h + 'ln_2.weight'], 'ln2_b': t[h + 'ln_2.bias'], 'fc': t[h + 'mlp.c_fc.weight'], 'fcb': t[h + 'mlp.c_fc.bias'],
                                'proj': t[h + 'mlp.c_proj.weight'], 'projb': t[h + 'mlp.c_proj.bias']})
    return w, H


def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def nll(w, H, ids, targets):
    T = len(ids)
    x = w['wte'][ids].astype(np.float64) + w['wpe'][:T]
    C = x.shape[-1]
    D = C // H
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in w['layers']:
        a = layer_norm(x, l['ln1_w'], l['ln1_b'])
        q = (a @ l['q'] + l['qb']).reshape(T, H, D).transpose(1, 0, 2)
        k = (a @ l['k'] + l['kb']).reshape(T, H, D).transpose(1, 0, 2)
        v = (a @ l['v'] + l['vb']).reshape(T, H, D).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(D) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        p = s / s.sum(-1, keepdims=True)
        x = x + ((p @ v).transpose(1, 0, 2).reshape(T, C) @ l['o'] + l['ob'])
        m = layer_norm(x, l['ln2_w'], l['ln2_b'])
        x = x + (gelu(m @ l['fc'] + l['fcb']) @ l['proj'] + l['projb'])
    logits = layer_norm(x, w['lnf_w'], w['lnf_b']) @ w['head'].T
    top = logits.max(-1, keepdims=True)
    lse = np.log(np.exp(logits - top).sum(-1)) + top[:, 0]
    return lse - logits[np.arange(T), targets]


def loss(args):
    w, H = load(args.model)
    tokens = np.fromfile(args.tokens, dtype='<u2').astype(np.int64)
    T, B = args.context, args.batch_size
    batch_means, all_nll = [], []
    start = args.start_token
    for k in range(args.batches):
        values = []
        for r in range(B):
            s0 = start + (k * B + r) * T
            window = tokens[s0:s0 + T + 1]
            if len(window) < 2:
                break
            values.append(nll(w, H, window[:-1], window[1:]))
        if not values:
            break
        flat = np.concatenate(values)
        batch_means.append(flat.mean())
        all_nll.append(flat)
    flat = np.concatenate(all_nll)
    print(json.dumps({'loss': float(np.mean(batch_means)), 'tokenMean': float(flat.mean()), 'tokens': int(flat.size), 'batches': len(batch_means)}))


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest='command', required=True)
    b = sub.add_parser('build')
    b.add_argument('--naming', choices=['hf', 'book'], required=True)
    b.add_argument('--out', required=True)
    b.add_argument('--seed', type=int, default=2026)
    b.add_argument('--dtype', choices=['F32', 'F16'], default='F32')
    b.add_argument('--spread', type=float, default=10.0)
    l = sub.add_parser('loss')
    l.add_argument('model')
    l.add_argument('tokens')
    l.add_argument('--context', type=int, default=128)
    l.add_argument('--batch-size', type=int, default=4)
    l.add_argument('--batches', type=int, default=3)
    l.add_argument('--start-token', type=int, default=0)
    a = parser.parse_args()
    build(a) if a.command == 'build' else loss(a)
