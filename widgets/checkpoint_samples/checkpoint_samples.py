"""Checkpoint samples: the tiny model at a snapshot taken part-way through training continues the reader's
prompt, with the same seed at every snapshot, so the only thing that changes is how much it has learned.

The training script saved the weights at six steps spread out on a log scale (stored int4 group-wise,
`llm_core.checkpoints`), and the final weights (fp16). `load_model(MODEL, weights_file=...)` reads any
of them. With the same seed, `generate` draws the same uniform numbers at every checkpoint; what differs is
the distribution they are drawn from. The loss on the prompt itself (`cross_entropy`, one forward pass
per checkpoint) shows the same progress as one number per snapshot.
"""

import functools
import json

import numpy as np

from llm_core.controls import as_int, as_number, as_text
from llm_core.loss import cross_entropy, perplexity
from llm_core.kv_cache import PrefixCache
from llm_core.model_files import load_model, read_model_file
from widgetlib.prompt import prompt_ids
from llm_core.tokenizer import render_token
from widgetlib.fmt import fixed, integer, minus, percent

MODEL = "models/tiny"
MAX_PROMPT_CHARS = 2_000
MAX_PROMPT_SCORED = 64  # the prompt's loss is measured on its last 64 tokens at every checkpoint
MAX_NEW_TOKENS = 48
SHOWN_PROMPT_TOKENS = 24  # the figure shows the prompt's last 24 tokens, after an ellipsis
MAX_TEMPERATURE = 2.0
MAX_SEED = 2**32 - 1
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids exactly).
REL_TOL = 1e-3

DEFAULTS = {
    "checkpoint": 3,
    "prompt": "I ask the Congress to",
    "seed": 0,
    "temperature": 0.8,
    "n_tokens": 24,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"checkpoint": 0, "n_tokens": 12},
    {"checkpoint": 6, "prompt": "The revenue of the Government", "temperature": 0, "n_tokens": 16},
    {"checkpoint": 2, "prompt": "", "seed": 7, "temperature": 1.5, "n_tokens": 8},
]
CODE = [
    "llm_core.model_files.load_model",
    "llm_core.checkpoints.unpack_weights",
    "llm_core.generation.generate",
    "llm_core.loss.cross_entropy",
]


@functools.cache
def checkpoints() -> tuple:
    """The snapshots the training script listed in curves.json, in step order, the final weights last."""
    return tuple(json.loads(read_model_file(MODEL, "curves.json"))["checkpoints"])


# The browser worker must fetch every snapshot this widget can load (about 8.6 MB in all).
DATA = [
    "models/tiny/config.json",
    "models/tiny/tokenizer.json",
    "models/tiny/vocab.tiktoken",
    "models/tiny/curves.json",
    "models/tiny/weights.npz",
] + [f"models/tiny/checkpoints/step_{s:06d}.npz" for s in (42, 125, 333, 749, 1456, 2496)]


@functools.cache
def model_at(weights_file: str):
    """The tiny model with the weights saved in weights_file (a checkpoint or the final weights.npz)."""
    return load_model(MODEL, weights_file=weights_file)


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    return {
        "checkpoint": as_int("checkpoint", p["checkpoint"], 0, len(checkpoints()) - 1),
        "prompt": as_text("prompt", p["prompt"], MAX_PROMPT_CHARS)[0],
        "seed": as_int("seed", p["seed"], 0, MAX_SEED),
        "temperature": as_number("temperature", p["temperature"], 0.0, MAX_TEMPERATURE),
        "n_tokens": as_int("n_tokens", p["n_tokens"], 1, MAX_NEW_TOKENS),
    }


def chip(token_id: int, **extra) -> dict:
    data = model_at(checkpoints()[-1]["file"]).encoding.decode_tokens_bytes([token_id])[0]
    return {"id": token_id, "segs": render_token(data), "nl": b"\n" in data, **extra}


@functools.lru_cache(maxsize=64)  # keyed by reader input: bounded
def prompt_losses(ids: tuple) -> tuple:  # [n_seq] ids -> one (mean loss, n scored) per checkpoint
    """The mean loss of each checkpoint on the prompt's own tokens (each predicted from those before it)."""
    ids = ids[-MAX_PROMPT_SCORED:]
    if len(ids) < 2:
        return ()
    out = []
    for k in checkpoints():
        logits, _ = model_at(k["file"]).forward(list(ids))  # [n_seq, n_vocab]
        mean, _ = cross_entropy(logits[:-1], np.array(ids[1:]))
        out.append(float(mean))
    return tuple(out)


