"""The next token: a real model's distribution for the reader's prompt, and one sampled token.

The prompt is tokenized and run through the model once; the last position's logits (one per vocabulary
entry) go through `llm_core.sampling.sample`: temperature, then top-k, top-p and min-p (Hugging Face
transformers' order), then a seeded draw. The view lists the most likely tokens with their probability
before the filters (after temperature) and after them, says which filter cut each one, and gives the
entropy of the distribution the token is drawn from. The model is Glassbox's tiny one, or SmolLM2-135M-Instruct
once the reader has loaded it (llm_core.models).
"""

import math
import weakref

import numpy as np

from llm_core.controls import as_choice
from llm_core.generation import prefill
from llm_core.kv_cache import PrefixCache
from llm_core.models import MODEL_NAMES, get_model
from llm_core.sampling import entropy, sample
from widgetlib.fmt import fixed, integer, percent
from widgetlib.model import TINY_FILES, token_segs
from widgetlib.prompt import prompt_ids
from widgetlib.sampling import read_prompt, read_sampling

MAX_PROMPT_CHARS = 2_000  # tokenizing is per keystroke; the model reads at most 256 tokens anyway
N_ROWS = 15  # tokens listed, most likely first
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids, ranks and flags exactly).
REL_TOL = 1e-3

DEFAULTS = {
    "prompt": "The President of the United States",
    "temperature": 1.0,
    "top_k": 0,
    "top_p": 0.8,
    "min_p": 0.0,
    "seed": 0,
    "model": "tiny",
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"temperature": 0},
    {"prompt": "I ask the Congress to", "temperature": 1.5, "top_k": 20, "top_p": 1, "min_p": 0.05, "seed": 7},
    {"prompt": "", "temperature": 0.7, "top_p": 0},
]
# Run in the page once SmolLM2 is loaded (tests/browser/test_smollm2.py), and in CPython.
SMOLLM2_EXAMPLES = [
    {"model": "smollm2", "prompt": "The capital of France is", "temperature": 0},
    {"model": "smollm2", "prompt": "Once upon a time", "temperature": 0.7, "top_k": 40, "seed": 3},
]
DATA = TINY_FILES
CODE = [
    "llm_core.model_files.load_model",
    "llm_core.model.forward",
    "llm_core.generation.prefill",
    "llm_core.sampling.sample",
    "llm_core.sampling.top_p_mask",
    "llm_core.sampling.entropy",
]
FILTERS = [("top_k", "top-k"), ("top_p", "top-p"), ("min_p", "min-p")]


def model(name="tiny"):
    return get_model(name)


# Moving a slider keeps the prompt: its pass is read once (prefix caching, chapter 19). One cache per
# Model object, kept weakly (the same ids mean other tokens in another vocabulary, and a reader's second
# file is another model under the same name "file"); SmolLM2's entries hold 47 MB of keys and values
# each, so it keeps fewer.
PREFIX_SIZES = {"tiny": 4, "smollm2": 2, "file": 1}
_prefixes = weakref.WeakKeyDictionary()  # Model -> PrefixCache


def prefixes(chosen, name: str) -> PrefixCache:
    """The prompts this model has read already, with their KV caches."""
    if chosen not in _prefixes:
        _prefixes[chosen] = PrefixCache(size=PREFIX_SIZES[name])
    return _prefixes[chosen]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    prompt = read_prompt(p)
    return {"prompt": prompt, **read_sampling(p), "model": as_choice("model", p["model"], list(MODEL_NAMES))}


def cut_by(stages: dict, temperature: float) -> np.ndarray:  # -> [n_vocab] str, "" for kept tokens
    """Which step removed each token: temperature (0 = greedy, or underflow), top-k, top-p or min-p."""
    reason = np.full(len(stages["softmax"]), "", dtype=object)
    previous = stages["temperature"]
    reason[previous == 0] = "greedy" if temperature == 0 else "temperature"
    for key, label in FILTERS:
        reason[(previous > 0) & (stages[key] == 0)] = label
        previous = stages[key]
    return reason


def filter_lines(stages: dict, params: dict) -> list:
    """One line per active filter: how many tokens it removed and how much probability they held."""
    if params["temperature"] == 0:
        return [
            "Temperature 0 is greedy decoding: the single most likely token gets all the probability, "
            "so the filters have nothing left to do."
        ]
    active = {"top_k": params["top_k"] > 0, "top_p": params["top_p"] < 1, "min_p": params["min_p"] > 0}
    settings = {
        "top_k": f"top-k {params['top_k']}",
        "top_p": f"top-p {params['top_p']:.2f}",
        "min_p": f"min-p {params['min_p']:.2f}",
    }
    lines, previous = [], stages["temperature"]
    for key, _ in FILTERS:
        removed = (previous > 0) & (stages[key] == 0)
        if active[key]:
            n, mass = int(removed.sum()), float(previous[removed].sum())
            lines.append(
                f"{settings[key]} removed {n:,} tokens holding {percent(mass)} of the probability left at that step."
                if n
                else f"{settings[key]} removed nothing."
            )
        previous = stages[key]
    return lines or ["No filter is on: the token is drawn from every token in the vocabulary."]


