"""llm_core.bpe_train: hand-worked merges, the tie rule, determinism, round trips and the limits."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_core.bpe_train import MAX_VOCAB_SIZE, merge, pair_counts, train
from llm_core.tokenizer import R50K_PAT_STR, bpe

CORPUS = Path(__file__).resolve().parent / "corpus"
ROOT = Path(__file__).resolve().parents[2]


def english(n_chars: int) -> str:
    return (CORPUS / "english_moby_dick_1.txt").read_bytes().decode("utf-8")[:n_chars]


def summary(merges: list[dict]) -> list[tuple]:
    return [(m["left"], m["right"], m["count"]) for m in merges]


def test_helpers():
    assert pair_counts([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert pair_counts([5, 5, 5], weight=3) == {(5, 5): 6}
    assert merge([1, 2, 3, 1, 2], (1, 2), 4) == [4, 3, 4]
    assert merge([5, 5, 5], (5, 5), 6) == [6, 5]


def test_hand_worked_example():
    # The classic example (Gage 1994; Wikipedia "Byte pair encoding"), one pre-token "aaabdaaabac":
    #   pairs: aa 4 (overlapping runs count each pair), ab 2, bd da ba ac 1  -> merge a+a = aa (256)
    #   aa a b d aa a b a c:  aa+a 2, a+b 2, ...  tie at 2: left b"a" < b"aa"   -> merge a+b = ab (257)
    #   aa ab d aa ab a c:    aa+ab 2, the rest 1                              -> merge aa+ab = aaab (258)
    #   aaab d aaab a c:      every pair occurs once: training stops early, 3 merges, not 44.
    enc, merges = train("aaabdaaabac", 300)
    assert summary(merges) == [(b"a", b"a", 4), (b"a", b"b", 2), (b"aa", b"ab", 2)]
    assert [m["rank"] for m in merges] == [256, 257, 258]
    assert [m["merged"] for m in merges] == [b"aa", b"ab", b"aaab"]
    assert enc.encode("aaabdaaabac") == [258, ord("d"), 258, ord("a"), ord("c")]
    assert enc.n_vocab == 259


def test_hand_worked_example_with_pre_tokens():
    # "low low lower lowest" splits into "low", " low", " lower", " lowest" (each once), so pairs never
    # cross a space-word boundary:  l+o 4, o+w 4, " "+l 3, w+e 2, e+r e+s s+t 1.
    #   tie at 4: b"l" < b"o"        -> l+o = lo (256)
    #   lo+w 4                       -> lo+w = low (257)
    #   " "+low 3                    -> " low" (258)
    #   " low"+e 2 (was w+e)         -> " lowe" (259);  then every pair occurs once: stop.
    enc, merges = train("low low lower lowest", 1000)
    assert summary(merges) == [(b"l", b"o", 4), (b"lo", b"w", 4), (b" ", b"low", 3), (b" low", b"e", 2)]
    assert enc.encode(" lowest") == [259, ord("s"), ord("t")]


def test_ties_go_to_the_pair_that_sorts_first():
    # "ab", " ab", " ba", " ba": a+b 2, " "+b 2, b+a 2, " "+a 1. Byte order: b" " < b"a" < b"b".
    #   " "+b (256); then " b"+a 2 and a+b 2: b" b" < b"a" -> " ba" (257); then a+b (258); stop.
    enc, merges = train("ab ab ba ba", 1000)
    assert summary(merges) == [(b" ", b"b", 2), (b" b", b"a", 2), (b"a", b"b", 2)]


def test_deterministic_across_runs_and_hash_seeds():
    text = english(6000)
    first = train(text, 400)[1]
    assert train(text, 400)[1] == first
    script = (
        "import json, sys; from llm_core.bpe_train import train; "
        "print(json.dumps([m['merged'].hex() for m in train(sys.stdin.read(), 400)[1]]))"
    )
    outs = set()
    for seed in ("1", "2"):
        run = subprocess.run(
            [sys.executable, "-c", script],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
            check=True,
            encoding="utf-8",
        )
        outs.add(run.stdout)
    assert len(outs) == 1
    assert json.loads(outs.pop()) == [m["merged"].hex() for m in first]


def test_round_trip_and_merges_in_rank_order():
    text = english(20_000)
    enc, merges = train(text, 512)
    assert len(merges) == 256 and enc.n_vocab == 512
    assert [m["rank"] for m in merges] == list(range(256, 512))
    assert all(m["merged"] == m["left"] + m["right"] for m in merges)
    assert all(enc.mergeable_ranks[m["merged"]] == m["rank"] for m in merges)
    counts = [m["count"] for m in merges]
    assert counts == sorted(counts, reverse=True)  # a merge never makes a pair more frequent
    for sample in [text, "Unseen: 日本語, emoji 👨‍👩‍👧, Ωmega, tabs\t\r\n", "", " " * 50]:
        assert enc.decode(enc.encode(sample)) == sample
    assert len(enc.encode(text)) < len(text.encode()) / 2  # it did learn something


def naive_train(text: str, vocab_size: int) -> list[bytes]:
    """The reference: recount every pair of every pre-token after each merge (minbpe's RegexTokenizer)."""
    enc, _ = train("", 256)  # only for its pretokenize
    words = [list(chunk.encode()) for chunk in enc.pretokenize(text)]
    vocab = [bytes([b]) for b in range(256)]
    while len(vocab) < vocab_size:
        counts = {}
        for w in words:
            for pair in zip(w, w[1:]):
                counts[pair] = counts.get(pair, 0) + 1
        if not counts or max(counts.values()) < 2:
            break
        pair = min(counts, key=lambda p: (-counts[p], vocab[p[0]], vocab[p[1]]))
        vocab.append(vocab[pair[0]] + vocab[pair[1]])
        words = [merge(w, pair, len(vocab) - 1) for w in words]
    return vocab[256:]


@pytest.mark.parametrize("path", ["english_moby_dick_2.txt", "code_python.txt", "cjk.txt", "emoji.txt"])
def test_incremental_counts_equal_recounting(path):
    text = (CORPUS / path).read_bytes().decode("utf-8")[:3000]
    assert [m["merged"] for m in train(text, 360)[1]] == naive_train(text, 360)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name)
