"""Per-token loss: how surprised a model is by each token of the reader's text.

One forward pass over the text gives, at every position, the model's logits for the next token. The loss
at a position is -log p(the token that actually comes next) (`llm_core.loss.cross_entropy`), so every
token from the second on gets a number; the first has nothing before it to be predicted from. The mean
of those numbers is the cross-entropy, exp of it the perplexity, and the total in bits divided by the
bytes those tokens cover is bits per byte, which does not depend on the tokenizer.

The model is Glassbox's tiny one, or SmolLM2-135M-Instruct (or the reader's own GGUF file) once the
reader has loaded it (llm_core.models). A real model reads the text after <|endoftext|>, the token that
separates the documents it was trained on, which is not scored: SmolLM2 without it is far more surprised
by the first tokens (the default text: 4.82 nats per token instead of 4.34), as if the text started
mid-document. The tiny model reads the text as it is.
"""

import math

import numpy as np

from llm_core.controls import as_choice
from llm_core.loss import bits_per_token, cross_entropy, log_softmax, perplexity
from llm_core.memo import per_model
from llm_core.models import MODEL_NAMES, get_model
from llm_core.tokenizer import render_token, without_surrogates
from widgetlib.fmt import fixed, integer, percent
from widgetlib.model import TINY_FILES

MAX_TEXT_CHARS = 2_000  # tokenizing is per keystroke; the model reads at most 256 tokens anyway
# Tokens scored at most: the tiny model reads its whole context; SmolLM2 costs 0.1 to 0.2 s per token in
# the browser (numpy without BLAS), so a real model scores the first 24, a few seconds.
MAX_TOKENS_REAL = 24
START = "<|endoftext|>"  # what a real model reads before the text (when its vocabulary has it)
N_EXTREMES = 3  # most and least surprising tokens listed
# Surprise buckets for the chip colours, in nats: the upper edge of each bucket but the last.
BUCKET_EDGES = [1.0, 2.5, 5.0, 8.0]
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids and buckets exactly).
REL_TOL = 1e-3

# A sentence of ordinary English, far from the tiny model's State of the Union addresses (the chapter's
# comparison of the two models)
ORDINARY_ENGLISH = "Water boils at 100 degrees Celsius at sea level, and it freezes at 0 degrees."

DEFAULTS = {
    "text": "I recommend that the Congress make provision for the payment of the public debt in water.",
    "model": "tiny",
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"text": "The people of the United States have a right to expect peace."},
    {"text": "Gentlemen of the Senate and House of Representatives:\n\nThe year has been one of prosperity."},
    {"text": ""},
]
# Param sets that need SmolLM2 loaded: a browser test runs them in the page once the model is in.
SMOLLM2_EXAMPLES = [
    {"model": "smollm2"},
    {"model": "smollm2", "text": ORDINARY_ENGLISH},
    {"model": "smollm2", "text": "the"},
]
DATA = TINY_FILES
CODE = [
    "llm_core.models.get_model",
    "llm_core.model.forward",
    "llm_core.loss.cross_entropy",
    "llm_core.loss.log_softmax",
    "llm_core.loss.perplexity",
    "llm_core.loss.bits_per_token",
]


