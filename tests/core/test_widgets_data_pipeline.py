"""The data pipeline widget (chapter 22), computed in CPython.

Its stages are recomputed here with llm_core.data_pipeline's functions called directly (and its pair by
exact Jaccard and a naive band check), its planted documents checked to be what the figure says, and the
numbers chapters/22-training-at-scale.md quotes about it recomputed and looked for in the text.
"""

from pathlib import Path

import numpy as np
import pytest

from llm_core.data_pipeline import (
    candidate_probability,
    document_hash,
    exact_duplicates,
    hash_functions,
    jaccard,
    lsh_threshold,
    minhash,
    minhash_jaccard,
    mixture_plan,
    quality_failures,
    shingle_ids,
    shingles,
)
from widget_loader import load_widget, run

ROOT = Path(__file__).resolve().parents[2]
PROSE = " ".join((ROOT / "chapters" / "22-training-at-scale.md").read_text(encoding="utf-8").split())

dp = load_widget("data_pipeline")


def quoted(text: str) -> bool:
    return text in PROSE


def docs_and_yours(text):
    docs, n_cut = dp.corpus()
    return [d["text"] for d in docs] + [text], n_cut


@pytest.mark.parametrize("params", [{}, *dp.EXAMPLES])
def test_stages_recomputed_by_hand(params):
    r = run(dp, **params)
    p = r["params"]
    texts, _ = docs_and_yours(p["text"])
    exact = sum(of >= 0 for of in exact_duplicates(texts))
    assert r["stages"][0]["removed"] == str(exact)
    removed = [int(s["removed"]) for s in r["stages"]]
    assert int(r["stages"][-1]["left"]) == len(texts) - sum(removed)
    # the rules run last, on what the two dedup stages kept: every document they removed breaks a rule
    by_rules = [d for d in r["documents"] if d["verdict"] == "removed by rules"]
    assert len(by_rules) == removed[2]
    names = {f"D{i + 1}": t for i, t in enumerate(texts[:-1])} | {"Yours": texts[-1]}
    assert all(quality_failures(names[d["name"]]) for d in by_rules)


@pytest.mark.parametrize("params", [{}, *dp.EXAMPLES])
def test_pair_by_hand(params):
    r = run(dp, **params)
    p = r["params"]
    texts, _ = docs_and_yours(p["text"])
    sets = [shingles(t, p["n"], p["unit"]) for t in texts]
    sims = [jaccard(sets[-1], s) for s in sets[:-1]]
    near = int(np.argmax(sims))
    assert r["pair"]["with"] == f"D{near + 1}" and r["pair"]["exact"] == sims[near]
    coeffs = hash_functions(p["bands"] * p["rows"], np.random.default_rng(p["seed"]))
    a, b = (minhash(shingle_ids(s), coeffs) for s in (sets[-1], sets[near]))
    assert r["pair"]["estimate"] == minhash_jaccard(a, b)
    k = p["rows"]
    agree = sum(np.array_equal(a[i * k : (i + 1) * k], b[i * k : (i + 1) * k]) for i in range(p["bands"]))
    assert r["pair"]["agree"] == agree and r["pair"]["candidate"] == (agree > 0)


def test_planted_documents_are_what_the_figure_says():
    docs, n_cut = dp.corpus()
    planted = docs[n_cut:]
    assert [d["kind"] for d in planted] == ["copy"] * 3 + ["near"] * 3 + ["junk"] * 5
    for d in planted[:3]:
        source = int(d["planted"].split("D")[1]) - 1
        assert document_hash(d["text"]) == document_hash(docs[source]["text"])
    for d, share in zip(planted[3:6], (0.02, 0.06, 0.15)):
        original = docs[d["of"]]["text"].split(" ")
        body = d["text"].split("\n")[0].split(" ")
        changed = sum(x != y for x, y in zip(original, body))
        assert len(body) == len(original) and 0 < changed <= round(share * len(original))
    assert all(quality_failures(d["text"]) for d in planted[6:])
    assert not any(quality_failures(d["text"]) for d in docs[:n_cut])  # the addresses pass every rule
    assert dp.corpus() == dp.corpus()  # the same planted documents every time (a fixed seed)


def test_curve_by_hand():
    r = run(dp)
    t = lsh_threshold(16, 8)
    assert r["curve"]["threshold"]["label"].endswith(f"{t:.2f}")
    c = r["curve"]
    p = candidate_probability(r["pair"]["exact"], 16, 8)
    assert c["marker"]["cy"] == pytest.approx(c["bottom"] - p * (c["bottom"] - c["top"]), abs=0.01)


