"""The data pipeline, live: exact copies, near copies and junk removed from a small corpus, and yours.

The corpus: the two addresses in texts/ cut into documents of whole sentences (at least MIN_WORDS words
each), then documents planted by `plant` with a fixed seed: exact copies (respaced, or in capitals),
near copies (a share of their words swapped, a line of boilerplate added) and junk made of the corpus's
own words (a teaser, hashtags, lines cut off with "...", a table of numbers, keywords without stop words).
The reader's document comes last. Three stages run in order, each on what the previous one kept:
llm_core.data_pipeline's exact hash, MinHash with LSH banding, and Gopher's quality rules. The figure
shows what each stage removed and why, the reader's document against its nearest neighbour (exact Jaccard
and MinHash's estimate), and the LSH S-curve for the bands and rows chosen.
"""

import functools
import math
import re

import numpy as np

from llm_core.controls import as_choice, as_int, as_text
from llm_core.data_pipeline import (
    GOPHER_RULES,
    DedupConfig,
    candidate_probability,
    exact_duplicates,
    hash_functions,
    jaccard,
    lsh_candidates,
    lsh_threshold,
    minhash,
    minhash_jaccard,
    near_duplicates,
    quality_failures,
    quality_signals,
    shingle_ids,
    shingles,
)
from llm_core.model_files import read_model_file
from widgetlib.fmt import css_percent, fixed, integer, percent, svg_points
from widgetlib.plot import frame

TEXTS = {"Washington 1790": "washington-1790.txt", "Lincoln 1862": "lincoln-1862.txt"}
MIN_WORDS = 80  # a document is whole sentences until it has at least this many words
PLANT_SEED = 1862  # the planted documents are the same for every reader: only the hash functions' seed moves
MAX_TEXT_CHARS = 5_000
UNITS = {"word": "words", "char": "characters"}
MAX_BANDS, MAX_ROWS, MAX_N = 32, 16, 12
BOILERPLATE = "Share this page with a friend."
JUNK = {  # what each junk document is, in the order plant makes them
    "teaser": "a teaser",
    "hashtags": "hashtags",
    "cut lines": "lines cut off",
    "numbers": "a table of numbers",
    "keywords": "keywords",
}
STOP = {"the", "be", "to", "of", "and", "that", "have", "with"}
YOURS = (  # the start of Lincoln's 1862 message as a repost might carry it: two words changed, a line added
    "A nation may be said to consist of its territory, its people, and its laws. The territory is the only "
    'part which is of certain durability. "One generation passeth away and another generation cometh, but '
    'the earth abideth forever." It is of the first importance to duly consider and estimate this '
    "ever-enduring part. That portion of the earth's surface which is owned and inhabited by the people of "
    "the United States is well adapted to be the home of one united people, and it is not well adapted for "
    "two or more.\nClick here to read the full message."
)

DEFAULTS = {"text": YOURS, "unit": "word", "n": 5, "bands": 16, "rows": 8, "seed": 0}
EXAMPLES = [
    {"unit": "char", "n": 9, "bands": 32, "rows": 4, "seed": 7},
    {"text": "", "bands": 1, "rows": 1},
    {"text": "#ai #llm #data ... ... 🚀🚀 <b>", "n": 1, "bands": 4, "rows": 16},
    {"text": "The the the the.\n- a\n- b\n- c", "unit": "char", "n": 12, "bands": 20, "rows": 5},
]
DATA = [f"texts/{file}" for file in TEXTS.values()]
CODE = [
    "llm_core.data_pipeline.exact_duplicates",
    "llm_core.data_pipeline.shingles",
    "llm_core.data_pipeline.minhash",
    "llm_core.data_pipeline.lsh_candidates",
    "llm_core.data_pipeline.near_duplicates",
    "llm_core.data_pipeline.candidate_probability",
    "llm_core.data_pipeline.quality_failures",
]
CURVE = frame(360, 200, 40, 12, 12, 36)  # the S-curve's plot box, in SVG units
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"])")


def read_params(params: dict) -> tuple[dict, list[str]]:
    p = {**DEFAULTS, **params}
    text, note = as_text("document", p["text"], MAX_TEXT_CHARS)
    return {
        "text": text,
        "unit": as_choice("shingles of", p["unit"], list(UNITS)),
        "n": as_int("shingle length", p["n"], 1, MAX_N),
        "bands": as_int("bands", p["bands"], 1, MAX_BANDS),
        "rows": as_int("rows per band", p["rows"], 1, MAX_ROWS),
        "seed": as_int("seed", p["seed"], 0, 2**32 - 1),
    }, [note] if note else []


