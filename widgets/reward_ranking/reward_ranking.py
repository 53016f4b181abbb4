"""Reward ranking: scores for several answers to one prompt, and what Bradley-Terry makes of them.

A reward model gives each (prompt, answer) one number; only differences matter, through
P(i preferred to j) = sigmoid(r_i - r_j) (`llm_core.preference.preference_matrix`). Glassbox has no reward
model, and this widget does not pretend to: the scores are either set by the reader (toy numbers) or,
as a stand-in that is plainly not a reward model, the tiny model's mean log-probability per token of each
answer after the prompt (`sequence_logprob` / number of tokens): how typical the answer is of its
training text, not how good it is. The reward-model loss line shows what training would do if a labeller
had ranked the answers in the order listed.
"""

from llm_core.controls import as_choice, as_number, as_text
from widgetlib.prompt import prompt_ids
from llm_core.preference import preference_matrix, reward_model_loss, sequence_logprob
from widgetlib.fmt import fixed, percent
from widgetlib.model import TINY_FILES, tiny

MODES = ("model", "set")  # the menu lists "model" first, so the default (set) is its last option
NAMES = ("a", "b", "c", "d")
SCORE_MIN, SCORE_MAX = -5.0, 5.0
MAX_TEXT_CHARS = 500
MAX_ANSWER_TOKENS = 64
# Model mode runs the float32 model: the browser test compares floats to this relative tolerance.
REL_TOL = 1e-3

DEFAULTS = {
    "mode": "set",
    "prompt": "The condition of the Treasury",
    "a": " is sound: the revenue exceeded the expenditures, and the public debt was reduced.",
    "b": " is good.",
    "c": " is the Treasury of the Treasury of the Treasury.",
    "d": " is purple and sings at night.",
    "score_a": 2.0,
    "score_b": 0.5,
    "score_c": -1.5,
    "score_d": -3.0,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"score_a": 0, "score_b": 0, "score_c": 5, "score_d": -5},
    {"mode": "model"},
    {"mode": "model", "prompt": "", "b": "", "c": "🙂"},
]
DATA = TINY_FILES
CODE = [
    "llm_core.preference.bradley_terry",
    "llm_core.preference.preference_matrix",
    "llm_core.preference.reward_model_loss",
    "llm_core.preference.sequence_logprob",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    out = {"mode": as_choice("mode", p["mode"], MODES), "prompt": as_text("prompt", p["prompt"], MAX_TEXT_CHARS)[0]}
    for name in NAMES:
        out[name] = as_text(f"answer {name.upper()}", p[name], MAX_TEXT_CHARS)[0]
        out[f"score_{name}"] = as_number(f"score of {name.upper()}", p[f"score_{name}"], SCORE_MIN, SCORE_MAX)
    return out


def model_scores(p: dict) -> tuple:  # -> [4] scores, [4] token counts, notes
    """The stand-in score: mean log-probability per token of each answer after the prompt (0 if empty)."""
    model, notes = tiny(), []
    answers = [model.encoding.encode(p[name])[:MAX_ANSWER_TOKENS] for name in NAMES]
    context, notes = prompt_ids(model, p["prompt"], max(max(map(len, answers)), 1), MAX_TEXT_CHARS)
    scores = []
    for name, ids in zip(NAMES, answers):
        total, _ = sequence_logprob(model, context, ids)
        scores.append(total / len(ids) if ids else 0.0)
        if not ids:
            notes.append(
                f"Answer {name.upper()} is empty: it gets score 0, the most likely possible, which shows "
                "how far likelihood is from quality."
            )
    return scores, [len(ids) for ids in answers], notes


def pref_cell(i: int, j: int, p: float) -> dict:
    """One cell of the preference table: the share as text, the diagonal and the wins marked."""
    return {"text": percent(p), "cls": "rr-diag" if i == j else ("rr-win" if p > 0.5 else None)}


def compute(params: dict) -> dict:
    p = read_params(params)
    if p["mode"] == "model":
        scores, n_tokens, notes = model_scores(p)
    else:
        scores, n_tokens, notes = [p[f"score_{name}"] for name in NAMES], None, []
    prefs = preference_matrix(scores)  # [4, 4]
    order = sorted(range(len(NAMES)), key=lambda i: -scores[i])  # stable: ties keep the listed order
    pairs = [(i, j) for i in range(len(NAMES)) for j in range(i + 1, len(NAMES))]  # A>B, A>C, ... as listed
    answers = [
        {
            "name": name.upper(),
            "text": p[name],
            "score": float(s),
            "score_text": fixed(float(s), 3),
            "rank": order.index(i) + 1,
            "n_tokens": n_tokens[i] if n_tokens else None,
        }
        for i, (name, s) in enumerate(zip(NAMES, scores))
    ]
    listed_loss = reward_model_loss([scores[i] for i, _ in pairs], [scores[j] for _, j in pairs])
    tie_loss = reward_model_loss([0.0], [0.0])  # = ln 2: every pair a coin flip
    return {
        "params": p,
        "readouts": {f"score_{name}": fixed(p[f"score_{name}"], 1) for name in NAMES},
        "answers": answers,
        "ranked": [answers[i] for i in order],
        "prefs": [[float(x) for x in row] for row in prefs],
        "pref_cells": [[pref_cell(i, j, float(x)) for j, x in enumerate(row)] for i, row in enumerate(prefs)],
        "ranking": [NAMES[i].upper() for i in order],
        "listed_loss": listed_loss,
        "listed_loss_text": fixed(listed_loss, 3),
        "n_pairs": len(pairs),
        "tie_loss": tie_loss,
        "tie_loss_text": fixed(tie_loss, 3),
        "stand_in": p["mode"] == "model",
        "note": " ".join(notes) or None,
    }