def compute(params: dict) -> dict:
    p = read_params(params)
    chosen = model(p["model"])
    ids, notes = prompt_ids(chosen, p["prompt"], 1, MAX_PROMPT_CHARS)
    # the prompt's pass, kept while the reader moves the sampling sliders: [n_vocab], the next position's scores
    _, logits = prefill(chosen, ids, prefixes(chosen, p["model"]))
    out = sample(logits, p["temperature"], p["top_k"], p["top_p"], p["min_p"], rng=p["seed"])
    stages, final, token = out["stages"], out["probs"], out["token"]
    reason = cut_by(stages, p["temperature"])

    order = np.argsort(-logits, kind="stable")  # most likely first, at every temperature
    rank_of_token = int(np.flatnonzero(order == token)[0]) + 1
    rows = [
        {
            "rank": rank + 1,
            "id": int(i),
            "segs": token_segs(int(i), chosen.encoding),
            "logit": float(logits[i]),
            "p_model": float(stages["softmax"][i]),
            "p_before": float(stages["temperature"][i]),
            "p_after": float(final[i]),
            "cut": reason[i] or None,
            "sampled": int(i) == token,
            "logit_text": fixed(float(logits[i]), 2),
            "bars": [f"{100 * stages['temperature'][i]:.1f}%", f"{100 * final[i]:.1f}%"],  # widths: before, after
            "nums": f"{percent(float(stages['temperature'][i]))} → {percent(float(final[i]))}",
        }
        for rank, i in enumerate(order[:N_ROWS])
    ]

    n_tail, n = len(logits) - N_ROWS, len(ids)
    tail_before, tail_after = float(stages["temperature"][order[N_ROWS:]].sum()), float(final[order[N_ROWS:]].sum())
    n_kept = int((final > 0).sum())  # subtle: at tiny temperatures far tokens underflow to 0
    h_nats, h_bits = max(0.0, float(entropy(final))), max(0.0, float(entropy(final, base=2)))
    h_model, perplexity = float(entropy(stages["softmax"])), float(math.exp(entropy(final)))
    return {
        "n_prompt_tokens": len(ids),
        "prompt_tail": [{"id": int(i), "segs": token_segs(int(i), chosen.encoding)} for i in ids[-8:]],
        "n_vocab": len(logits),
        "rows": rows,
        "tail_before": tail_before,
        "tail_after": tail_after,
        "n_tail": n_tail,
        "n_kept": n_kept,
        "token": {
            "id": token,
            "segs": token_segs(token, chosen.encoding),
            "new": True,
            "rank": rank_of_token,
            "p": float(final[token]),
            "p_model": float(stages["softmax"][token]),
            "about": f" (rank {rank_of_token}, id {token}), drawn with probability ",
            "p_text": percent(float(final[token])),
            "model_text": f"; the model alone gave it {percent(float(stages['softmax'][token]))}.",
        },
        "u": out["u"],
        "entropy_model": h_model,
        "entropy_nats": h_nats,
        "entropy_bits": h_bits,
        "perplexity": perplexity,
        "slider_texts": {
            "temperature": fixed(p["temperature"], 2),
            "top_k": str(p["top_k"]),
            "top_p": fixed(p["top_p"], 2),
            "min_p": fixed(p["min_p"], 2),
        },
        "context_text": f"{chosen.name} reads {n} token{'' if n == 1 else 's'}, ending ",
        "tail_text": (
            f"The other {integer(n_tail)} tokens: {percent(tail_before)} → {percent(tail_after)}. Columns: "
            "rank, token, logit, probability before the filters (after temperature) → after them."
        ),
        "kept_text": integer(n_kept),
        "stats_mid": f" of {integer(len(logits))} tokens. Entropy of the distribution drawn from: ",
        "entropy_text": f"{fixed(h_nats, 2)} nats",
        "stats_tail": (
            f" ({fixed(h_bits, 2)} bits, perplexity {fixed(perplexity, 1)}); the model's own, at "
            f"temperature 1: {fixed(h_model, 2)} nats."
        ),
        "filters": filter_lines(stages, p),
        "model_name": chosen.name,
        "params": p,
        "note": " ".join(notes) or None,
    }