def model(name="tiny"):
    return get_model(name)


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated."""
    p = {**DEFAULTS, **params}
    if not isinstance(p["text"], str):
        raise ValueError("the text must be text (a string)")
    return {"text": p["text"], "model": as_choice("model", p["model"], list(MODEL_NAMES))}


def text_ids(text: str, name="tiny"):  # -> ids, notes
    """The text's token ids as the model reads them (at most n_ctx; a real model at most MAX_TOKENS_REAL),
    and notes on what was cut."""
    chosen, notes = model(name), []
    text = without_surrogates(text)
    if len(text) > MAX_TEXT_CHARS:
        notes.append(f"The text is {len(text):,} characters: only its first {MAX_TEXT_CHARS:,} were tokenized.")
        text = text[:MAX_TEXT_CHARS]
    ids = chosen.encoding.encode(text)
    n_max = chosen.cfg.n_ctx if name == "tiny" else min(MAX_TOKENS_REAL, chosen.cfg.n_ctx - 1)
    if len(ids) > n_max:
        why = (
            "the model reads at most"
            if name == "tiny"
            else "each of its tokens takes a moment in your browser, so this figure reads at most"
        )
        notes.append(f"The text is {len(ids):,} tokens, but {why} {n_max}: only the first {n_max} were scored.")
        ids = ids[:n_max]
    return ids, notes


def start_ids(name: str) -> list:
    """What the model reads before the text: nothing for the tiny model, <|endoftext|> for a real one."""
    special = model(name).encoding.special_tokens
    return [special[START]] if name != "tiny" and START in special else []


@per_model(size=4)  # per model: the same ids are other tokens in another vocabulary
def scored(chosen, key: tuple):  # (start ids, ids) -> mean, per_token [n - 1] nats, guesses [n - 1], p_guess [n - 1]
    """Every token's loss from the second on (and their mean), and the model's top guess at each position
    with its probability."""
    start, ids = key
    logits, _ = chosen.forward(list(start + ids))  # [n_seq, n_vocab]: position t predicts token t + 1
    logits = logits[len(start) : -1]  # the predictions of text tokens 1 .. n - 1
    mean, per_token = cross_entropy(logits, np.array(ids[1:]))  # [n_seq - 1]
    guesses = np.argmax(logits, axis=-1)  # [n_seq - 1]
    log_probs = log_softmax(logits.astype(np.float64))  # [n_seq - 1, n_vocab]
    return mean, per_token, guesses, np.exp(log_probs[np.arange(len(guesses)), guesses])


def token_bytes(token_id: int, name="tiny") -> bytes:
    return model(name).encoding.decode_tokens_bytes([token_id])[0]


def bucket(loss: float) -> int:
    """Which surprise bucket a loss falls in: 0 (under BUCKET_EDGES[0] nats) to len(BUCKET_EDGES)."""
    return sum(loss >= edge for edge in BUCKET_EDGES)


def legend() -> list:
    """One entry per bucket: its range in nats and the matching range of p = exp(-loss)."""
    edges = [0.0, *BUCKET_EDGES, math.inf]
    out = []
    for b, (low, high) in enumerate(zip(edges, edges[1:])):
        if high == math.inf:
            label = f"{low:g} nats or more (p ≤ {pct(math.exp(-low))})"
        elif low == 0:
            label = f"under {high:g} nat{'' if high == 1 else 's'} (p > {pct(math.exp(-high))})"
        else:
            label = f"{low:g} to {high:g} nats (p {pct(math.exp(-high))} to {pct(math.exp(-low))})"
        out.append({"bucket": b, "label": label})
    return out


def pct(p: float) -> str:
    """A probability as a percentage: 36.8%, 0.67%, 0.034%."""
    return f"{100 * p:.1f}%" if p >= 0.01 else f"{100 * p:.2g}%"


def chance(p: float) -> str:
    """A probability as a reader reads it: 36.8%, 0.1%, and below 0.1% as odds, which stay readable: 1 in 318,472."""
    return percent(p) if p >= 0.001 else f"1 in {integer(round(1 / p))}"


def compute(params: dict) -> dict:
    p = read_params(params)
    name = p["model"]
    ids, notes = text_ids(p["text"], name)
    start = start_ids(name)
    chips = [
        {
            "id": int(i),
            "segs": render_token(token_bytes(i, name)),
            "nl": token_bytes(i, name).endswith(b"\n"),
            "loss": None,
            "loss_text": "–",
            "bucket": None,
        }
        for i in ids
    ]
    result = {
        "tokens": chips,
        "n_tokens": len(ids),
        "n_scored": 0,
        "legend": legend(),
        "stats": None,
        "most": [],
        "least": [],
        "model_name": model(name).name,
        "params": p,
        "start": START if start else None,
        "note": " ".join(notes) or None,
        "message": None,
    }
    if len(ids) < 2:
        result["message"] = (
            "There is no text to score: type a sentence."
            if not ids
            else "This text is a single token. The loss scores each token against the model's "
            "prediction from the tokens before it, so it needs at least two tokens."
        )
        return result

    mean, per_token, guesses, p_guess = scored(model(name), (tuple(start), tuple(ids)))
    for t, loss in enumerate(per_token):
        chips[t + 1]["loss"] = float(loss)
        chips[t + 1]["loss_text"] = fixed(float(loss), 2)
        chips[t + 1]["bucket"] = bucket(float(loss))

    def position(t: int) -> dict:  # t indexes per_token: token t + 1 of the text
        guess = int(guesses[t])
        loss, p_true = float(per_token[t]), float(math.exp(-per_token[t]))
        return {
            "index": t + 1,
            "id": int(ids[t + 1]),
            "segs": chips[t + 1]["segs"],
            "loss": loss,
            "loss_text": fixed(loss, 2),
            "p": p_true,
            "p_text": chance(p_true),
            "guess": {
                "id": guess,
                "segs": render_token(token_bytes(guess, name)),
                "p": float(p_guess[t]),
                "p_text": chance(float(p_guess[t])),
            },
        }

    order = np.argsort(-per_token, kind="stable")  # most surprising first
    n = min(N_EXTREMES, len(order))
    n_bytes = sum(len(token_bytes(i, name)) for i in ids[1:])  # the bytes the scored tokens cover
    total_bits = bits_per_token(mean) * len(per_token)
    stats = {
        "mean": float(mean),
        "perplexity": perplexity(mean),
        "bits_per_token": bits_per_token(mean),
        "n_bytes": n_bytes,
        "bits_per_byte": total_bits / n_bytes if n_bytes else 0.0,
    }
    stats["text"] = {
        "mean": fixed(stats["mean"], 3),
        "perplexity": fixed(stats["perplexity"], 1),
        "bits_per_token": fixed(stats["bits_per_token"], 2),
        "bits_per_byte": fixed(stats["bits_per_byte"], 3),
        "n_bytes": integer(n_bytes),
    }
    result.update(
        {
            "n_scored": len(per_token),
            "scored_text": f"{integer(len(per_token))} predicted token{'' if len(per_token) == 1 else 's'}",
            "stats": stats,
            "most": [position(int(t)) for t in order[:n]],
            "least": [position(int(t)) for t in order[::-1][:n]],
        }
    )
    return result
