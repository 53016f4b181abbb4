"""Per-token loss: how surprised the tiny model is by each token of the reader's text.

One forward pass over the text gives, at every position, the model's logits for the next token. The loss
at a position is -log p(the token that actually comes next) (`llm_core.loss.cross_entropy`), so every
token from the second on gets a number; the first has nothing before it to be predicted from. The mean
of those numbers is the cross-entropy, exp of it the perplexity, and the total in bits divided by the
bytes those tokens cover is bits per byte, which does not depend on the tokenizer.
"""

import functools
import math

import numpy as np

from llm_core.loss import bits_per_token, cross_entropy, log_softmax, perplexity
from llm_core.model import load_model
from llm_core.tokenizer import render_token, without_surrogates

MODEL = "models/tiny"
MAX_TEXT_CHARS = 2_000  # tokenizing is per keystroke; the model reads at most 256 tokens anyway
N_EXTREMES = 3          # most and least surprising tokens listed
# Surprise buckets for the chip colours, in nats: the upper edge of each bucket but the last.
BUCKET_EDGES = [1.0, 2.5, 5.0, 8.0]
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids and buckets exactly).
REL_TOL = 1e-3

DEFAULTS = {"text": "I recommend that the Congress make provision for the payment of the public debt in water."}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"text": "The people of the United States have a right to expect peace."},
    {"text": "Gentlemen of the Senate and House of Representatives:\n\nThe year has been one of prosperity."},
    {"text": ""},
]
DATA = ["models/tiny/config.json", "models/tiny/weights.npz", "models/tiny/tokenizer.json",
        "models/tiny/vocab.tiktoken"]
CODE = [
    "llm_core.model.load_model",
    "llm_core.model.forward",
    "llm_core.loss.cross_entropy",
    "llm_core.loss.log_softmax",
    "llm_core.loss.perplexity",
    "llm_core.loss.bits_per_token",
]


@functools.cache
def model():
    return load_model(MODEL)


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated."""
    p = {**DEFAULTS, **params}
    if not isinstance(p["text"], str):
        raise ValueError("the text must be text (a string)")
    return {"text": p["text"]}


def text_ids(text: str):  # -> ids, notes
    """The text's token ids as the model reads them (at most n_ctx), and notes on what was cut."""
    tiny, notes = model(), []
    text = without_surrogates(text)
    if len(text) > MAX_TEXT_CHARS:
        notes.append(f"The text is {len(text):,} characters: only its first {MAX_TEXT_CHARS:,} were tokenized.")
        text = text[:MAX_TEXT_CHARS]
    ids = tiny.encoding.encode(text)
    n_ctx = tiny.cfg.n_ctx
    if len(ids) > n_ctx:
        notes.append(f"The text is {len(ids):,} tokens, but the model reads at most {n_ctx}: only the first "
                     f"{n_ctx} were scored.")
        ids = ids[:n_ctx]
    return ids, notes


def token_bytes(token_id: int) -> bytes:
    return model().encoding.decode_tokens_bytes([token_id])[0]


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


def compute(params: dict) -> dict:
    p = read_params(params)
    tiny = model()
    ids, notes = text_ids(p["text"])
    chips = [{"id": int(i), "segs": render_token(token_bytes(i)), "nl": token_bytes(i).endswith(b"\n"),
              "loss": None, "bucket": None} for i in ids]
    result = {"tokens": chips, "n_tokens": len(ids), "n_scored": 0, "legend": legend(), "stats": None,
              "most": [], "least": [], "params": p, "note": " ".join(notes) or None, "message": None}
    if len(ids) < 2:
        result["message"] = ("There is no text to score: type a sentence." if not ids else
                             "This text is a single token. The loss scores each token against the model's "
                             "prediction from the tokens before it, so it needs at least two tokens.")
        return result

    logits, _ = tiny.forward(ids)                 # [n_seq, n_vocab]: position t predicts token t + 1
    targets = np.array(ids[1:])
    mean, per_token = cross_entropy(logits[:-1], targets)  # [n_seq - 1]
    log_probs = log_softmax(logits[:-1].astype(np.float64))  # [n_seq - 1, n_vocab], for the top guesses
    guesses = np.argmax(logits[:-1], axis=-1)     # [n_seq - 1]
    for t, loss in enumerate(per_token):
        chips[t + 1]["loss"] = float(loss)
        chips[t + 1]["bucket"] = bucket(float(loss))

    def position(t: int) -> dict:  # t indexes per_token: token t + 1 of the text
        guess = int(guesses[t])
        return {"index": t + 1, "id": int(ids[t + 1]), "segs": chips[t + 1]["segs"], "loss": float(per_token[t]),
                "p": float(math.exp(-per_token[t])), "guess": {"id": guess, "segs": render_token(token_bytes(guess)),
                                                               "p": float(math.exp(log_probs[t, guess]))}}

    order = np.argsort(-per_token, kind="stable")  # most surprising first
    n = min(N_EXTREMES, len(order))
    n_bytes = sum(len(token_bytes(i)) for i in ids[1:])  # the bytes the scored tokens cover
    total_bits = bits_per_token(mean) * len(targets)
    result.update({
        "n_scored": len(targets),
        "stats": {"mean": float(mean), "perplexity": perplexity(mean), "bits_per_token": bits_per_token(mean),
                  "n_bytes": n_bytes, "bits_per_byte": total_bits / n_bytes if n_bytes else 0.0},
        "most": [position(int(t)) for t in order[:n]],
        "least": [position(int(t)) for t in order[::-1][:n]],
    })
    return result
