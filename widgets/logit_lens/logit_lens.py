"""Logit lens: what a model would predict next if its residual stream stopped after each layer.

The final RMSNorm and the unembedding normally read only the last layer's output. The logit lens
(nostalgebraist 2020, "interpreting GPT: the logit lens") applies them to the residual stream after the
embedding and after every layer: a traced `llm_core.model.forward` returns the stream after each layer
(`residual`), and each is read out with `llm_core.norms.rms_norm` and `llm_core.model.unembed`. For each
position and each depth the widget shows the most likely next token and its probability; the last
depth is the model's real prediction. A last row follows the model's final answer at the last position
through the depths: its probability and rank at each.

The model is Glassbox's tiny one, or SmolLM2-135M-Instruct (or the reader's own GGUF file) once loaded
(llm_core.models). A readout scores every vocabulary token: SmolLM2's 49,152 rows of 576 make it cost
about as much as a fifth of a whole pass, so for a real model the figure reads the last MAX_TOKENS_REAL
tokens and reads out only the last LENS_ROWS_REAL positions, at all 31 depths.
"""

import numpy as np

from llm_core.controls import as_choice
from llm_core.memo import per_model
from widgetlib.prompt import prompt_ids
from llm_core.model import unembed
from llm_core.models import MODEL_NAMES, get_model
from llm_core.norms import rms_norm
from llm_core.tokenizer import render_token
from widgetlib.fmt import integer, percent
from widgetlib.model import TINY_FILES

MAX_PROMPT_CHARS = 2_000
MAX_TOKENS = 32  # positions shown (the last ones of the prompt): 6 unembeddings of 32 rows stay within an edit's budget
MAX_TOKENS_REAL = 16  # tokens a real model reads (the last ones): 0.1 to 0.2 s each in the browser
LENS_ROWS_REAL = 3  # ... and positions read out (the last ones), 30 readouts of 49,152 tokens each
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids exactly).
REL_TOL = 1e-3
N_SHADES = 5  # a cell's shade: its probability in fifths (0: under 20%, 4: 80% and more)

DEFAULTS = {
    "prompt": "I recommend that the Congress make provision for the payment of the public debt.",
    "model": "tiny",
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"prompt": "The President of the United States"},
    {"prompt": "Fellow citizens of the Senate and House of Representatives:\n\nThe year"},
    {"prompt": ""},
]
# " Paris" rises through SmolLM2's last layers (chapter 8)
CAPITAL = "The capital of France is"
# Param sets that need SmolLM2 loaded: a browser test runs them in the page once the model is in.
SMOLLM2_EXAMPLES = [
    {"model": "smollm2", "prompt": CAPITAL},
    {"model": "smollm2", "prompt": "Paris"},
]
DATA = TINY_FILES
CODE = [
    "llm_core.model.forward",
    "llm_core.model.unembed",
    "llm_core.norms.rms_norm",
]


def model(name="tiny"):
    return get_model(name)


def token_segs(chosen, token_id: int) -> list:
    return render_token(chosen.encoding.decode_tokens_bytes([token_id])[0])


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    if not isinstance(p["prompt"], str):
        raise ValueError("the prompt must be text")
    return {"prompt": p["prompt"], "model": as_choice("model", p["model"], list(MODEL_NAMES))}


def read_ids(prompt: str, name="tiny"):  # -> ids (at most MAX_TOKENS; a real model's MAX_TOKENS_REAL), notes
    ids, notes = prompt_ids(model(name), prompt, 1, MAX_PROMPT_CHARS)
    n_max = MAX_TOKENS if name == "tiny" else MAX_TOKENS_REAL
    if len(ids) > n_max:
        notes.append(f"The prompt is {len(ids)} tokens: this figure runs the model on its last {n_max} only.")
        ids = ids[-n_max:]
    return ids, notes


def best_and_p(logits):  # [..., n_vocab] -> best [...] int, p_best [...] float64
    """The most likely token and its probability, without the whole softmax: exp(0) / sum(exp(logits - max))."""
    return np.argmax(logits, axis=-1), 1.0 / np.exp(logits - logits.max(axis=-1, keepdims=True)).sum(
        axis=-1, dtype=np.float64
    )


def p_and_rank(logits, token: int):  # [n_vocab] -> (p of token, its rank: 1 for the most likely)
    z = logits - logits.max()
    return float(np.exp(z[token], dtype=np.float64) / np.exp(z).sum(dtype=np.float64)), int(
        (logits > logits[token]).sum()
    ) + 1


