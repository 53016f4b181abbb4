"""A benchmark run live: 30 multiple-choice cloze items about State of the Union addresses, on the tiny model.

Each item is a text to continue and its choices (models/tiny/sotu_cloze.json, with its provenance).
`llm_core.evaluation.choice_logprobs` scores every choice by its log-probability after the text, and
`pick_choices` takes the pick of lm-evaluation-harness's `acc` (highest total) and `acc_norm` (highest
per character); `accuracy` gives each score with its standard error, overall and per group: sentences
from addresses the model trained on, from addresses it never saw, and facts written for the benchmark.
The overlap of each item with the training text (longest shared run of words, and whether it shares an
8-gram, GPT-3's contamination test) was computed by scripts/benchmark_overlap.py, since the corpus is not
part of the build. The reader picks an item to see in full, and can write an item of their own.
"""

import json

from llm_core.controls import as_int, as_text
from llm_core.evaluation import accuracy, choice_logprobs, pick_choices, words
from llm_core.memo import per_model
from llm_core.model_files import read_model_file
from widgetlib.fmt import css_percent, fixed, integer, percent
from widgetlib.model import TINY, TINY_FILES, chip, tiny

BENCHMARK = "sotu_cloze.json"
MAX_CONTEXT_CHARS, MAX_CHOICE_CHARS, MAX_CHOICES = 400, 100, 6
MAX_CHOICE_TOKENS = 48
N_COLOURS = 5  # token chips cycle through the site's five token colours (tokens.css)
NGRAM = 8  # the n of the overlap check in the benchmark file (scripts/benchmark_overlap.py)
SHORT = {"train": "Quotes it trained on", "heldout": "Quotes held out", "fact": "Facts, not quotes"}
REL_TOL = 1e-3  # the float32 model: Pyodide's numpy sums in another order

DEFAULTS = {"item": 4, "context": "", "choices": ""}
EXAMPLES = [
    {"item": 1},
    {"item": 30, "context": "I ask the Congress to", "choices": "act | the the the | provide for the common defense"},
    {"item": 999, "context": "", "choices": "🇺🇸 | Union"},
    {"item": 12, "context": "Only one choice", "choices": "alone"},
]
DATA = [*TINY_FILES, f"{TINY}/{BENCHMARK}"]
CODE = [
    "llm_core.evaluation.choice_logprobs",
    "llm_core.evaluation.encode_pair",
    "llm_core.evaluation.pick_choices",
    "llm_core.evaluation.accuracy",
    "llm_core.evaluation.longest_shared_run",
]


def benchmark() -> dict:
    return json.loads(read_model_file(TINY, BENCHMARK))


@per_model(size=1)
def run(model, name) -> list:  # -> [n_items] of choice_logprobs' lists
    """Every choice of every item of the benchmark file `name`, scored on the model (once per model)."""
    items = json.loads(read_model_file(TINY, name))["items"]
    return [choice_logprobs(model, item["context"], item["choices"]) for item in items]


@per_model(size=4)
def run_yours(model, key) -> list:
    context, choices = key
    return choice_logprobs(model, context, list(choices))


def read_choices(text: str) -> tuple:
    """The reader's choices: the text split at |, each trimmed, empty ones left out (the first is the right one)."""
    choices = [c.strip() for c in text.split("|") if c.strip()]
    notes = []
    if len(choices) > MAX_CHOICES:
        notes.append(f"{len(choices)} choices: only the first {MAX_CHOICES} are scored.")
        choices = choices[:MAX_CHOICES]
    for i, c in enumerate(choices):
        if len(c) > MAX_CHOICE_CHARS:
            notes.append(f"Choice {i + 1} is {len(c)} characters: only its first {MAX_CHOICE_CHARS} are scored.")
            choices[i] = c[:MAX_CHOICE_CHARS]
    return choices, notes


def read_params(params: dict) -> tuple:
    p = {**DEFAULTS, **params}
    n_items = len(benchmark()["items"])
    out = {"item": as_int("item", p["item"], 1, n_items)}
    context, note_c = as_text("text to continue", p["context"], MAX_CONTEXT_CHARS)
    choices, note_x = as_text("choices", p["choices"], MAX_CHOICES * (MAX_CHOICE_CHARS + 3))
    out["context"], out["choices"] = context, choices
    return out, [n for n in (note_c, note_x) if n]


def share_text(correct: list) -> str:
    """'50.0% ± 15.8%': a group's accuracy with its standard error, short enough for a phone's table."""
    a = accuracy(correct)
    return f"{percent(a['acc'])} ± {percent(a['stderr'])}"


def score_text(correct: list) -> str:
    """'15 of 30 right: 50.0% ± 9.1%' for a list of right/wrong outcomes."""
    a = accuracy(correct)
    return f"{sum(correct)} of {a['n']} right: {percent(a['acc'])} ± {percent(a['stderr'])}"


