#!/usr/bin/env python3
"""Golden values for judgekit's GPT-2 engine, computed by code that shares nothing with judgekit.

Writes, under packages/backends/test-fixtures/verify/ (or --out):

  gpt2-hf/model.safetensors + config.json   a tiny seeded GPT-2 in Hugging Face GPT2LMHeadModel naming
                                            (`transformer.` prefix, Conv1D [in, out] weights, fused c_attn,
                                            `attn.bias` mask buffers, head tied to wte, so no lm_head tensor)
  gpt2-book/model.safetensors + model.json  the same weights in the book's GPTModel naming (Linear [out, in],
                                            separate W_query/W_key/W_value, `out_head` stored with wte's values)
  gpt2-golden.json                          what a float64 PyTorch model computes from the float32 weights:
                                            logits digests and per-token NLL for a few token sequences, the mean
                                            token loss, an instruction batch collated with the book's
                                            custom_collate_fn, its loss and per-parameter gradient digests, and
                                            the loss and sampled weights after one torch.optim.AdamW step
                                            (judgekit's BOOK_ADAMW).

The safetensors writer is this file's own; the forward pass, backward pass (torch autograd) and optimizer are
PyTorch's. Regenerate with (needs numpy and torch; judgekit's tests only read the committed files):

    python3 scripts/verify/gpt2_golden.py
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from safetensors_np import read_safetensors, write_safetensors

SEED = 20261205
SHAPE = dict(vocab=128, context=32, emb=32, layers=2, heads=4)
# judgekit's BOOK_ADAMW (packages/backends/src/training/adamw.ts): torch.optim.AdamW over model.parameters(), so
# weight decay applies to every parameter, biases and LayerNorm included, as the book does.
ADAMW = dict(lr=5e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
PAD = 127  # the batch's pad / end-of-text id (GPT-2's 50256 does not fit this vocabulary)
IGNORE = -100
# Token sequences whose logits are recorded: a full context window, a middle length and the shortest (2 tokens).
SEQUENCE_LENGTHS = (32, 13, 2)
LOGIT_IDS = (0, 5, 64, 126)  # vocabulary entries recorded at every position
# Instruction examples (token ids below PAD) and their prompt lengths; the 40-token one is truncated to the context.
EXAMPLE_LENGTHS = (9, 14, 40, 6)
PROMPT_LENGTHS = (5, 8, 25, 3)
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'packages', 'backends', 'test-fixtures', 'verify')


# ------------------------------------------------------------------------------------------------------- weights


def random_weights(rng, s):
    """Seeded weights, large enough that logits are far from uniform (a wrong layer or term shows in the loss),
    rounded to float32 once: the files hold exactly these values."""
    C, V, T = s['emb'], s['vocab'], s['context']
    n = lambda *shape, std: rng.normal(0.0, std, shape).astype(np.float32)
    w = {'wte': n(V, C, std=0.5), 'wpe': n(T, C, std=0.2), 'lnf_w': 1 + n(C, std=0.2), 'lnf_b': n(C, std=0.1), 'layers': []}
    for _ in range(s['layers']):
        w['layers'].append({
            'ln1_w': 1 + n(C, std=0.2), 'ln1_b': n(C, std=0.1),
            'q': n(C, C, std=0.3), 'k': n(C, C, std=0.3), 'v': n(C, C, std=0.2),  # [in, out]
            'qb': n(C, std=0.1), 'kb': n(C, std=0.1), 'vb': n(C, std=0.1),
            'o': n(C, C, std=0.2), 'ob': n(C, std=0.1),
            'ln2_w': 1 + n(C, std=0.2), 'ln2_b': n(C, std=0.1),
            'fc': n(C, 4 * C, std=0.25), 'fcb': n(4 * C, std=0.1), 'proj': n(4 * C, C, std=0.15), 'projb': n(C, std=0.1),
        })
    return w


def hf_tensors(w, s):
    p = 'transformer.'
    t = [(p + 'wte.weight', w['wte']), (p + 'wpe.weight', w['wpe'])]
    for i, l in enumerate(w['layers']):
        h = f'{p}h.{i}.'
        t += [
            (h + 'ln_1.weight', l['ln1_w']), (h + 'ln_1.bias', l['ln1_b']),
            (h + 'attn.bias', np.tril(np.ones((s['context'], s['context']), np.float32)).reshape(1, 1, s['context'], s['context'])),
            (h + 'attn.c_attn.weight', np.concatenate([l['q'], l['k'], l['v']], axis=1)),
            (h + 'attn.c_attn.bias', np.concatenate([l['qb'], l['kb'], l['vb']])),
            (h + 'attn.c_proj.weight', l['o']), (h + 'attn.c_proj.bias', l['ob']),
            (h + 'ln_2.weight', l['ln2_w']), (h + 'ln_2.bias', l['ln2_b']),
            (h + 'mlp.c_fc.weight', l['fc']), (h + 'mlp.c_fc.bias', l['fcb']),
            (h + 'mlp.c_proj.weight', l['proj']), (h + 'mlp.c_proj.bias', l['projb']),
        ]
    t += [(p + 'ln_f.weight', w['lnf_w']), (p + 'ln_f.bias', w['lnf_b'])]
    config = {'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'], 'vocab_size': s['vocab'], 'n_positions': s['context'],
              'n_ctx': s['context'], 'n_embd': s['emb'], 'n_layer': s['layers'], 'n_head': s['heads'], 'layer_norm_epsilon': 1e-5,
              'activation_function': 'gelu_new', 'tie_word_embeddings': True}
    return t, config


def book_tensors(w, s):
    t = [('tok_emb.weight', w['wte']), ('pos_emb.weight', w['wpe'])]
    for i, l in enumerate(w['layers']):
        b = f'trf_blocks.{i}.'
        t += [
            (b + 'att.W_query.weight', l['q'].T), (b + 'att.W_query.bias', l['qb']),
            (b + 'att.W_key.weight', l['k'].T), (b + 'att.W_key.bias', l['kb']),
            (b + 'att.W_value.weight', l['v'].T), (b + 'att.W_value.bias', l['vb']),
            (b + 'att.out_proj.weight', l['o'].T), (b + 'att.out_proj.bias', l['ob']),
            (b + 'ff.layers.0.weight', l['fc'].T), (b + 'ff.layers.0.bias', l['fcb']),
            (b + 'ff.layers.2.weight', l['proj'].T), (b + 'ff.layers.2.bias', l['projb']),
            (b + 'norm1.scale', l['ln1_w']), (b + 'norm1.shift', l['ln1_b']),
            (b + 'norm2.scale', l['ln2_w']), (b + 'norm2.shift', l['ln2_b']),
        ]
    # The book copies OpenAI's tied weights into out_head and then trains it as its own parameter.
    t += [('final_norm.scale', w['lnf_w']), ('final_norm.shift', w['lnf_b']), ('out_head.weight', w['wte'].copy())]
    config = {'vocab_size': s['vocab'], 'context_length': s['context'], 'emb_dim': s['emb'], 'n_heads': s['heads'],
              'n_layers': s['layers'], 'drop_rate': 0.0, 'qkv_bias': True}
    return t, config


# --------------------------------------------------------------------------------------------------------- model


class TorchGpt2:
    """GPT-2 in float64 over leaf tensors read back from a written file (so a writer bug shows too). Parameters are
    kept under judgekit's canonical names and layouts (HF names without the prefix, [in, out] matrices) only so
    that the gradient digests can be compared name by name; the layout mapping here is this file's own."""

    def __init__(self, path, naming, s):
        t = {k: torch.tensor(v, dtype=torch.float64) for k, v in read_safetensors(path).items()}
        self.s = s
        p = {}
        if naming == 'hf':
            g = lambda k: t['transformer.' + k]
            p['wte.weight'], p['wpe.weight'] = g('wte.weight'), g('wpe.weight')
            for i in range(s['layers']):
                for k in ('ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias',
                          'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias'):
                    p[f'h.{i}.{k}'] = g(f'h.{i}.{k}')
            p['ln_f.weight'], p['ln_f.bias'] = g('ln_f.weight'), g('ln_f.bias')
            self.tied = True
        else:
            p['wte.weight'], p['wpe.weight'] = t['tok_emb.weight'], t['pos_emb.weight']
            for i in range(s['layers']):
                b, h = f'trf_blocks.{i}.', f'h.{i}.'
                p[h + 'ln_1.weight'], p[h + 'ln_1.bias'] = t[b + 'norm1.scale'], t[b + 'norm1.shift']
                p[h + 'attn.c_attn.weight'] = torch.cat([t[b + f'att.{n}.weight'].T for n in ('W_query', 'W_key', 'W_value')], dim=1)
                p[h + 'attn.c_attn.bias'] = torch.cat([t[b + f'att.{n}.bias'] for n in ('W_query', 'W_key', 'W_value')])
                p[h + 'attn.c_proj.weight'], p[h + 'attn.c_proj.bias'] = t[b + 'att.out_proj.weight'].T, t[b + 'att.out_proj.bias']
                p[h + 'ln_2.weight'], p[h + 'ln_2.bias'] = t[b + 'norm2.scale'], t[b + 'norm2.shift']
                p[h + 'mlp.c_fc.weight'], p[h + 'mlp.c_fc.bias'] = t[b + 'ff.layers.0.weight'].T, t[b + 'ff.layers.0.bias']
                p[h + 'mlp.c_proj.weight'], p[h + 'mlp.c_proj.bias'] = t[b + 'ff.layers.2.weight'].T, t[b + 'ff.layers.2.bias']
            p['ln_f.weight'], p['ln_f.bias'] = t['final_norm.scale'], t['final_norm.shift']
            p['lm_head.weight'] = t['out_head.weight']
            self.tied = False
        self.params = {k: v.contiguous().clone().requires_grad_(True) for k, v in p.items()}

    def logits(self, ids):
        """ids: int64 [B, T] -> logits [B, T, V]."""
        s, p = self.s, self.params
        B, T = ids.shape
        C, H = s['emb'], s['heads']
        D = C // H
        x = p['wte.weight'][ids] + p['wpe.weight'][:T]
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        for i in range(s['layers']):
            h = f'h.{i}.'
            a = F.layer_norm(x, (C,), p[h + 'ln_1.weight'], p[h + 'ln_1.bias'], eps=1e-5)
            qkv = a @ p[h + 'attn.c_attn.weight'] + p[h + 'attn.c_attn.bias']
            q, k, v = (z.reshape(B, T, H, D).transpose(1, 2) for z in qkv.split(C, dim=-1))
            scores = (q @ k.transpose(-1, -2)) / (D ** 0.5)
            att = scores.masked_fill(~causal, float('-inf')).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            x = x + y @ p[h + 'attn.c_proj.weight'] + p[h + 'attn.c_proj.bias']
            m = F.layer_norm(x, (C,), p[h + 'ln_2.weight'], p[h + 'ln_2.bias'], eps=1e-5)
            f = F.gelu(m @ p[h + 'mlp.c_fc.weight'] + p[h + 'mlp.c_fc.bias'], approximate='tanh')
            x = x + f @ p[h + 'mlp.c_proj.weight'] + p[h + 'mlp.c_proj.bias']
        x = F.layer_norm(x, (C,), p['ln_f.weight'], p['ln_f.bias'], eps=1e-5)
        head = p['wte.weight'] if self.tied else p['lm_head.weight']
        return x @ head.T

    def loss(self, inputs, targets):
        logits = self.logits(inputs)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)