def cut(text: str) -> list[str]:
    """A text as documents of whole sentences, each of at least MIN_WORDS words (the last may be shorter,
    then it joins the one before)."""
    docs, current = [], []
    for sentence in SENTENCE_END.split(text.strip()):
        current.append(sentence)
        if len(" ".join(current).split()) >= MIN_WORDS:
            docs.append(" ".join(current))
            current = []
    if current:
        docs[-1] += " " + " ".join(current)
    return docs


def swap_words(text: str, share: float, vocab: list[str], rng) -> str:
    """The text with about `share` of its words replaced by words drawn from vocab."""
    ws = text.split(" ")
    for i in rng.choice(len(ws), size=max(1, round(share * len(ws))), replace=False):
        ws[i] = vocab[rng.integers(len(vocab))]
    return " ".join(ws)


def plant(docs: list[str], rng) -> list[dict]:
    """The planted documents: 3 exact copies, 3 near copies (2%, 6% and 15% of words swapped), 5 junk."""
    vocab = sorted({w.strip(".,;:\"'()") for d in docs for w in d.split()} - {""})
    words = [w for w in vocab if w.isalpha() and w.lower() not in STOP]
    picks = [int(i) for i in rng.choice(len(docs), size=6, replace=False)]
    out = []
    for k, i in enumerate(picks[:3]):
        copy = [docs[i], docs[i].replace(". ", ".  ") + "\n", docs[i].upper()][k]
        out.append({"text": copy, "planted": f"exact copy of D{i + 1}", "kind": "copy"})
    for share, i in zip((0.02, 0.06, 0.15), picks[3:]):
        near = swap_words(docs[i], share, words, rng) + "\n" + BOILERPLATE
        out.append(
            {"text": near, "planted": f"{percent(share, 0)} of D{i + 1}'s words swapped", "kind": "near", "of": i}
        )
    pick = lambda n: [words[j] for j in rng.integers(len(words), size=n)]  # noqa: E731
    junk = {
        "teaser": " ".join(docs[picks[0]].split()[:14]) + " ... Read more",
        "hashtags": " ".join("#" + w for w in pick(60)),
        "cut lines": "\n".join(" ".join(pick(6)) + "..." for _ in range(10)),
        "numbers": " ".join(str(n) for n in rng.integers(1, 100_000, size=60)) + " " + " ".join(pick(6)),
        "keywords": " ".join(pick(70)),
    }
    out += [{"text": text, "planted": JUNK[key], "kind": "junk"} for key, text in junk.items()]
    return out


@functools.lru_cache(maxsize=1)
def corpus() -> tuple[tuple[dict, ...], int]:
    """The documents cut from texts/ (source, text), then the planted ones; and how many were cut."""
    docs = []
    for name, file in TEXTS.items():
        docs += [{"text": d, "planted": name, "kind": "original"} for d in cut(read_model_file("texts", file).decode())]
    planted = plant([d["text"] for d in docs], np.random.default_rng(PLANT_SEED))
    return tuple(docs + planted), len(docs)


@functools.lru_cache(maxsize=16)
def signatures(unit: str, n: int, n_hashes: int, seed: int, text: str) -> tuple:
    """Every document's shingle set and MinHash signature [n_docs, n_hashes] (the reader's document last)."""
    docs, _ = corpus()
    coeffs = hash_functions(n_hashes, np.random.default_rng(seed))
    sets = [shingles(d["text"], n, unit) for d in docs] + [shingles(text, n, unit)]
    return sets, np.stack([minhash(shingle_ids(s), coeffs) for s in sets])


def excerpt(text: str, n: int = 64) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1].rstrip() + "…"


SHARE_RULES = ("lines starting with a bullet", "lines ending in an ellipsis", "words with a letter")
COUNT_RULES = ("word count", "stop words")


def shown(rule: str, value: float) -> str:
    """A rule's value as the table prints it: a share as a percentage, a count whole, a ratio to 2 decimals."""
    if rule in SHARE_RULES:
        return percent(value)
    return integer(value) if rule in COUNT_RULES else fixed(value, 2)


def limit(rule: str, value: float) -> str:
    """A threshold as the paper writes it: 50, 100,000, 0.1, 90%."""
    if rule in SHARE_RULES:
        return percent(value, 0)
    return integer(value) if rule in COUNT_RULES else f"{value:g}"


def kept_range(rule: str) -> str:
    """The values Gopher's rule keeps, in words: "50 to 100,000", "at most 0.1", "at least 2"."""
    low, high = GOPHER_RULES[rule]
    if math.isinf(high):
        return f"at least {limit(rule, low)}"
    return f"at most {limit(rule, high)}" if low == 0 else f"{limit(rule, low)} to {limit(rule, high)}"


def rule_text(rule: str, value: float) -> str:
    return f"{rule} {shown(rule, value)} (kept: {kept_range(rule)})"