def readout(chosen, stream):  # [n, d_model] -> logits [n, n_vocab]: the final norm and the unembedding
    return unembed(rms_norm(stream, chosen.weights["final_norm"], chosen.cfg.norm_eps), chosen.weights)


@per_model(size=4096)  # at most one entry per vocabulary token of the tiny model
def embedding_readout(chosen, token_id: int) -> tuple[int, float]:
    """The lens at depth 0 reads a token's own embedding row, so it depends on the token alone: its most
    likely next token and that token's probability, computed once per token."""
    best, p = best_and_p(readout(chosen, chosen.weights["tok_emb"][[token_id]]))  # [1, d_model] -> [1]
    return int(best[0]), float(p[0])


@per_model(size=4)
def lens_readout(chosen, key: tuple):  # (ids, n_rows) -> best, p_best [n_layer + 1, n_rows], track
    """Each depth's most likely next token and its probability at the last n_rows positions: the embedding,
    then after each layer (the last is the model's own prediction); and track: the last position's final
    answer at every depth, [(p, rank)] * (n_layer + 1)."""
    ids, n_rows = key
    _, trace = chosen.forward(list(ids), trace=True, lens=False, logits_to_keep=1)
    best, p_best, track = [], [], []
    final = None
    for depth in reversed(range(1, chosen.cfg.n_layer + 1)):  # deepest first: the final answer is tracked
        logits = readout(chosen, trace["residual"][2 * depth][-n_rows:])  # [n_rows, n_vocab]
        b, p = best_and_p(logits)
        final = int(b[-1]) if final is None else final
        best.append(b), p_best.append(p), track.append(p_and_rank(logits[-1], final))
    embedding = [embedding_readout(chosen, int(i)) for i in ids[-n_rows:]]
    last = readout(chosen, chosen.weights["tok_emb"][[ids[-1]]])[0]  # [n_vocab]
    best.append([b for b, _ in embedding]), p_best.append([p for _, p in embedding])
    track.append(p_and_rank(last, final))
    return np.array(best[::-1]), np.array(p_best[::-1]), track[::-1]


def cell(chosen, token_id: int, p: float, following) -> dict:
    """One depth's guess at one position: the token, its probability (as text and as a shade), and whether
    it is the token that actually comes next."""
    hit = following is not None and token_id == following
    return {
        "id": token_id,
        "segs": token_segs(chosen, token_id),
        "p": p,
        "hit": hit,
        "shade": min(int(p * N_SHADES), N_SHADES - 1),
        "text": percent(p, 0) + (" ✓" if hit else ""),
    }


def compute(params: dict) -> dict:
    p = read_params(params)
    chosen = model(p["model"])
    ids, notes = read_ids(p["prompt"], p["model"])
    n_rows = len(ids) if p["model"] == "tiny" else min(len(ids), LENS_ROWS_REAL)
    if n_rows < len(ids):
        notes.append(
            f"Each readout scores all {chosen.cfg.n_vocab:,} tokens of {chosen.name}'s vocabulary, "
            f"{chosen.cfg.n_layer} times per position: in your browser this figure reads out the last "
            f"{n_rows} positions only."
        )
    best, p_best, track = lens_readout(chosen, (tuple(ids), n_rows))  # [depth, n_rows]
    n_depth = len(best)
    depths = ["embedding"] + [f"layer {i}" for i in range(n_depth - 1)]
    shown = ids[-n_rows:]
    rows = []
    for t in range(n_rows):
        following = int(shown[t + 1]) if t + 1 < n_rows else None
        rows.append(
            {
                "position": len(ids) - n_rows + t,
                "id": int(shown[t]),
                "segs": token_segs(chosen, int(shown[t])),
                "next": None if following is None else {"id": following, "segs": token_segs(chosen, following)},
                "cells": [cell(chosen, int(best[d, t]), float(p_best[d, t]), following) for d in range(n_depth)],
            }
        )
    hits = [sum(r["cells"][d]["hit"] for r in rows) for d in range(n_depth)]
    final = rows[-1]["cells"][-1]
    return {
        "depths": depths,
        "depth_labels": depths[:-1] + [depths[-1] + " (output)"],
        "rows": rows,
        "n_tokens": len(ids),
        "n_scored": n_rows - 1,
        "hits": hits,
        "final": final,
        "final_text": f" at {percent(final['p'])}.",
        "track": [
            {"p": p_final, "rank": rank, "percent": percent(p_final), "rank_text": f"rank {integer(rank)}"}
            for p_final, rank in track
        ],
        "model_name": chosen.name,
        "params": p,
        "note": " ".join(notes) or None,
    }
