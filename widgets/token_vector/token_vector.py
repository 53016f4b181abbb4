"""A token's vector: the row of the tiny model's embedding table that the model reads for one token.

The reader's text is tokenized; one token (picked by position) is looked up in `tok_emb`, the model's
[n_vocab, d_model] = [4096, 128] embedding table, and its 128 numbers are shown as a strip. Two more
fields name two tokens (each field's first token): their cosine similarity, and the ten rows of the
table nearest to the first one (`llm_core.embeddings.nearest_neighbours`). The table is the real one:
the tiny model also uses it, transposed, as its unembedding (tied weights).
"""

import numpy as np

from llm_core.controls import as_int, as_text
from llm_core.embeddings import cosine_similarity, embed, nearest_neighbours
from llm_core.tokenizer import render_token
from widgetlib.fmt import css_percent, fixed, integer, signed
from widgetlib.model import TINY_FILES, embedding_table, tiny

MAX_TEXT_CHARS = 200  # a word or a short sentence: the strip shows one token anyway
MAX_WORD_CHARS = 100
MAX_TOKENS_SHOWN = 32  # chips shown for the text; the position slider reaches the first 16
MAX_POSITION = 16
N_NEIGHBOURS = 10
N_SHADES = 4  # strip colours: -4..4, by value relative to the largest |value| in the row
N_COLUMNS = 8  # numbers per row of the table under the strip
# Cosines sum 128 float64 products; Pyodide's numpy (no BLAS) sums them in another order.
REL_TOL = 1e-6

DEFAULTS = {"text": "The war ended in January", "position": 3, "a": " January", "b": " July"}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"text": "peace", "position": 1, "a": " war", "b": " peace"},
    {"text": "Gentlemen of the Senate", "position": 16, "a": "January", "b": ""},
    {"text": "", "a": " France", "b": " Spain"},
]
DATA = TINY_FILES
CODE = [
    "llm_core.model_files.load_model",
    "llm_core.embeddings.embed",
    "llm_core.embeddings.cosine_similarity",
    "llm_core.embeddings.nearest_neighbours",
]


def token_view(token_id: int) -> dict:
    """A token as a chip: its id and display segments (markers for spaces, hex for partial characters)."""
    return {"id": int(token_id), "segs": render_token(tiny().encoding.decode_tokens_bytes([token_id])[0])}


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped; notes say what was cut."""
    p = {**DEFAULTS, **params}
    text, note = as_text("text", p["text"], MAX_TEXT_CHARS)
    a, note_a = as_text("first word", p["a"], MAX_WORD_CHARS)
    b, note_b = as_text("second word", p["b"], MAX_WORD_CHARS)
    notes = [n for n in (note, note_a, note_b) if n]
    return {"text": text, "position": as_int("position", p["position"], 1, MAX_POSITION), "a": a, "b": b}, notes


def space_tip(word: str, ids: list) -> str | None:
    """A hint when a word typed without a leading space would be one token with it."""
    if not word or word[0].isspace() or len(ids) == 1:
        return None
    spaced = tiny().encoding.encode(" " + word.strip())
    if len(spaced) == 1:
        return (
            f'Inside a sentence this word carries a leading space: "{" " + word.strip()}" is a single '
            f"token (id {spaced[0]})."
        )
    return None


def first_token(word: str, label: str) -> dict:
    """The first token of a field: its chip, how many tokens the field has, and a message or tip."""
    ids = tiny().encoding.encode(word)
    if not ids:
        return {"token": None, "n_tokens": 0, "message": f"The {label} is empty: type a word."}
    message = None
    if len(ids) > 1:
        message = f'"{word}" is {len(ids)} tokens; the {label} uses its first, shown here.'
    return {"token": token_view(ids[0]), "n_tokens": len(ids), "message": message, "tip": space_tip(word, ids)}


def strip(token_id: int) -> dict:
    """A token's row of the table: its values, a shade per value, and a few statistics in words."""
    row = embed([token_id], embedding_table())[0]  # [d_model]
    peak = float(np.max(np.abs(row)))
    shades = np.rint(N_SHADES * row / peak).astype(int) if peak > 0 else np.zeros(len(row), dtype=int)
    texts = [signed(float(v), 3) for v in row]
    return {
        **token_view(token_id),
        "values": [float(v) for v in row],
        "texts": texts,
        "shades": shades.tolist(),
        "norm": float(np.linalg.norm(row)),
        "norm_text": fixed(float(np.linalg.norm(row)), 3),
        "max": float(row.max()),
        "max_text": signed(float(row.max()), 3),
        "argmax": int(row.argmax()),
        "min": float(row.min()),
        "min_text": signed(float(row.min()), 3),
        "argmin": int(row.argmin()),
        # the table of all the numbers: N_COLUMNS a row, each row headed by its first dimension
        "columns": [f"+{j}" for j in range(N_COLUMNS)],
        "rows": [{"first": i, "texts": texts[i : i + N_COLUMNS]} for i in range(0, len(texts), N_COLUMNS)],
    }


def compute(params: dict) -> dict:
    p, notes = read_params(params)
    ids = tiny().encoding.encode(p["text"])
    position = min(p["position"], len(ids), MAX_POSITION)
    # number: the chip's position as the slider counts, from 1
    chips = [
        {**token_view(i), "number": k + 1, "picked": k + 1 == position} for k, i in enumerate(ids[:MAX_TOKENS_SHOWN])
    ]
    if len(ids) > MAX_TOKENS_SHOWN:
        notes.append(f"The text is {len(ids)} tokens: the first {MAX_TOKENS_SHOWN} are shown.")
    vector = strip(ids[position - 1]) if ids else None

    a, b = first_token(p["a"], "first word"), first_token(p["b"], "second word")
    cosine, neighbours = None, []
    if a["token"] and b["token"]:
        ea, eb = embed([a["token"]["id"], b["token"]["id"]], embedding_table())  # [2, d_model]
        cosine = float(cosine_similarity(ea, eb))
    if a["token"]:
        order, sims = nearest_neighbours(
            embedding_table()[a["token"]["id"]], embedding_table(), k=N_NEIGHBOURS, exclude=[a["token"]["id"]]
        )
        neighbours = [
            {
                **token_view(i),
                "cosine": float(s),
                "cosine_text": fixed(float(s), 3),
                "bar": css_percent(max(float(s), 0.0)),
            }
            for i, s in zip(order, sims)
        ]
    return {
        "tokens": chips,
        "n_tokens": len(ids),
        "position": position,
        "vector": vector,
        "d_model": tiny().cfg.d_model,
        "n_vocab": tiny().cfg.n_vocab,
        "a": a,
        "b": b,
        "cosine": cosine,
        "cosine_text": None if cosine is None else signed(cosine, 3),
        "meter": None if cosine is None else css_percent((1 + cosine) / 2),  # the dot's place on the -1..+1 scale
        "n_vocab_text": integer(tiny().cfg.n_vocab),
        "neighbours": neighbours,
        "params": p,
        "note": " ".join(notes) or None,
        "message": None if ids else "Type a word or a short sentence to see its tokens and a vector.",
    }