def s_curve(b: int, r: int, pair_s: float) -> dict:
    """1 - (1 - s^r)^b for s in [0, 1], the threshold (1/b)^(1/r) and the pair's point, in SVG units."""
    box = CURVE
    x = lambda s: box["left"] + s * (box["right"] - box["left"])  # noqa: E731
    y = lambda p: box["bottom"] - p * (box["bottom"] - box["top"])  # noqa: E731
    s = np.linspace(0, 1, 101)
    p = candidate_probability(s, b, r)
    t = lsh_threshold(b, r)
    pair_p = float(candidate_probability(pair_s, b, r))
    return {
        **box,
        "points": svg_points(zip(x(s), y(p))),
        "threshold": {  # its label on the side of the line with more room
            "x": round(x(t), 2),
            "label": f"(1/b)^(1/r) = {fixed(t, 2)}",
            "label_x": round(x(t) + (-4 if t > 0.5 else 4), 2),
            "anchor": "end" if t > 0.5 else "start",
        },
        "marker": {"cx": round(x(pair_s), 2), "cy": round(y(pair_p), 2)},
        "x": [{"at": round(x(v), 2), "label": fixed(v, 1)} for v in (0, 0.2, 0.4, 0.6, 0.8, 1)],
        "y": [{"at": round(y(v), 2), "text_y": round(y(v) + 4, 2), "label": percent(v, 0)} for v in (0, 0.5, 1)],
        "x_text_y": box["bottom"] + 14,
        "y_text_x": box["left"] - 5,
        "x_name": "Jaccard similarity s of a pair",
        "name_y": box["height"] - 3,
        "label": (
            f"Chance that a pair becomes a candidate, 1 − (1 − s^{r})^{b}, for s from 0 to 1: {percent(pair_p)} at "
            f"the pair's s = {fixed(pair_s, 2)}; steepest near s = {fixed(t, 2)}."
        ),
    }


def plural(n: int, word: str) -> str:
    return f"{integer(n)} {word}{'' if n == 1 else 's'}"


def pair(sets: list, sigs, i: int, j: int, cfg: DedupConfig) -> dict:
    """Documents i and j: exact Jaccard, MinHash's estimate, the bands that agree, candidate or not."""
    bands = sigs[[i, j]].reshape(2, cfg.n_bands, cfg.n_rows)  # [2, b r] -> [2, b, r]
    return {
        "exact": jaccard(sets[i], sets[j]),
        "estimate": minhash_jaccard(sigs[i], sigs[j]),
        "agree": int(np.all(bands[0] == bands[1], axis=1).sum()),  # bands whose r rows all agree
        "candidate": bool(lsh_candidates(sigs[[i, j]], cfg.n_bands, cfg.n_rows)),  # the same test, as LSH runs it
    }


def missed_why(facts: dict, of: str, cfg: DedupConfig) -> str:
    """Why a planted near copy got through: never a candidate, or an estimate under the threshold."""
    where = f"exact Jaccard with {of} {fixed(facts['exact'], 2)}, MinHash {fixed(facts['estimate'], 2)}: "
    if not facts["candidate"]:
        return where + f"no band of {cfg.n_rows} rows agrees, never compared"
    return where + f"a candidate, but under {fixed(cfg.threshold, 1)}"