# ----------------------------------------------------------------------------------------------------- the data


def book_collate(batch, pad, allowed_max_length, prompt_lengths=None):
    """The book's custom_collate_fn (ch. 7), plus the optional prompt mask."""
    batch_max_length = max(len(item) + 1 for item in batch)
    inputs_lst, targets_lst = [], []
    for row, item in enumerate(batch):
        new_item = list(item) + [pad]
        padded = new_item + [pad] * (batch_max_length - len(new_item))
        inputs = torch.tensor(padded[:-1])
        targets = torch.tensor(padded[1:])
        indices = torch.nonzero(targets == pad).squeeze(-1)
        if indices.numel() > 1:
            targets[indices[1:]] = IGNORE
        if prompt_lengths is not None:
            targets[: prompt_lengths[row] - 1] = IGNORE
        inputs, targets = inputs[:allowed_max_length], targets[:allowed_max_length]
        inputs_lst.append(inputs)
        targets_lst.append(targets)
    return torch.stack(inputs_lst), torch.stack(targets_lst)


def floats(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def digest(g):
    """Layout-independent summary of a gradient plus four entries in judgekit's canonical layout."""
    flat = g.detach().reshape(-1)
    n = flat.numel()
    picks = sorted({0, n // 3, (2 * n) // 3, n - 1})
    return {'norm': float(flat.norm()), 'sum': float(flat.sum()), 'absMax': float(flat.abs().max()),
            'entries': [[i, float(flat[i])] for i in picks]}


def golden_for(model, sequences, batch, masked_batch):
    out = {}
    with torch.no_grad():
        seqs = []
        all_nll = []
        for seq in sequences:
            ids = torch.tensor(seq[:-1]).unsqueeze(0)
            targets = torch.tensor(seq[1:])
            logits = model.logits(ids)[0]
            nll = -logits.log_softmax(-1)[torch.arange(len(targets)), targets]
            all_nll.append(nll)
            seqs.append({'lastLogits': floats(logits[-1]), 'selectedLogits': [floats(logits[:, j]) for j in LOGIT_IDS], 'nll': floats(nll)})
        out['sequences'] = seqs
        out['meanTokenLoss'] = float(torch.cat(all_nll).mean())
        out['maskedPromptLoss'] = float(model.loss(*masked_batch))
    loss = model.loss(*batch)
    loss.backward()
    out['batchLoss'] = float(loss)
    out['gradients'] = {name: digest(p.grad) for name, p in model.params.items()}
    optimizer = torch.optim.AdamW(list(model.params.values()), lr=ADAMW['lr'], betas=ADAMW['betas'], eps=ADAMW['eps'], weight_decay=ADAMW['weight_decay'])
    before = {name: p.detach().clone() for name, p in model.params.items()}
    optimizer.step()
    with torch.no_grad():
        out['lossAfterOneStep'] = float(model.loss(*batch))
        # How far the step moved the weights: shows that it did move them (Adam's first step is about lr per entry).
        out['stepL1'] = float(sum((p - before[name]).abs().sum() for name, p in model.params.items()))
        # Weights after the step at eight places per parameter, with the gradient there. Adam's first step moves an
        # entry by about lr x sign(gradient) whatever the gradient's size, so the loss after one step cannot tell
        # the weight decay (lr x 0.1 x weight) apart; these values can.
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
    s = SHAPE
    rng = np.random.default_rng(SEED)
    w = random_weights(rng, s)
    sequences = [[int(x) for x in rng.integers(0, s['vocab'], n + 1)] for n in SEQUENCE_LENGTHS]
    examples = [[int(x) for x in rng.integers(0, PAD, n)] for n in EXAMPLE_LENGTHS]
    batch = book_collate(examples, PAD, s['context'])
    masked_batch = book_collate(examples, PAD, s['context'], PROMPT_LENGTHS)

    files = {}
    for naming, build, config_name in (('hf', hf_tensors, 'config.json'), ('book', book_tensors, 'model.json')):
        folder = os.path.join(out, f'gpt2-{naming}')
        os.makedirs(folder, exist_ok=True)
        tensors, config = build(w, s)
        path = os.path.join(folder, 'model.safetensors')
        write_safetensors(path, [(name, 'F32', array) for name, array in tensors], {'format': 'pt'})
        with open(os.path.join(folder, config_name), 'w') as f:
            json.dump(config, f, indent=2)
            f.write('\n')
        files[naming] = path

    golden = {
        'about': 'Written by scripts/verify/gpt2_golden.py (float64 PyTorch on the float32 weights of gpt2-hf/ and gpt2-book/); do not edit.',
        'torch': torch.__version__,
        'seed': SEED,
        'shape': s,
        'padTokenId': PAD,
        'adamw': {'lr': ADAMW['lr'], 'beta1': ADAMW['betas'][0], 'beta2': ADAMW['betas'][1], 'eps': ADAMW['eps'], 'weightDecay': ADAMW['weight_decay']},
        'logitIds': list(LOGIT_IDS),
        'sequences': sequences,
        'examples': [{'ids': ids, 'promptLength': pl} for ids, pl in zip(examples, PROMPT_LENGTHS)],
        'batch': {'batch': int(batch[0].shape[0]), 'seq': int(batch[0].shape[1]), 'inputs': batch[0].reshape(-1).tolist(), 'targets': batch[1].reshape(-1).tolist()},
        'maskedTargets': masked_batch[1].reshape(-1).tolist(),
        'namings': {},
    }
    for naming, path in files.items():
        golden['namings'][naming] = golden_for(TorchGpt2(path, naming, s), sequences, batch, masked_batch)
    with open(os.path.join(out, 'gpt2-golden.json'), 'w') as f:
        json.dump(golden, f, indent=1)
        f.write('\n')
    for naming in files:
        g = golden['namings'][naming]
        print(f"{naming}: mean token loss {g['meanTokenLoss']:.6f}, batch loss {g['batchLoss']:.6f}, after one AdamW step {g['lossAfterOneStep']:.6f}")
    print(f'wrote {out}')


if __name__ == '__main__':
    torch.set_default_dtype(torch.float64)
    main()
