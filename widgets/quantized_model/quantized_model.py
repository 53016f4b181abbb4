"""The quantized model: every weight of the tiny model stored in fp16, int8 or int4, then put to work.

`llm_core.checkpoints.pack_weights` stores each matrix group-wise (one fp16 scale per group of 32, 64 or
128 consecutive weights of a row) and `unpack_weights` turns it back into float32: the model then runs
exactly as before, on slightly different numbers. Two measurements compare it with the model as shipped:
(a) greedy continuations of the reader's prompt, side by side, with the first token where they part;
(b) the perplexity of both on a fixed slice of held-out text (windows of addresses the model never saw,
`models/tiny/val_windows.npy`). The quantized weights and both perplexities depend only on the format and
group size, so they are computed once per choice and cached. Greedy decoding is deterministic, so each
model's continuation is computed once per prompt at the longest length and cut to the length asked for.
"""

import functools
import io

import numpy as np

from llm_core.checkpoints import pack_weights, total_error, unpack_weights
from llm_core.controls import as_choice, as_int, as_text
from llm_core.loss import cross_entropy, perplexity
from llm_core.model import Model
from llm_core.generation import generate
from llm_core.model_files import read_model_file
from widgetlib.prompt import prompt_ids
from llm_core.tokenizer import render_token
from widgetlib.fmt import fixed, integer, percent, signed
from widgetlib.model import TINY, TINY_FILES, tiny

FORMATS = ["fp16", "int8", "int4"]
GROUP_SIZES = [32, 64, 128]
MAX_PROMPT_CHARS = 2_000
MAX_NEW_TOKENS = 32  # two greedy generations per prompt and format: 2 x 32 forward passes of one token
# The held-out slice: the first 129 tokens (128 predictions) of 4 of the 128 validation windows, evenly
# spaced. 4 x 128 = 512 predictions per model keep the first use of a format to about a second in the
# browser (numpy without BLAS); the results are cached.
WINDOWS = [0, 32, 64, 96]
N_PREDICT = 128
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids exactly).
REL_TOL = 1e-3

DEFAULTS = {"prompt": "The revenue of the Government", "n_tokens": 24, "format": "int4", "group_size": 128}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"format": "int8", "group_size": 32, "n_tokens": 12},
    {"prompt": "Our foreign relations", "format": "fp16", "n_tokens": 8},
    {"prompt": "", "format": "int4", "group_size": 32, "n_tokens": 6},
]
DATA = [*TINY_FILES, f"{TINY}/val_windows.npy"]
CODE = [
    "llm_core.checkpoints.pack_weights",
    "llm_core.checkpoints.unpack_weights",
    "llm_core.checkpoints.quantize_groups",
    "llm_core.checkpoints.total_error",
    "llm_core.generation.generate",
    "llm_core.loss.cross_entropy",
]


@functools.cache
def held_out():  # -> int64 [len(WINDOWS), n_ctx + 1]
    windows = np.load(io.BytesIO(read_model_file(TINY, "val_windows.npy")))  # uint16 [128, 257]
    return windows[WINDOWS, : N_PREDICT + 1].astype(np.int64)  # [4, 257] -> [4, 129]


@functools.lru_cache(maxsize=3)  # a float32 copy of the model each (about 7 MB)
def quantized(fmt: str, group_size: int):  # -> Model, {"bytes", "relative", "max_abs", "kept_fp16"}
    """The tiny model with every weight stored as fmt and read back; what that storage costs and loses."""
    model = tiny()
    arrays, errors = pack_weights(model.weights, fmt, group_size)
    weights = unpack_weights(arrays)
    stored = sum(a.nbytes for key, a in arrays.items() if not key.endswith(".shape"))
    # matrices whose rows group_size does not divide stay fp16 (pack_weights' rule)
    kept = sorted(name for name, w in model.weights.items() if w.ndim == 2 and name in arrays) if fmt != "fp16" else []
    return Model(model.cfg, weights, model.encoding), {
        "bytes": int(stored),
        **total_error(model.weights, errors),
        "kept_fp16": kept,
    }


@functools.cache
def held_out_loss(fmt: str | None, group_size: int) -> float:
    """Mean cross-entropy (nats per token) on the held-out slice; fmt None is the model as shipped."""
    m = tiny() if fmt is None else quantized(fmt, group_size)[0]
    losses = [cross_entropy(m.forward(window[:-1])[0], window[1:])[1] for window in held_out()]
    return float(np.mean(np.concatenate(losses)))


