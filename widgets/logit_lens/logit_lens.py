"""Logit lens: what the tiny model would predict next if its residual stream stopped after each layer.

The final RMSNorm and the unembedding normally read only the last layer's output. The logit lens
(nostalgebraist 2020, "interpreting GPT: the logit lens") applies them to the residual stream after the
embedding and after every layer: a traced `llm_core.model.forward` returns them for each layer
(`logit_lens`), and the embedding's row is read the same way with `llm_core.model.unembed`. For each
position and each depth the widget shows the most likely next token and its probability; the last
depth is the model's real prediction.
"""

import functools

import numpy as np

from llm_core.model import load_model, prompt_ids, unembed
from llm_core.norms import rms_norm
from llm_core.tokenizer import render_token

MODEL = "models/tiny"
MAX_PROMPT_CHARS = 2_000
MAX_TOKENS = 32          # positions shown (the last ones of the prompt): 6 unembeddings of 32 rows stay within an edit's budget
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids exactly).
REL_TOL = 1e-3

DEFAULTS = {"prompt": "I recommend that the Congress make provision for the payment of the public debt."}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"prompt": "The President of the United States"},
    {"prompt": "Fellow citizens of the Senate and House of Representatives:\n\nThe year"},
    {"prompt": ""},
]
DATA = ["models/tiny/config.json", "models/tiny/weights.npz", "models/tiny/tokenizer.json",
        "models/tiny/vocab.tiktoken"]
CODE = [
    "llm_core.model.forward",
    "llm_core.model.unembed",
    "llm_core.norms.rms_norm",
]


@functools.cache
def model():
    return load_model(MODEL)


@functools.cache
def token_segs(token_id: int) -> list:
    return render_token(model().encoding.decode_tokens_bytes([token_id])[0])


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    if not isinstance(p["prompt"], str):
        raise ValueError("the prompt must be text")
    return {"prompt": p["prompt"]}


def read_ids(prompt: str):  # -> ids (at most MAX_TOKENS), notes
    ids, notes = prompt_ids(model(), prompt, 1, MAX_PROMPT_CHARS)
    if len(ids) > MAX_TOKENS:
        notes.append(f"The prompt is {len(ids)} tokens: this figure runs the model on its last {MAX_TOKENS} only.")
        ids = ids[-MAX_TOKENS:]
    return ids, notes


def best_and_p(logits):  # [..., n_vocab] -> best [...] int, p_best [...] float64
    """The most likely token and its probability, without the whole softmax: exp(0) / sum(exp(logits - max))."""
    return np.argmax(logits, axis=-1), 1.0 / np.exp(logits - logits.max(axis=-1, keepdims=True)).sum(axis=-1, dtype=np.float64)


@functools.cache  # at most one entry per vocabulary token
def embedding_readout(token_id: int) -> tuple[int, float]:
    """The lens at depth 0 reads a token's own embedding row, so it depends on the token alone: its most
    likely next token and that token's probability, computed once per token."""
    tiny = model()
    row = tiny.weights["tok_emb"][[token_id]]                                               # [1, d_model]
    best, p = best_and_p(unembed(rms_norm(row, tiny.weights["final_norm"], tiny.cfg.norm_eps), tiny.weights))
    return int(best[0]), float(p[0])


def lens_readout(ids):  # [n_seq] -> best [n_layer + 1, n_seq] int, p_best [n_layer + 1, n_seq]
    """Each depth's most likely next token and its probability: the embedding, then after each layer.

    The traced forward pass unembeds the stream after every layer (`logit_lens`); its last depth is the
    model's own prediction, so the model's final unembedding is kept for the last position only."""
    _, trace = model().forward(ids, trace=True, logits_to_keep=1)
    best, p_best = best_and_p(trace["logit_lens"])                                      # [n_layer, n_seq]
    embedding = [embedding_readout(int(i)) for i in ids]
    return (np.vstack([[b for b, _ in embedding], best]),
            np.vstack([[p for _, p in embedding], p_best]))


def compute(params: dict) -> dict:
    p = read_params(params)
    ids, notes = read_ids(p["prompt"])
    best, p_best = lens_readout(ids)                      # [depth, n_seq]
    n_depth, n = best.shape
    depths = ["embedding"] + [f"layer {i}" for i in range(n_depth - 1)]
    rows = []
    for t in range(n):
        following = int(ids[t + 1]) if t + 1 < n else None
        rows.append({
            "position": t, "id": int(ids[t]), "segs": token_segs(int(ids[t])),
            "next": None if following is None else {"id": following, "segs": token_segs(following)},
            "cells": [{"id": int(best[d, t]), "segs": token_segs(int(best[d, t])), "p": float(p_best[d, t]),
                       "hit": following is not None and int(best[d, t]) == following} for d in range(n_depth)],
        })
    n_scored = n - 1
    hits = [sum(r["cells"][d]["hit"] for r in rows) for d in range(n_depth)]
    return {
        "depths": depths,
        "rows": rows,
        "n_tokens": n,
        "n_scored": n_scored,
        "hits": hits,
        "final": rows[-1]["cells"][-1],
        "params": p,
        "note": " ".join(notes) or None,
    }
