"""llm_core.bpe_merges against Hugging Face's tokenizers: SmolLM2's tokenizer, read from its GGUF file.

The reference is a `tokenizers.Tokenizer` built from the GGUF's vocabulary and merge list with the
pipeline of SmolLM2's tokenizer.json (Digits(individual_digits=True), then ByteLevel; BPE without an
unk_token), special-token text encoded as plain text. llm_core.gguf reads the metadata.
"""

import functools
import random
import re
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_core import tokenizer
from llm_core.bpe_merges import (
    PRETOKENIZERS,
    MergesEncoding,
    bytes_to_unicode,
    encoding_from_gguf_metadata,
    merge_bpe,
    token_bytes,
)
from llm_core.gguf import read_gguf
from test_tokenizer import CORPUS, EDGE_CASES, UNICODE_16_ONLY, read_corpus

# Code points that our Unicode 15.0 tables (CPython 3.12, Pyodide 0.27) leave unassigned and tokenizers
# 0.23.3 knows: its regex engine (Oniguruma) has Unicode 16.0, as tiktoken's does (test_tokenizer's
# list), and its Digits step uses Rust's char::is_numeric, which has Unicode 17.0's new digits too.
# Found by checking every code point, in context, against tokenizers' pre-tokenizers.
NEWER_UNICODE = {
    chr(cp) for lo, hi in [*UNICODE_16_ONLY, (0x11DE0, 0x11DE9), (0x16FF4, 0x16FF6)] for cp in range(lo, hi + 1)
}
# Fragments that reach every branch: digits of all kinds (Nd, No, Nl), white space runs, contractions
# with a case partner (ſ), emoji sequences, combining marks, CJK, bytes SmolLM2 has no token for
# (\x04, \x1d, the F1 that starts plane 4), special-token text.
FRAGMENTS = [
    "0",
    "7",
    "12",
    "٣",
    "²",
    "Ⅻ",
    "𝟏",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\u00a0",
    "\u3000",
    "\x0b",
    "\x85",
    "\u2028",
    "'",
    "'s",
    "'S",
    "'LL",
    "'ll",
    "'ve",
    "'ſ",
    "'d",
    "it",
    "IT",
    "Straße",
    "é",
    "e\u0301",
    "\u0301",
    "👍🏽",
    "👨‍👩‍👧",
    "🇯🇵",
    "1️⃣",
    "日本語",
    "한국어",
    "ไทย",
    "مرحبا",
    "!!",
    "...",
    "\x04",
    "\x1d",
    "\U00040000",
    "<|im_end|>",
    "<|im_start|>",
    "<|endoftext|>",
    "\ufffd",
    "\ue000",
]
ALPHABET = st.characters(exclude_categories=("Cs",)).filter(lambda c: c not in NEWER_UNICODE)
TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), ALPHABET), max_size=30).map("".join)
FEW = settings(max_examples=300, deadline=None, database=None)


@functools.cache
def smollm2_metadata(path: Path) -> dict:
    """A GGUF file's metadata, read by llm_core.gguf (cached: test_chat.py reads it too)."""
    return read_gguf(path).metadata


def hugging_face_pre_tokenizer(pre: str):
    """The Hugging Face pre-tokenizer for a tokenizer.ggml.pre name, as the models' tokenizer.json has it."""
    from tokenizers import Regex, pre_tokenizers

    if pre in ("smollm", "starcoder"):
        return pre_tokenizers.Sequence(
            [
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
            ]
        )
    if pre == "gpt-2":
        return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    # Llama 3, Qwen2: the regex as a Split, then ByteLevel only maps bytes
    return pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZERS[pre][0]), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )


def hugging_face_tokenizer(metadata: dict, ignore_merges: bool = False):
    """A tokenizers.Tokenizer with the vocabulary, merges and pre-tokenizer of GGUF metadata, its BPE model
    set up as SmolLM2's tokenizer.json has it (no unk_token, no byte fallback), control tokens added."""
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import AddedToken, decoders, models

    tokens, types = metadata["tokenizer.ggml.tokens"], metadata["tokenizer.ggml.token_type"]
    vocab = {t: i for i, t in enumerate(tokens)}
    merges = [tuple(m.split(" ")) for m in metadata["tokenizer.ggml.merges"]]
    ref = tokenizers.Tokenizer(models.BPE(vocab, merges, ignore_merges=ignore_merges))
    ref.pre_tokenizer = hugging_face_pre_tokenizer(metadata["tokenizer.ggml.pre"])
    ref.decoder = decoders.ByteLevel()
    ref.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False) for i in np.flatnonzero(types != 1)])
    return ref