@functools.lru_cache(maxsize=16)
def continuation(fmt: str | None, group_size: int, ids: tuple) -> tuple:  # [n_prompt] -> [MAX_NEW_TOKENS] ids
    """The greedy continuation of ids, MAX_NEW_TOKENS long; its first n tokens are what a run of n gives
    (each greedy step depends only on the tokens before it). fmt None is the model as shipped."""
    m = tiny() if fmt is None else quantized(fmt, group_size)[0]
    return tuple(generate(m, list(ids), MAX_NEW_TOKENS, temperature=0)["new_ids"])


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    prompt, note = as_text("prompt", p["prompt"], MAX_PROMPT_CHARS)
    return {
        "prompt": prompt,
        "note": note,
        "n_tokens": as_int("n_tokens", p["n_tokens"], 1, MAX_NEW_TOKENS),
        "format": as_choice("format", p["format"], FORMATS),
        "group_size": as_choice("group_size", as_int("group_size", p["group_size"], 0, 10**6), GROUP_SIZES),
    }


def chip(token_id: int, **extra) -> dict:
    data = tiny().encoding.decode_tokens_bytes([token_id])[0]
    return {"id": token_id, "segs": render_token(data), "nl": b"\n" in data, **extra}


def megabytes(n: int) -> str:
    return f"{fixed(n / 1e6, 2)} MB"


def compute(params: dict) -> dict:
    p = read_params(params)
    model = tiny()
    ids, notes = prompt_ids(model, p["prompt"], MAX_NEW_TOKENS, MAX_PROMPT_CHARS)
    notes = [p.pop("note")] + notes if p["note"] else notes
    p.pop("note", None)
    storage = quantized(p["format"], p["group_size"])[1]
    full = continuation(None, 0, tuple(ids))[: p["n_tokens"]]
    quant = continuation(p["format"], p["group_size"], tuple(ids))[: p["n_tokens"]]
    first = next((i for i, (a, b) in enumerate(zip(full, quant)) if a != b), None)

    def row(new_ids):
        return [chip(int(t), differs=first is not None and i >= first) for i, t in enumerate(new_ids)]

    loss_full, loss_quant = held_out_loss(None, 0), held_out_loss(p["format"], p["group_size"])
    n_eval = int(held_out()[:, 1:].size)
    fp32_bytes = 4 * sum(int(w.size) for w in model.weights.values())
    if storage["kept_fp16"]:
        widths = sorted({int(model.weights[name].shape[-1]) for name in storage["kept_fp16"]})
        notes.append(
            f"{len(storage['kept_fp16'])} matrices have rows of {' or '.join(map(str, widths))} weights, "
            f"not a whole number of groups of {p['group_size']}: they stay fp16."
        )
    shown = min(len(ids), 16)
    ppl_full, ppl_quant = perplexity(loss_full), perplexity(loss_quant)
    change = ppl_quant / ppl_full - 1
    return {
        "prompt_label": (f"Prompt (last {shown} of {len(ids)} tokens):" if len(ids) > shown else "Prompt:"),
        "verdict": (
            f"The two continuations are identical for all {len(full)} tokens."
            if first is None
            else f"They part at new token {first + 1} (marked ▶; every token from there on is outlined with "
            "a dashed border)."
        ),
        "text": {
            "n_eval_tokens": integer(n_eval),
            "bytes_fp32": megabytes(fp32_bytes),
            "bytes_quant": megabytes(storage["bytes"]),
            "weight_error": percent(storage["relative"], 2),
            "ppl_full": fixed(ppl_full, 2),
            "ppl_quant": f"{fixed(ppl_quant, 2)} ({signed(100 * change, 1)}%)",
        },
        "prompt_tokens": [chip(int(i)) for i in ids[-16:]],
        "n_prompt_tokens": len(ids),
        "full": row(full),
        "quant": row(quant),
        "first_difference": first,  # index into the new tokens, None when they agree throughout
        "n_eval_tokens": n_eval,
        "n_eval_windows": len(WINDOWS),
        "loss_full": loss_full,
        "loss_quant": loss_quant,
        "ppl_full": ppl_full,
        "ppl_quant": ppl_quant,
        "ppl_change": change,
        "bytes_fp32": fp32_bytes,
        "bytes_quant": storage["bytes"],
        "weight_error": storage["relative"],
        "params": p,
        "note": " ".join(notes) or None,
    }
