"""Vector arithmetic: A - B + C over the tiny model's token embeddings, and the tokens nearest the result.

The classic demonstration is word2vec's king - man + woman ~ queen (Mikolov et al. 2013,
arXiv:1301.3781). Here each field's first token is looked up in `tok_emb`, the sum A - B + C is formed,
and every row of the table is ranked by cosine similarity to it (`llm_core.embeddings.nearest_neighbours`).
As in the word2vec evaluation, A, B and C themselves are left out of the answer; the view also shows what
comes first when they are not, because that is usually one of the inputs (Linzen 2016, arXiv:1606.07736).
An optional expected token gets its rank, so a near miss and a failure both show as what they are.
"""

import numpy as np

from llm_core.controls import as_text
from llm_core.embeddings import cosine_similarity, embed, nearest_neighbours
from llm_core.tokenizer import render_token
from widgetlib.fmt import css_percent, fixed, integer
from widgetlib.model import TINY_FILES, embedding_table, tiny

MAX_WORD_CHARS = 100
N_RESULTS = 10
N_RAW = 5  # nearest tokens shown with A, B and C left in
# Cosines sum 128 float64 products; Pyodide's numpy (no BLAS) sums them in another order.
REL_TOL = 1e-6
FIELDS = [("a", "A"), ("b", "B"), ("c", "C")]

DEFAULTS = {"a": " French", "b": " France", "c": " Germany", "expect": " German"}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"a": " peace", "b": " war", "c": " enemy", "expect": " friend"},
    {"a": " February", "b": " January", "c": " March", "expect": " April"},
    {"a": "king", "b": " man", "c": "", "expect": ""},
]
DATA = TINY_FILES
CODE = [
    "llm_core.embeddings.embed",
    "llm_core.embeddings.cosine_similarity",
    "llm_core.embeddings.nearest_neighbours",
]


def token_view(token_id: int) -> dict:
    return {"id": int(token_id), "segs": render_token(tiny().encoding.decode_tokens_bytes([token_id])[0])}


def read_params(params: dict):  # -> params, notes
    p = {**DEFAULTS, **params}
    out, notes = {}, []
    for key, label in [*FIELDS, ("expect", "expected token")]:
        out[key], note = as_text(label if key == "expect" else f"field {label}", p[key], MAX_WORD_CHARS)
        if note:
            notes.append(note)
    return out, notes


def field_token(word: str, label: str) -> dict:
    """A field's first token, or a message saying why there is none; a hint about leading spaces."""
    ids = tiny().encoding.encode(word)
    if not ids:
        return {"token": None, "message": f"{label} is empty: type a word."}
    message = f'"{word}" is {len(ids)} tokens; {label} uses the first.' if len(ids) > 1 else None
    if len(ids) > 1 and not word[0].isspace():
        spaced = tiny().encoding.encode(" " + word.strip())
        if len(spaced) == 1:
            message += f' With a leading space, "{" " + word.strip()}" is one token.'
    return {"token": token_view(ids[0]), "message": message}


def scored(token_id: int, cosine: float, **extra) -> dict:
    """A token with its cosine, as a number and as the view writes it (with its bar's width)."""
    return {
        **token_view(token_id),
        "cosine": float(cosine),
        "cosine_text": fixed(float(cosine), 3),
        "bar": css_percent(max(float(cosine), 0.0)),
        **extra,
    }


def compute(params: dict) -> dict:
    p, notes = read_params(params)
    fields = {key: field_token(p[key], label) for key, label in FIELDS}
    expect = field_token(p["expect"], "the expected token") if p["expect"].strip() else None
    result = {
        "fields": [{"key": key, "label": label, **fields[key]} for key, label in FIELDS],
        "expect": expect,
        "results": [],
        "raw": [],
        "input_cosines": [],
        "expect_rank": None,
        "expect_cosine": None,
        "params": p,
        "note": " ".join(notes) or None,
        "message": None,
    }
    if any(f["token"] is None for f in fields.values()):
        result["message"] = "Fill in A, B and C: the sum needs a token from each."
        return result

    ids = [fields[key]["token"]["id"] for key, _ in FIELDS]
    a, b, c = embed(ids, embedding_table())  # 3 x [d_model]
    target = a - b + c  # [d_model]
    order, sims = nearest_neighbours(target, embedding_table(), k=N_RESULTS, exclude=ids)
    wanted = expect["token"]["id"] if expect and expect["token"] else None
    result["results"] = [scored(i, s, expected=int(i) == wanted) for i, s in zip(order, sims)]
    raw, raw_sims = nearest_neighbours(target, embedding_table(), k=N_RAW)
    # after: the punctuation that follows each token in the sentence that lists them
    result["raw"] = [
        scored(i, s, input=int(i) in ids, after="." if k == len(raw) - 1 else ", ")
        for k, (i, s) in enumerate(zip(raw, raw_sims))
    ]
    result["input_cosines"] = [float(s) for s in cosine_similarity(np.stack([a, b, c]), target)]
    result["input_cosines_text"] = [fixed(s, 3) for s in result["input_cosines"]]
    if expect and expect["token"]:
        e = expect["token"]["id"]
        if e in ids:
            expect["message"] = "The expected token is one of A, B and C, which are left out of the answer."
        else:
            # rank among every token but A, B and C: 1 + how many of those are strictly closer
            cos_all = cosine_similarity(embedding_table(), target)  # [n_vocab]
            others = np.delete(cos_all, ids)
            result["expect_cosine"] = float(cos_all[e])
            result["expect_cosine_text"] = fixed(float(cos_all[e]), 3)
            result["expect_rank"] = int(np.sum(others > cos_all[e])) + 1
            result["n_candidates_text"] = integer(len(others))  # every token but A, B and C (fewer if repeated)
    result["n_vocab"] = tiny().cfg.n_vocab
    return result