def test_encode_applies_the_merges_in_the_order_learned(path):
    # Replaying the merges in rank order, each on every occurrence (what training did to its text),
    # gives the same tokens as encode (lowest rank first, one pair at a time) on every pre-token.
    text = path.read_bytes().decode("utf-8")[:4000]
    enc, merges = train(text, 400)
    ranks = enc.mergeable_ranks
    for chunk in set(enc.pretokenize(text)):
        ids = list(chunk.encode())
        for m in merges:
            ids = merge(ids, (ranks[m["left"]], ranks[m["right"]]), m["rank"])
        assert ids == enc.encode(chunk), chunk
    for t in enc.encode_with_trace(text[:1000]):
        assert all(merges[s["rank"] - 256]["merged"] == s["left"] + s["right"] for s in t["steps"])
    assert all(bpe(ranks, m["merged"]) == [m["merged"]] for m in merges)  # every token is reachable


def test_256_means_bytes():
    text = "héllo wörld 👋"
    enc, merges = train(text * 3, 256)
    assert merges == [] and enc.n_vocab == 256
    assert enc.encode(text) == list(text.encode("utf-8"))
    assert enc.decode(enc.encode(text)) == text


def test_stops_early_when_no_pair_occurs_twice():
    # "ab" once and " ab" twice: a+b 3 -> ab; " "+ab 2 -> " ab"; then no pair at all
    enc, merges = train("ab ab ab", 1000)
    assert summary(merges) == [(b"a", b"b", 3), (b" ", b"ab", 2)]
    assert enc.n_vocab == 258 < 1000
    assert train("abcdefg", 300)[1] == []  # every pair once
    assert train("", 300)[1] == []


@pytest.mark.parametrize("vocab_size", [-1, 0, 255, MAX_VOCAB_SIZE + 1, 10**6])
def test_vocab_size_out_of_range(vocab_size):
    with pytest.raises(ValueError, match=f"between 256 and {MAX_VOCAB_SIZE}"):
        train("some text", vocab_size)


def test_custom_pattern_and_name():
    enc, merges = train("it's it's it's", 300, pat_str=R50K_PAT_STR, name="gpt2-style")
    assert enc.name == "gpt2-style" and enc.pat_str == R50K_PAT_STR
    assert enc.pretokenize("it's") == ["it", "'s"]


@settings(max_examples=40, deadline=None, database=None)
@given(st.text(max_size=200), st.text(max_size=60), st.integers(256, 320))
def test_round_trip_on_generated_text(train_text, test_text, vocab_size):
    enc, merges = train(train_text, vocab_size)
    assert len(merges) <= vocab_size - 256
    assert enc.decode(enc.encode(test_text)) == test_text