def kept_bytes(enc: MergesEncoding, text: str) -> bytes:
    """The text's bytes without those that have no token (encode drops them)."""
    return bytes(b for b in text.encode() if enc.start_parts(bytes([b])))


@pytest.fixture(scope="module")
def metadata(smollm2_gguf) -> dict:
    return smollm2_metadata(smollm2_gguf)


@pytest.fixture(scope="module")
def smollm2(metadata) -> MergesEncoding:
    return encoding_from_gguf_metadata(metadata)


@pytest.fixture(scope="module")
def reference(metadata):
    ref = hugging_face_tokenizer(metadata)
    ref.encode_special_tokens = True  # "<|im_end|>" in the text is text, as in our encode
    return ref


# -- ids equal to Hugging Face's ------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_matches_hugging_face(path, smollm2, reference):
    text = read_corpus(path)
    ids = smollm2.encode(text)
    assert ids == reference.encode(text, add_special_tokens=False).ids
    lines = text.splitlines(keepends=True)
    expected = [e.ids for e in reference.encode_batch(lines, add_special_tokens=False)]
    assert [smollm2.encode(line) for line in lines] == expected
    assert smollm2.decode_bytes(ids) == kept_bytes(smollm2, text)
    if kept_bytes(smollm2, text) == text.encode():  # all but whitespace.txt, which has \x1d
        assert smollm2.decode(ids) == text == reference.decode(ids)


MORE_EDGE_CASES = [
    "a\x04b",
    "ab\x1dcd",
    "x  1",
    " 1 2  3\n4",
    "1's",
    "'1",
    "x \t7",
    "1" * 500,
    " " * 5000,
    "a" * 3000 + "1",
    "<|im_end|><|im_start|>",
]


@pytest.mark.parametrize("text", EDGE_CASES + MORE_EDGE_CASES)
def test_edge_cases_match_hugging_face(text, smollm2, reference):
    clean = tokenizer.without_surrogates(text)  # Hugging Face's Rust strings cannot hold lone surrogates
    ids = smollm2.encode(text)
    assert ids == reference.encode(clean, add_special_tokens=False).ids
    assert smollm2.decode_bytes(ids) == kept_bytes(smollm2, clean)


def test_generated_text_matches_hugging_face(smollm2, reference):
    @FEW
    @given(TEXT)
    def check(text):
        ids = smollm2.encode(text)
        assert ids == reference.encode(text, add_special_tokens=False).ids
        assert smollm2.decode_bytes(ids) == kept_bytes(smollm2, text)
        if kept_bytes(smollm2, text) == text.encode():
            assert smollm2.decode(ids) == text

    check()


def test_bytes_without_a_token_are_dropped_before_merging(smollm2, reference):
    # 0x04 has no token: Hugging Face drops it, and its neighbours in the piece merge across the gap
    assert smollm2.pretokenize(".\x04.") == [".\x04."]
    assert smollm2.encode(".\x04.") == smollm2.encode("..") == reference.encode(".\x04.").ids
    assert len(smollm2.encode("..")) == 1 and smollm2.encode("\x04") == []
    # U+40000 is F1 80 80 80 in UTF-8: its lead byte has no token, its continuation bytes do
    assert smollm2.decode_bytes(smollm2.encode("a\U00040000b")) == b"a\x80\x80\x80b"


# -- the pre-tokenizers --------------------------------------------------------------------------