@functools.cache
def prefixes(weights_file: str) -> PrefixCache:
    """Each snapshot's prefilled prompts: moving the length, temperature or seed keeps the prompt."""
    return PrefixCache(size=2)


@functools.lru_cache(maxsize=64)  # keyed by reader input: bounded
def sample(weights_file: str, ids: tuple, n_tokens: int, temperature: float, seed: int) -> tuple:
    """The new token ids and the probability each had when drawn (cached: the slider revisits snapshots)."""
    out = model_at(weights_file).generate(
        list(ids), n_tokens, temperature=temperature, seed=seed, prefix_cache=prefixes(weights_file)
    )
    return tuple((s["token"], s["prob"]) for s in out["steps"])


def loss_rows(snaps: tuple, losses: tuple, selected: int) -> list:
    """One bar per checkpoint: its loss on the prompt, as text and as a width relative to the largest loss."""
    top = max(losses, default=0.0)
    rows = []
    for i, (s, loss) in enumerate(zip(snaps, losses)):
        ppl = perplexity(loss)
        rows.append(
            {
                "step": s["step"],
                "step_text": f"step {integer(s['step'])}",
                "loss": loss,
                "perplexity": ppl,
                "selected": i == selected,
                "width": f"{100 * loss / top:.1f}%",
                "text": f"{fixed(loss, 2)} nats, perplexity {minus(f'{ppl:,.1f}')}"
                + (" ◀ shown" if i == selected else ""),
            }
        )
    return rows


def compute(params: dict) -> dict:
    p = read_params(params)
    snaps = checkpoints()
    k = snaps[p["checkpoint"]]
    tiny = model_at(k["file"])
    cut = as_text("prompt", {**DEFAULTS, **params}["prompt"], MAX_PROMPT_CHARS)[1]  # read_params kept the end
    ids, notes = prompt_ids(tiny, p["prompt"], p["n_tokens"], MAX_PROMPT_CHARS)
    notes = ([cut] if cut else []) + notes
    new = sample(k["file"], tuple(ids), p["n_tokens"], p["temperature"], p["seed"])
    losses = prompt_losses(tuple(ids))
    if not losses:
        notes.append(
            "The prompt is a single token, so there is nothing in it to predict: type a few words to "
            "see each checkpoint's loss on it."
        )
    elif len(ids) > MAX_PROMPT_SCORED:
        notes.append(f"The loss on the prompt is measured on its last {MAX_PROMPT_SCORED} tokens.")
    return {
        "params": p,
        # The sliders' readouts: the checkpoint slider moves an index and shows that checkpoint's step.
        "readouts": {
            "checkpoint": f"step {integer(k['step'])}",
            "checkpoint_aria": f"step {k['step']}",
            "n_tokens": str(p["n_tokens"]),
            "temperature": fixed(p["temperature"], 2),
        },
        "checkpoint": {
            "index": p["checkpoint"],
            "step": k["step"],
            "tokens": k["tokens"],
            "format": k["format"],
            "val_loss": k["val_loss"],
            "final": p["checkpoint"] == len(snaps) - 1,
            "step_text": integer(k["step"]),
            "tokens_text": integer(k["tokens"]),
            "val_loss_text": fixed(k["val_loss"], 3),
        },
        "steps": [s["step"] for s in snaps],
        "last_step": snaps[-1]["step"],
        "last_step_text": integer(snaps[-1]["step"]),
        "prompt_tokens": [chip(i) for i in ids[-SHOWN_PROMPT_TOKENS:]],
        "n_prompt_tokens": len(ids),
        "more_prompt": len(ids) > SHOWN_PROMPT_TOKENS,
        "tokens": [chip(t, p=prob, new=True, title=f"probability {percent(prob)} when drawn") for t, prob in new],
        "text": tiny.encoding.decode([t for t, _ in new]),
        "greedy": p["temperature"] == 0,
        "n_scored": min(len(ids), MAX_PROMPT_SCORED) - 1 if losses else 0,
        "losses": loss_rows(snaps, losses, p["checkpoint"]),
        "note": " ".join(notes) or None,
    }
