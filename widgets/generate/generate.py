"""Generate: the tiny model continues the reader's prompt, one sampled token at a time.

`llm_core.generation.generate` prefills the prompt into a KV cache, then repeats: logits for the next
position, `sample` (temperature, top-k, top-p, min-p, a seeded draw), append the token. Each new token
is shown with the probability it had when it was drawn, and the text's perplexity under the model
(at temperature 1, no filters) says how surprising the model finds its own output.
"""

import math

import numpy as np

from llm_core.controls import as_int
from llm_core.kv_cache import PrefixCache
from llm_core.tokenizer import without_surrogates
from widgetlib.fmt import fixed, percent
from widgetlib.model import TINY_FILES, chip, tiny
from widgetlib.prompt import truncation_note
from widgetlib.sampling import MAX_SEED, read_prompt, read_sampling

MAX_PROMPT_CHARS = 2_000
MAX_NEW_TOKENS = 64  # each token is one forward pass; 64 take ~0.6 s in CPython, ~3x that in a browser
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids, ranks and flags exactly).
REL_TOL = 1e-3

DEFAULTS = {
    "prompt": "The President of the United States",
    "n_tokens": 32,
    "temperature": 0.8,
    "top_k": 0,
    "top_p": 0.95,
    "min_p": 0.0,
    "seed": 0,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"temperature": 0, "n_tokens": 24},
    {"prompt": "I ask the Congress to", "n_tokens": 12, "temperature": 1.2, "top_k": 40, "min_p": 0.1, "seed": 3},
    {"prompt": "", "n_tokens": 8, "temperature": 2, "top_p": 1, "seed": 11},
]
DATA = TINY_FILES
CODE = [
    "llm_core.generation.generate",
    "llm_core.generation.prefill",
    "llm_core.generation.truncate_prompt",
    "llm_core.sampling.sample",
    "llm_core.sampling.draw",
]


# Moving a sampling slider keeps the prompt: its prefill (the KV cache and the first logits) is reused.
PREFIXES = PrefixCache(size=4)


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    prompt = read_prompt(p)
    return {"prompt": prompt, "n_tokens": as_int("n_tokens", p["n_tokens"], 1, MAX_NEW_TOKENS), **read_sampling(p)}


def compute(params: dict) -> dict:
    p = read_params(params)
    model, notes = tiny(), []
    prompt = without_surrogates(p["prompt"])
    if len(prompt) > MAX_PROMPT_CHARS:
        notes.append(f"The prompt is {len(prompt):,} characters: only its last {MAX_PROMPT_CHARS:,} were tokenized.")
        prompt = prompt[-MAX_PROMPT_CHARS:]
    if not prompt:
        notes.append(
            "The prompt is empty, so the model starts a new document from <|endoftext|>, the "
            "token that separated the addresses it was trained on."
        )
    out = model.generate(
        prompt,
        p["n_tokens"],
        temperature=p["temperature"],
        top_k=p["top_k"],
        top_p=p["top_p"],
        min_p=p["min_p"],
        seed=p["seed"],
        prefix_cache=PREFIXES,
    )
    if out["n_dropped"]:
        notes.append(truncation_note(len(out["prompt_ids"]) + out["n_dropped"], model.cfg.n_ctx, p["n_tokens"]))

    tokens, surprise = [], []
    for step in out["steps"]:
        surprise.append(-math.log(max(step["p_model"], 1e-300)))
        tokens.append(
            chip(
                step["token"],
                p=step["prob"],
                p_model=step["p_model"],
                new=True,
                p_text=percent(step["prob"]),
                title=f"probability {percent(step['prob'])} when drawn; {percent(step['p_model'])} at "
                "temperature 1 with no filters",
            )
        )
    perplexity = math.exp(float(np.mean(surprise)))
    mean_p, n = float(np.mean([t["p"] for t in tokens])), len(tokens)
    return {
        "prompt_tokens": [chip(i) for i in out["prompt_ids"][-24:]],
        "n_prompt_tokens": len(out["prompt_ids"]),
        "tokens": tokens,
        "text": out["text"],
        "mean_p": mean_p,
        "perplexity": perplexity,
        "greedy": p["temperature"] == 0,
        "stats_text": (
            f"{n} new token{'' if n == 1 else 's'} (bold borders; the small number under each is its "
            "probability when it was drawn"
            + (": greedy decoding gives every pick 100%" if p["temperature"] == 0 else "")
            + "). Average probability when drawn: "
        ),
        "mean_p_text": percent(mean_p),
        "perplexity_text": fixed(perplexity, 1),
        "slider_texts": {
            "n_tokens": str(p["n_tokens"]),
            "temperature": fixed(p["temperature"], 2),
            "top_k": str(p["top_k"]),
            "top_p": fixed(p["top_p"], 2),
            "min_p": fixed(p["min_p"], 2),
        },
        "next_seed": (p["seed"] + 1) % (MAX_SEED + 1),  # "Sample again"
        "params": p,
        "note": " ".join(notes) or None,
    }