@pytest.mark.parametrize("pre", sorted(PRETOKENIZERS))
def test_pretokenizers_match_hugging_face(pre):
    """Every supported tokenizer.ggml.pre splits text as its Hugging Face pipeline does."""
    pytest.importorskip("tokenizers")
    reference = hugging_face_pre_tokenizer(pre)
    enc = MergesEncoding(pre, PRETOKENIZERS[pre][0], {}, {}, {})

    def split(text):
        return [text[a:b] for _, (a, b) in reference.pre_tokenize_str(text)]

    for text in [read_corpus(p) for p in CORPUS] + [tokenizer.without_surrogates(t) for t in EDGE_CASES]:
        assert enc.pretokenize(text) == split(text)

    @FEW
    @given(TEXT)
    def check(text):
        assert enc.pretokenize(text) == split(text)

    check()


def toy_metadata(pre: str) -> dict:
    """A GGUF-style tokenizer: a control token, the 256 bytes, "bc", "abc", "ab"; the merge list never
    builds "abc"."""
    tokens = ["<|end|>", *bytes_to_unicode().values(), "bc", "abc", "ab"]
    return {
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": pre,
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.token_type": np.array([3] + [1] * (len(tokens) - 1), dtype=np.int32),
        "tokenizer.ggml.merges": ["b c", "a b"],
    }


@pytest.mark.parametrize("pre, whole", [("llama-bpe", True), ("llama3", True), ("qwen2", False), ("smollm", False)])
def test_ignore_merges_takes_a_whole_token(pre, whole):
    metadata = toy_metadata(pre)
    enc = encoding_from_gguf_metadata(metadata)
    ids = enc.encode("abc")
    assert (ids == [metadata["tokenizer.ggml.tokens"].index("abc")]) == whole
    if not whole:
        assert enc.decode_tokens_bytes(ids) == [b"a", b"bc"]  # b+c is listed first; a+bc never
    ref = hugging_face_tokenizer(metadata, ignore_merges=whole)
    for text in ["abc", "xabc abc", "ab 12345 abcabc"]:
        assert enc.encode(text) == ref.encode(text).ids


# -- the merge loop ------------------------------------------------------------------------------


def naive_merge(merge_ranks, parts):
    """The rule, spelled out: merge the leftmost lowest-ranked listed pair until none is listed."""
    parts = list(parts)
    while True:
        ranks = [merge_ranks.get(pair) for pair in zip(parts, parts[1:])]
        if all(r is None for r in ranks):
            return parts
        i = ranks.index(min(r for r in ranks if r is not None))
        parts[i : i + 2] = [parts[i] + parts[i + 1]]


def test_merge_bpe_equals_the_naive_rule():
    @FEW
    @given(st.integers(0, 2**32), st.integers(0, 40), st.floats(0, 1))
    def check(seed, n, keep):
        rng = random.Random(seed)
        piece = bytes(rng.choice(b"abc") for _ in range(n))
        # candidate merges: every split of every substring of up to 6 bytes, in a random order
        tokens = {piece[i:j] for i in range(n) for j in range(i + 2, min(n, i + 6) + 1)}
        pairs = sorted((t[:k], t[k:]) for t in tokens for k in range(1, len(t)))
        rng.shuffle(pairs)
        merge_ranks = {pair: rank for rank, pair in enumerate(pairs[: round(keep * len(pairs))])}
        steps = []
        parts = merge_bpe(merge_ranks, [bytes([b]) for b in piece], steps)
        assert parts == naive_merge(merge_ranks, [bytes([b]) for b in piece])
        assert b"".join(parts) == piece and (not steps or steps[-1]["parts"] == parts)

    check()


def test_merge_order_is_the_lists_not_the_token_ranks():
    # tiktoken's rule (tokenizer.bpe) merges by the rank of the concatenation: "ab" (3) before "bc" (4);
    # the merge list says b+c first, and then nothing joins "a" and "bc"
    ranks = {b"a": 0, b"b": 1, b"c": 2, b"ab": 3, b"bc": 4}
    assert tokenizer.bpe(ranks, b"abc") == [b"ab", b"c"]
    assert merge_bpe({(b"b", b"c"): 0, (b"a", b"b"): 1}, [b"a", b"b", b"c"]) == [b"a", b"bc"]


def test_long_pieces_are_not_quadratic(smollm2):
    text = " " * 20_000 + "a" * 20_000
    start = time.perf_counter()
    ids = smollm2.encode(text)
    assert time.perf_counter() - start < 3  # ~0.3 s; a quadratic merge loop takes minutes
    assert smollm2.decode(ids) == text