def test_controls_are_clamped_and_bad_values_refused():
    r = run(dp, bands=99, rows=0, n=40, seed=-3)
    assert (r["params"]["bands"], r["params"]["rows"], r["params"]["n"], r["params"]["seed"]) == (32, 1, 12, 0)
    r = run(dp, text="x" * 9000)
    assert "5,000" in r["note"] and len(r["params"]["text"]) == 5000
    for bad, word in [({"unit": "token"}, "shingles"), ({"text": 3}, "document"), ({"bands": "many"}, "bands")]:
        with pytest.raises(ValueError, match=word):
            dp.compute(bad)


def test_a_pasted_copy_is_removed_by_the_hash():
    docs, _ = dp.corpus()
    r = run(dp, text=docs[4]["text"].upper())
    assert r["yours"]["verdict"] == "removed by hash" and r["yours"]["why"] == "its normalised text hashes as D5's does"


# -- the numbers chapters/22-training-at-scale.md quotes --------------------------------------------------


def test_chapter_s_curve_numbers():
    assert f"{lsh_threshold(16, 8):.2f}" == "0.71" and quoted("With 16 bands of 8 rows that is 0.71")
    shown = [f"{100 * candidate_probability(s, 16, 8):.{d}f}%" for s, d in ((0.9, 2), (0.5, 1), (0.3, 1))]
    assert shown == ["99.99%", "6.1%", "0.1%"]
    assert quoted("a pair at $s = 0.9$ is a candidate 99.99% of the time, one at $s = 0.5$ only 6.1%, and one at")
    assert quoted("$s = 0.3$ 0.1%")


def test_chapter_gopher_thresholds():
    from llm_core.data_pipeline import GOPHER_RULES

    assert GOPHER_RULES["word count"] == (50, 100_000) and quoted("between 50 and 100,000 words")
    assert GOPHER_RULES["mean word length"] == (3, 10) and quoted("a mean word length between 3 and 10 characters")
    assert GOPHER_RULES["# per word"] == GOPHER_RULES["ellipses per word"] == (0, 0.1)
    assert quoted('at most one "#" and one ellipsis per ten words')
    assert (
        GOPHER_RULES["lines starting with a bullet"][1] == 0.9 and GOPHER_RULES["lines ending in an ellipsis"][1] == 0.3
    )
    assert quoted("at most 90% of its lines starting with a bullet and 30% ending in an ellipsis")
    assert GOPHER_RULES["words with a letter"][0] == 0.8 and GOPHER_RULES["stop words"][0] == 2
    assert quoted("least 80% of its words containing a letter, and at least two of the stop words")


def test_chapter_widget_numbers():
    r = run(dp)
    docs, n_cut = dp.corpus()
    assert (len(docs) + 1, n_cut, len(docs) - n_cut) == (33, 21, 11)
    assert quoted("The corpus holds 33 documents: 21 cut from the two addresses")
    assert quoted("11 planted, and yours")
    assert [s["removed"] for s in r["stages"]] == ["3", "2", "5"] and r["stages"][-1]["left"] == "23"
    assert quoted("The hash removes the 3 exact copies") and quoted("MinHash and LSH remove 2")
    assert quoted("Gopher's rules remove the 5 junk documents, and 23 are kept")
    removed = {d["planted"].split(" ")[0] for d in r["documents"] if d["verdict"] == "removed by MinHash"}
    assert removed == {"2%", "your"} and quoted("the copy with 2% of its words swapped and yours")
    kept = [d for d in r["documents"] if d["kind"] == "near" and d["verdict"] == "kept"]
    assert [d["planted"].split(" ")[0] for d in kept] == ["6%", "15%"] and quoted("Two planted near copies get through")
    assert kept[0]["why"].startswith("exact Jaccard with D10 0.52") and quoted(
        "shares only 0.52 of its 5-word shingles"
    )
    pair = r["pair"]
    assert (pair["with"], f"{pair['estimate']:.3f}", f"{pair['exact']:.3f}") == ("D14", "0.805", "0.816")
    assert quoted("MinHash over 128 hash functions estimates 0.805 against D14, the original (exact Jaccard 0.816)")
    assert pair["candidate"] and r["yours"]["verdict"] == "removed by MinHash"
    assert not run(dp, rows=16)["pair"]["candidate"] and quoted("Set rows per band to 16: no band of 16 rows agrees")
    caught = run(dp, unit="char")["documents"]
    assert next(d for d in caught if d["planted"].startswith("6%"))["verdict"] == "removed by MinHash"
    assert quoted("Switch shingles to characters and the copy with 6% of its words swapped is caught too")


def test_chapter_mixture_numbers():
    plan = mixture_plan([2e12, 10e9, 50e9], [0.7, 0.1, 0.2], 1e12)  # web, textbooks, the rest, in a 1T-token run
    assert plan["epochs"][:2].tolist() == pytest.approx([0.35, 10.0])
    assert quoted("a 2T-token web crawl given 70% is read 0.35 times")
    assert quoted("10B-token collection of textbooks given 10% is read 10 times over")