def detail(context: str, choices: list, answer: int, scored: list) -> dict:
    """One item in full: each choice's tokens with their log-probabilities, its total and per character,
    the bars (length: −log p, the pick has the shortest), and which choice each score picks."""
    logprobs = [s["logprob"] for s in scored]
    lengths = [len(c) for c in choices]
    picks = pick_choices(logprobs, lengths)
    per_char = [lp / n for lp, n in zip(logprobs, lengths)]
    worst, worst_char = max(-lp for lp in logprobs), max(-x for x in per_char)
    rows = []
    for i, (choice, s) in enumerate(zip(choices, scored)):
        marks = (["right"] if i == answer else []) + [name for name, j in picks.items() if j == i]
        rows.append(
            {
                "choice": choice,
                "tokens": [
                    chip(t, lp_text=fixed(lp, 2), colour=k % N_COLOURS)
                    for k, (t, lp) in enumerate(zip(s["ids"], s["token_logprobs"].tolist()))
                ],
                "n_tokens": len(s["ids"]),
                "n_chars": lengths[i],
                "logprob": logprobs[i],
                "per_char": per_char[i],
                "logprob_text": fixed(logprobs[i], 2),
                "per_char_text": fixed(per_char[i], 3),
                "bar": css_percent(-logprobs[i] / worst if worst > 0 else 0),
                "bar_char": css_percent(-per_char[i] / worst_char if worst_char > 0 else 0),
                "right": i == answer,
                "acc": picks["acc"] == i,
                "acc_norm": picks["acc_norm"] == i,
                "marks": marks,
            }
        )
    agree = picks["acc"] == picks["acc_norm"]
    verdict = "; ".join(
        f"{name} picks “{choices[j]}”, {'right' if j == answer else 'wrong'}" for name, j in picks.items()
    )
    if not agree:
        verdict += ": they disagree, because the choices differ in length"
    return {
        "context": context,
        "rows": rows,
        "picks": picks,
        "acc_right": picks["acc"] == answer,
        "norm_right": picks["acc_norm"] == answer,
        "agree": agree,
        "verdict": verdict + ".",
        "n_cut": max(s["n_cut"] for s in scored),
    }


def source(bench: dict, key: str) -> dict:
    """Where an item comes from: an address ("address:1862_abraham_lincoln_r") or a cited source."""
    if key.startswith("address:"):
        year, *name, _party = key.removeprefix("address:").split("_")
        return {"source_text": f"{' '.join(name).title()}, {year} address", "source_url": None}
    return {"source_text": bench["sources"][key]["title"], "source_url": bench["sources"][key]["url"]}


def overlap_text(item: dict) -> str:
    """The item's overlap with the training text, from the benchmark file, as a sentence."""
    run_words, n_words = (
        item["overlap"]["longest_run"],
        len(words(item["context"] + " " + item["choices"][item["answer"]])),
    )
    text = f"The longest run of its words that the training text also holds: {run_words} of {n_words}"
    if item["overlap"]["dirty"]:
        return text + f", so it shares an {NGRAM}-gram: by GPT-3's test, contaminated."
    return text + f"; no {NGRAM}-gram shared: clean by GPT-3's test."


def yours(model, context: str, choices_text: str) -> dict | None:
    """The reader's own item, scored like the benchmark's (the first choice is the right one)."""
    if not context.strip() and not choices_text.strip():
        return None
    choices, notes = read_choices(choices_text)
    if len(choices) < 2:
        return {"message": "Write at least two choices, separated by |, the right one first.", "notes": notes}
    for i, c in enumerate(choices):
        n = len(model.encoding.encode(" " + c))
        if n > MAX_CHOICE_TOKENS:
            return {"message": f"Choice {i + 1} is {n} tokens; a choice may be at most {MAX_CHOICE_TOKENS}."}
    scored = run_yours(model, (context, tuple(choices)))
    out = detail(context, choices, 0, scored)
    if not context.strip():
        notes.append("The text to continue is empty: the model reads <|endoftext|>, the start of a new document.")
    if out["n_cut"]:
        notes.append(f"The text is too long for the model's window: its first {out['n_cut']} tokens were cut.")
    return {**out, "message": None, "notes": notes}


def compute(params: dict) -> dict:
    p, notes = read_params(params)
    bench, model = benchmark(), tiny()
    items = bench["items"]
    scored = run(model, BENCHMARK)
    details = [detail(it["context"], it["choices"], it["answer"], s) for it, s in zip(items, scored)]
    acc = [d["acc_right"] for d in details]
    norm = [d["norm_right"] for d in details]
    groups = []
    for key, label in bench["groups"].items():
        idx = [i for i, it in enumerate(items) if it["group"] == key]
        groups.append(
            {
                "key": key,
                "label": SHORT[key],
                "description": label,
                "cells": [
                    integer(len(idx)),
                    share_text([acc[i] for i in idx]),
                    share_text([norm[i] for i in idx]),
                    integer(sum(items[i]["overlap"]["dirty"] for i in idx)),
                ],
                "acc": accuracy([acc[i] for i in idx])["acc"],
                "acc_norm": accuracy([norm[i] for i in idx])["acc"],
            }
        )
    chosen = p["item"] - 1
    item = items[chosen]
    n_choices = len(item["choices"])
    return {
        "params": p,
        "readouts": {"item": str(p["item"])},
        "acc": accuracy(acc),
        "acc_norm": accuracy(norm),
        "acc_text": score_text(acc),
        "norm_text": score_text(norm),
        "chance_text": percent(sum(1 / len(it["choices"]) for it in items) / len(items)),
        "n_disagree": sum(d["picks"]["acc"] != d["picks"]["acc_norm"] for d in details),
        "groups": groups,
        "grid": [
            {
                "n": i + 1,
                "group": it["group"],
                "acc": d["acc_right"],
                "norm": d["norm_right"],
                "disagree": not d["agree"],
                "dirty": it["overlap"]["dirty"],
                "selected": i == chosen,
                "label": f"Item {i + 1} ({bench['groups'][it['group']]}): acc {'right' if d['acc_right'] else 'wrong'}, "
                f"acc_norm {'right' if d['norm_right'] else 'wrong'}",
            }
            for i, (it, d) in enumerate(zip(items, details))
        ],
        "item": {
            **details[chosen],
            "n": p["item"],
            "group_label": bench["groups"][item["group"]],
            **source(bench, item["source"]),
            "overlap_text": overlap_text(item),
            "chance_text": percent(1 / n_choices),
        },
        "yours": yours(model, p["context"], p["choices"]),
        "note": " ".join(notes) or None,
    }