def test_trace_replays_to_the_ids(smollm2):
    ranks = smollm2.merge_ranks
    text = "".join(read_corpus(p)[:800] for p in CORPUS) + " SmolLM's 2nd try, 1234!"
    trace = smollm2.encode_with_trace(text)
    assert [i for t in trace for i in t["ids"]] == smollm2.encode(text)
    assert [t["text"] for t in trace] == smollm2.pretokenize(text)
    for t in trace:
        assert t["bytes"] == t["text"].encode() and not t["whole"]
        parts = smollm2.start_parts(t["bytes"])
        for step in t["steps"]:
            # each step merges the leftmost of the lowest-ranked listed pairs
            pair_ranks = [ranks.get(pair) for pair in zip(parts, parts[1:])]
            lowest = min(r for r in pair_ranks if r is not None)
            i = pair_ranks.index(lowest)
            assert (step["rank"], step["left"], step["right"]) == (lowest, parts[i], parts[i + 1])
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
            assert step["parts"] == parts
        assert all(pair not in ranks for pair in zip(parts, parts[1:]))  # merging stopped: nothing listed
        assert t["ids"] == [smollm2.mergeable_ranks[p] for p in parts]


# -- the vocabulary, special tokens and errors ---------------------------------------------------


def test_byte_alphabet():
    table = bytes_to_unicode()
    assert len(set(table.values())) == 256
    assert all(c.isprintable() and not c.isspace() for c in table.values())
    assert (table[ord(" ")], table[ord("\n")], table[0], table[ord("a")]) == ("Ġ", "Ċ", "Ā", "a")
    assert token_bytes("Ġthe") == b" the" and token_bytes("Ã©") == "é".encode()
    with pytest.raises(ValueError, match="alphabet"):
        token_bytes("a b")


def test_special_tokens_and_vocabulary(smollm2, metadata):
    assert smollm2.n_vocab == len(metadata["tokenizer.ggml.tokens"]) == 49152
    assert smollm2.name == "smollm2"
    special = smollm2.special_tokens
    assert (special["<|endoftext|>"], special["<|im_start|>"], special["<|im_end|>"]) == (0, 1, 2)
    assert len(special) == 17 and special["<empty_output>"] == 16
    assert smollm2.decode([1, 2, 0]) == "<|im_start|><|im_end|><|endoftext|>"
    for text in special:
        ids = smollm2.encode(text)
        assert not set(ids) & set(special.values()) and smollm2.decode(ids) == text
    assert smollm2.encode("Hello world! 123") == [19556, 905, 17, 216, 33, 34, 35]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"tokenizer.ggml.model": "llama"}, "'llama' is not supported"),
        ({"tokenizer.ggml.pre": "deepseek-llm"}, "pre-tokenizer 'deepseek-llm' is not implemented"),
        ({"tokenizer.ggml.pre": None}, "pre-tokenizer None"),
        ({"tokenizer.ggml.merges": ["b c", "a b", "b c"]}, "names a pair twice"),
        ({"tokenizer.ggml.merges": ["a zz"]}, "merge 0 ('a zz')"),
        ({"tokenizer.ggml.merges": ["a c"]}, "merge 0 ('a c')"),
        ({"tokenizer.ggml.token_type": np.array([6] * 260, dtype=np.int32)}, "token type 6"),
        ({"tokenizer.ggml.token_type": np.ones(3, dtype=np.int32)}, "3 token types for 260 tokens"),
    ],
)
def test_unsupported_metadata_is_named(change, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        encoding_from_gguf_metadata({**toy_metadata("qwen2"), **change})


def test_missing_keys_and_foreign_tokens_are_named():
    metadata = toy_metadata("smollm")
    del metadata["tokenizer.ggml.merges"]
    with pytest.raises(ValueError, match="no 'tokenizer.ggml.merges'"):
        encoding_from_gguf_metadata(metadata)
    metadata = toy_metadata("smollm")
    metadata["tokenizer.ggml.tokens"] = metadata["tokenizer.ggml.tokens"][:-1] + ["a b"]
    with pytest.raises(ValueError, match="not in GPT-2's byte-level alphabet"):
        encoding_from_gguf_metadata(metadata)
