"""Live tokenizer: the reader's text encoded by o200k_base, cl100k_base, r50k_base and SmolLM2's tokenizer.

For each encoding: the tokens as chips (id + what the token's bytes say), the token count and characters
per token. A token is a run of bytes, not of characters, so a chip can hold part of a character (an emoji
split over several tokens); those bytes are shown as hex, like `<F0 9F>`. The first three are tiktoken's
(ranked tokens, `llm_core.tokenizer`); the fourth is SmolLM2-135M-Instruct's merge list, read from a data
file the build copies out of its GGUF (`llm_core.bpe_merges`), so it needs none of the model's weights.
"""

import functools

from llm_core.bpe_merges import load_merges_encoding
from llm_core.controls import as_bool
from llm_core.tokenizer import get_encoding, render_token, without_surrogates
from widgetlib.fmt import fixed, integer

SMOLLM2 = "SmolLM2"
SMOLLM2_TOKENIZER = "models/smollm2/tokenizer.json"  # written by the build (sitebuild/smollm2_tokenizer.py)
# (encoding, models that use it): tiktoken's per tiktoken/model.py; SmolLM2's, the real model chapters 6,
# 8, 9 and 12 can load
ENCODINGS = [
    ("o200k_base", "GPT-4o, o1, o3, GPT-4.1, GPT-5"),
    ("cl100k_base", "GPT-3.5 Turbo, GPT-4"),
    ("r50k_base", "GPT-2, GPT-3 (davinci)"),
    (SMOLLM2, "SmolLM2-135M-Instruct (Hugging Face)"),
]
MAX_CHARS = 20_000

DEFAULTS = {
    "text": (
        "Unbelievably, the strawberry costs $1234567.89!\n"
        "Tokenizers    split ¿qué? and 你好世界 differently 👩🏽\u200d💻\n"
        "def area(r):\n"
        "\treturn 3.14159 * r ** 2\n"
    ),
    "show_whitespace": True,
    "show_ids": False,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"text": "", "show_whitespace": False},
    {
        "text": "\U0001f469\u200d\U0001f469\u200d\U0001f467 e\u0301 naïve\u00a0café\r\n\tمرحبا שלום\x00\x1b",
        "show_whitespace": False,
        "show_ids": True,
    },
    {"text": "    for i in range(10):\n        print(i * 1234567)\n", "show_ids": True},
]
DATA = [f"vocab/{name}.tiktoken" for name, _ in ENCODINGS if name != SMOLLM2] + [SMOLLM2_TOKENIZER]
CODE = [
    "llm_core.tokenizer.get_encoding",
    "llm_core.tokenizer.Encoding.encode",
    "llm_core.bpe_merges.load_merges_encoding",
    "llm_core.bpe_merges.MergesEncoding.encode",
    "llm_core.tokenizer.Encoding.decode_tokens_bytes",
    "llm_core.tokenizer.render_token",
]


@functools.cache
def encoding(name: str):  # -> tokenizer.Encoding or bpe_merges.MergesEncoding, read once
    return load_merges_encoding(SMOLLM2_TOKENIZER, SMOLLM2) if name == SMOLLM2 else get_encoding(name)


def chips(enc, ids: list[int], show_whitespace: bool) -> list[dict]:
    """Token ids -> chips for the view: {"id", "segs", "nl" (the token holds a line break)}."""
    return [
        {"id": i, "segs": render_token(b, show_whitespace), "nl": b"\n" in b}
        for i, b in zip(ids, enc.decode_tokens_bytes(ids))
    ]


def compute(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    text = p["text"]
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    show_whitespace = as_bool("show_whitespace", p["show_whitespace"])
    show_ids = as_bool("show_ids", p["show_ids"])
    notes = []
    # subtle: a browser string can hold half of a UTF-16 surrogate pair (a paste cut mid-emoji), which
    # UTF-8 cannot encode; llm_core replaces it with U+FFFD, as tiktoken does, and we say so.
    cleaned = without_surrogates(text)
    if cleaned != text:
        notes.append("Unpaired surrogates (half an emoji?) were replaced with U+FFFD.")
    text = cleaned
    n_in = len(text)
    if n_in > MAX_CHARS:
        text = text[:MAX_CHARS]
        notes.append(f"Showing the first {MAX_CHARS:,} of {n_in:,} characters.")
    n_chars = len(text)
    encodings = []
    for name, models in ENCODINGS:
        enc = encoding(name)
        ids = enc.encode(text)
        encodings.append(
            {
                "name": name,
                "models": models,
                "n_tokens": len(ids),
                "n_tokens_text": integer(len(ids)),
                "chars_per_token": round(n_chars / len(ids), 2) if ids else None,
                "chars_per_token_text": fixed(n_chars / len(ids), 2) if ids else "–",
                "tokens": chips(enc, ids, show_whitespace),
            }
        )
    return {
        "n_chars": n_chars,
        "n_bytes": len(text.encode("utf-8")),
        "summary": f"{integer(n_chars)} characters · {integer(len(text.encode('utf-8')))} UTF-8 bytes",
        "note": " ".join(notes) or None,
        "show_ids": show_ids,
        "encodings": encodings,
    }
