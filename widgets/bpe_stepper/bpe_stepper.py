"""BPE merge trace: how one encoding turns a short text into tokens, one merge at a time.

Each pre-token starts as single bytes; every step merges the adjacent pair whose concatenation has the
lowest rank in the vocabulary, until no adjacent pair is a token. The view shows the parts after `step`
merges (counted over the whole text, pre-token by pre-token, in the order encode applies them) and the
full list of merges, so the static figure is complete without JavaScript.
"""

from llm_core.controls import as_choice, as_int
from llm_core.tokenizer import get_encoding, render_token, without_surrogates
from widgetlib.fmt import integer

ENCODING_NAMES = ["o200k_base", "cl100k_base", "r50k_base"]
MAX_CHARS = 64
MAX_STEP = 10**9  # any bigger step is the last one: clamped to the text's number of merges

DEFAULTS = {"text": "unbelievably", "encoding": "o200k_base", "step": 0}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"text": " tokenization", "encoding": "r50k_base", "step": 4},
    {"text": "👍🏽 ok, 12345!", "encoding": "cl100k_base", "step": 10_000},
    {"text": "", "step": 3},
]
DATA = [f"vocab/{name}.tiktoken" for name in ENCODING_NAMES]
CODE = [
    "llm_core.tokenizer.get_encoding",
    "llm_core.tokenizer.Encoding.encode_with_trace",
    "llm_core.tokenizer.bpe",
    "llm_core.tokenizer.render_token",
]


def state_after(trace: list[dict], step: int, ranks: dict[bytes, int]) -> list[dict]:
    """The parts of every pre-token after the first `step` merges of the whole text.

    Pre-tokens are encoded one after another, so those before the active one are finished and those
    after it are still single bytes. -> [{"active": bool, "label", "chips": [{"id", "segs", "new"}]}]
    """
    groups, done = [], 0
    for number, pretoken in enumerate(trace, 1):
        steps = pretoken["steps"]
        k = min(max(step - done, 0), len(steps))  # merges of this pre-token applied so far
        start = [bytes([b]) for b in pretoken["bytes"]]
        parts = steps[k - 1]["parts"] if k else start
        active = done < step <= done + len(steps)  # this pre-token holds the latest merge
        new = -1
        if active:
            before = steps[k - 2]["parts"] if k > 1 else start
            new = next(i for i, (a, b) in enumerate(zip(parts, before)) if a != b)
        groups.append(
            {
                "active": active,
                "label": f"Pre-token {number} parts",
                "chips": [{"id": ranks[p], "segs": render_token(p), "new": i == new} for i, p in enumerate(parts)],
            }
        )
        done += len(steps)
    return groups


def compute(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    text, name = p["text"], p["encoding"]
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    name = as_choice("encoding", name, ENCODING_NAMES)
    step = as_int("step", p["step"], 0, MAX_STEP)
    notes = []
    cleaned = without_surrogates(text)
    if cleaned != text:
        notes.append("Unpaired surrogates (half an emoji?) were replaced with U+FFFD.")
    text = cleaned
    if len(text) > MAX_CHARS:
        notes.append(
            f"Showing the first {MAX_CHARS} of {len(text):,} characters: "
            "the step-by-step trace is for a word or a short phrase."
        )
        text = text[:MAX_CHARS]
    enc = get_encoding(name)
    trace = enc.encode_with_trace(text)
    merges = []
    for i, pretoken in enumerate(trace):
        for s in pretoken["steps"]:
            merges.append(
                {
                    "step": len(merges) + 1,
                    "pretoken": i,
                    "rank": s["rank"],
                    "rank_text": integer(s["rank"]),
                    "left": render_token(s["left"]),
                    "right": render_token(s["right"]),
                    "merged": render_token(s["left"] + s["right"]),
                }
            )
    n_steps = len(merges)
    step = min(max(step, 0), n_steps)
    ids = [i for pretoken in trace for i in pretoken["ids"]]
    return {
        "encoding": name,
        "note": " ".join(notes) or None,
        "n_bytes": sum(len(pretoken["bytes"]) for pretoken in trace),
        "n_pretokens": len(trace),
        "n_steps": n_steps,
        "step": step,
        "groups": state_after(trace, step, enc.mergeable_ranks),
        "current": merges[step - 1] if step else None,
        "merges": merges,
        "ids": ids,
    }
