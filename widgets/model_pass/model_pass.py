"""Model pass: one trip through the tiny model over the reader's prompt, then the loop that repeats it.

The prompt is tokenized; `llm_core.generation.generate` runs the loop `step` times (forward pass, sample,
append) and once more for the token that comes next. The pass that chose it is rerun with a trace
(`forward` on the sequence's last token, reading the KV cache of the positions before it), which
shows what happens inside that pass, for the last position: its embedding vector, the
size of the residual stream after each block, the logit lens (the block's output read as if it were
the last), the final top five and the drawn token. Only a few numbers of each array are returned.
"""

import numpy as np

from llm_core.activations import softmax
from llm_core.controls import as_int
from llm_core.kv_cache import PrefixCache
from llm_core.model import unembed
from llm_core.norms import rms_norm
from llm_core.tokenizer import without_surrogates
from widgetlib.fmt import css_percent, fixed, integer, percent
from widgetlib.model import TINY_FILES, chip, tiny
from widgetlib.prompt import prompt_ids
from widgetlib.sampling import read_prompt, read_sampling

MAX_PROMPT_CHARS = 2_000
N_TEXT_CHARS = 200  # characters of the prompt shown, the last ones
MAX_STEP = 16  # loop iterations the reader can run; each is one more forward pass
N_SHOWN_TOKENS = 24  # chips shown, the last ones of the sequence
N_VECTOR = 8  # numbers of the embedding vector shown
N_TOP = 5
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids exactly).
REL_TOL = 1e-3

DEFAULTS = {
    "prompt": "The President of the United States",
    "step": 0,
    "temperature": 0.8,
    "seed": 2,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"step": 5, "temperature": 0},
    {"prompt": "I ask the Congress to", "step": 16, "temperature": 1.2, "seed": 3},
    {"prompt": "", "step": 2, "seed": 11},
]
DATA = TINY_FILES
CODE = [
    "llm_core.tokenizer.Encoding.encode",
    "llm_core.model.forward",
    "llm_core.model.unembed",
    "llm_core.generation.generate",
    "llm_core.sampling.sample",
]


# Moving the step or temperature slider keeps the prompt: its prefill is reused (prefix caching).
PREFIXES = PrefixCache(size=4)


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    prompt = read_prompt(p)
    return {
        "prompt": prompt,
        "step": as_int("step", p["step"], 0, MAX_STEP),
        **read_sampling(p, ("temperature", "seed")),
    }


def top_token(logits: np.ndarray) -> dict:  # [n_vocab] -> the most likely token and its probability
    probs = softmax(logits - logits.max())
    i = int(np.argmax(probs))
    return chip(i, p=float(probs[i]))


def with_p(c: dict) -> dict:
    """A chip with a probability p, plus that probability as the reader reads it."""
    return {**c, "p_text": percent(c["p"])}


def compute(params: dict) -> dict:
    p = read_params(params)
    model = tiny()
    cfg = model.cfg
    ids, notes = prompt_ids(model, p["prompt"], MAX_STEP + 1, MAX_PROMPT_CHARS)
    # The loop: step tokens already appended, plus the one this pass is about to choose. The first
    # step tokens of a longer run are the same as a shorter run's (same seed, same draws in order).
    out = model.generate(ids, p["step"] + 1, temperature=p["temperature"], seed=p["seed"], prefix_cache=PREFIXES)
    new_ids = out["new_ids"]
    sequence = ids + new_ids[: p["step"]]

    # The pass drawn here is the one that read the sequence's last token: rerun it with a trace, against
    # the KV cache of every position before it (the cache after generating holds the whole sequence).
    cache = out["cache"]
    cache.crop(len(sequence) - 1)
    logits, trace = model.forward(sequence[-1:], cache=cache, trace=True, lens=False)  # [1] -> [1, n_vocab]
    last = logits[-1]  # [n_vocab]: the scores for the next position
    probs = softmax(last - last.max())
    top = np.argsort(-last, kind="stable")[:N_TOP]
    embedding = trace["embeddings"][-1]  # [d_model]
    norms = [float(np.linalg.norm(trace["residual"][2 * i + 2, -1])) for i in range(cfg.n_layer)]
    blocks = [
        {
            "label": f"Block {i}",  # counted from 0, as llm_core's layers and the other chapters count them
            "norm": norms[i],  # the size of the stream after block i
            "norm_text": fixed(norms[i], 2),
            "bar": css_percent(norms[i] / max(norms)),
            # the logit lens, for the last position only: the stream after block i, read as the output
            "lens": with_p(
                top_token(
                    unembed(
                        rms_norm(trace["residual"][2 * i + 2, -1:], model.weights["final_norm"], cfg.norm_eps),
                        model.weights,
                    )[0]
                )
            ),
        }
        for i in range(cfg.n_layer)
    ]
    top_p = [float(probs[i]) for i in top]

    token = new_ids[p["step"]]
    drawn = out["steps"][-1]
    n_prompt = len(ids)
    # pos: the token's place in the whole sequence, which picks its colour
    shown = [chip(int(t), new=k >= n_prompt, pos=k) for k, t in enumerate(sequence)][-N_SHOWN_TOKENS:]
    text = without_surrogates(p["prompt"])
    return {
        "prompt_tail": text[-N_TEXT_CHARS:],
        "prompt_cut": len(text) > N_TEXT_CHARS,
        "tokens": shown,
        "n_seq": len(sequence),
        "n_prompt_tokens": n_prompt,
        "n_appended": len(sequence) - n_prompt,
        "n_hidden": len(sequence) - len(shown),  # tokens before the first chip shown
        "d_model": cfg.d_model,
        "n_vocab": cfg.n_vocab,
        "n_layer": cfg.n_layer,
        "vector": [float(x) for x in embedding[:N_VECTOR]],
        "vector_text": [fixed(float(x), 3) for x in embedding[:N_VECTOR]],
        "n_vector_more": cfg.d_model - N_VECTOR,
        "vector_norm": float(np.linalg.norm(embedding)),
        "vector_norm_text": fixed(float(np.linalg.norm(embedding)), 2),
        "blocks": blocks,
        "top": [with_p(chip(int(i), p=p, bar=css_percent(p))) for i, p in zip(top, top_p)],
        "n_other_text": integer(cfg.n_vocab - len(top)),
        "other_p_text": percent(max(0.0, 1 - sum(top_p))),
        "next": chip(
            token,
            p=float(drawn["prob"]),
            p_text=percent(float(drawn["prob"])),
            p_model=float(probs[token]),
            p_model_text=percent(float(probs[token])),
            rank=int(np.sum(last > last[token])) + 1,
        ),
        "generated": model.encoding.decode(new_ids[: p["step"]]),
        "greedy": p["temperature"] == 0,
        "params": p,
        "shown": {"step": str(p["step"]), "temperature": fixed(p["temperature"], 2)},  # beside the sliders
        "n_seq_next": len(sequence) + 1,
        "loop_step": p["step"] + 1,  # the step this token's append is
        "last_step": p["step"] == MAX_STEP,
        "note": " ".join(notes) or None,
    }