def compute(params: dict) -> dict:
    p, notes = read_params(params)
    cfg = DedupConfig(unit=p["unit"], n=p["n"], n_bands=p["bands"], n_rows=p["rows"])
    docs, n_cut = corpus()
    docs = [*docs, {"text": p["text"], "planted": "your document", "kind": "yours"}]
    sets, sigs = signatures(cfg.unit, cfg.n, cfg.n_hashes, p["seed"], p["text"])
    names = [f"D{i + 1}" for i in range(len(docs) - 1)] + ["Yours"]

    # Stage 1: exact hashes. Stage 2: MinHash + LSH over what stage 1 kept. Stage 3: the rules.
    verdict = [None] * len(docs)
    for i, of in enumerate(exact_duplicates([d["text"] for d in docs])):
        if of >= 0:
            verdict[i] = {"stage": 0, "why": f"its normalised text hashes as {names[of]}'s does"}
    alive = [i for i in range(len(docs)) if verdict[i] is None]
    for k, fate in enumerate(near_duplicates(sigs[alive], cfg)):
        if fate["of"] >= 0:
            i, of = alive[k], alive[fate["of"]]
            verdict[i] = {
                "stage": 1,
                "why": f"near copy of {names[of]}: MinHash {fixed(fate['estimate'], 2)} "
                f"(exact {fixed(jaccard(sets[i], sets[of]), 2)})",
            }
    for i in range(len(docs)):
        if verdict[i] is None and (fails := quality_failures(docs[i]["text"])):
            verdict[i] = {"stage": 2, "why": "; ".join(rule_text(rule, value) for rule, value in fails)}

    stages = ["Exact hash", "MinHash + LSH", "Gopher's rules"]
    left, rows = len(docs), []
    for k, name in enumerate(stages):
        removed = sum(1 for v in verdict if v and v["stage"] == k)
        rows.append(
            {
                "name": name,
                "removed": integer(removed),
                "left": integer(left - removed),
                "width": css_percent((left - removed) / len(docs)),
            }
        )
        left -= removed

    listed = [
        {
            "name": names[i],
            "planted": d["planted"] if d["kind"] != "original" else f"cut from {d['planted']}",
            "excerpt": excerpt(d["text"]) or "(empty)",
            "kind": d["kind"],
            "cls": f"dpl-{d['kind']}" + (" dpl-kept" if verdict[i] is None else ""),
            "verdict": "kept"
            if verdict[i] is None
            else f"removed by {['hash', 'MinHash', 'rules'][verdict[i]['stage']]}",
            "why": verdict[i]["why"]
            if verdict[i]
            else missed_why(pair(sets, sigs, i, d["of"], cfg), names[d["of"]], cfg)
            if d["kind"] == "near"
            else "",
        }
        for i, d in enumerate(docs)
        if d["kind"] != "original" or verdict[i] is not None
    ]
    missed = sum(1 for d, v in zip(docs[:-1], verdict) if d["kind"] != "original" and v is None)

    # The reader's document against its nearest neighbour in the corpus (exact Jaccard).
    you = len(docs) - 1
    near = int(np.argmax([jaccard(sets[you], other) for other in sets[:-1]]))
    facts = pair(sets, sigs, you, near, cfg)
    stderr = math.sqrt(facts["exact"] * (1 - facts["exact"]) / cfg.n_hashes)
    if sets[you]:
        pair_text = (
            f"Yours against {names[near]}, its nearest document: exact Jaccard {fixed(facts['exact'], 3)} "
            f"({len(sets[you] & sets[near])} shared of {plural(len(sets[you] | sets[near]), 'shingle')}); MinHash "
            f"over {plural(cfg.n_hashes, 'hash function')} estimates {fixed(facts['estimate'], 3)} (standard error "
            f"± {fixed(stderr, 3)})."
        )
    else:
        pair_text = f"Your document has no {UNITS[cfg.unit]}, so no shingles: there is nothing to compare."
    signals = quality_signals(p["text"])
    passes = {rule: low <= signals[rule] <= high for rule, (low, high) in GOPHER_RULES.items()}
    return {
        "params": p,
        "readouts": {"n": str(p["n"]), "bands": str(p["bands"]), "rows": str(p["rows"])},
        "corpus_text": (
            f"{integer(len(docs))} documents: {n_cut} cut from the two addresses in texts/ (whole sentences, at "
            f"least {MIN_WORDS} words each), then {len(docs) - n_cut - 1} planted by a function seeded with "
            f"{PLANT_SEED} (3 exact copies, 3 near copies, 5 junk), and yours. Exact copies: SHA-1 of the text, "
            f"normalised. Shingles: {p['n']} "
            f"{UNITS[p['unit']]}; {cfg.n_hashes} hash functions (seed {p['seed']}) in {cfg.n_bands} bands of "
            f"{cfg.n_rows}; a candidate pair is a near copy when MinHash estimates J ≥ {fixed(cfg.threshold, 1)}."
        ),
        "stages": rows,
        "kept_text": f"{rows[-1]['left']} of {integer(len(docs))} documents kept.",
        "missed_text": (
            f"{missed} planted document{'' if missed == 1 else 's'} got through."
            if missed
            else "Every planted document was caught."
        ),
        "documents": listed,
        "yours": {
            "verdict": "kept" if verdict[you] is None else listed[-1]["verdict"],
            "why": "" if verdict[you] is None else verdict[you]["why"],
            "rules": [
                {
                    "rule": rule,
                    "value": shown(rule, signals[rule]),
                    "kept": kept_range(rule),
                    "ok": passes[rule],
                    "status": "passes" if passes[rule] else "fails",
                }
                for rule in GOPHER_RULES
            ],
        },
        "pair": {
            "with": names[near],
            **facts,
            "text": pair_text,
            "lsh_text": (
                f"Bands agreeing in all {plural(cfg.n_rows, 'row')}: {facts['agree']} of {cfg.n_bands}, "
                + ("a candidate pair." if facts["candidate"] else "not a candidate, never compared.")
            ),
        },
        "curve": s_curve(cfg.n_bands, cfg.n_rows, facts["exact"]),
        "unit_options": [{"value": k, "label": v} for k, v in UNITS.items()],
        "note": " ".join(notes) or None,
    }
