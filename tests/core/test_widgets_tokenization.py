"""The tokenization chapter's widgets, computed in CPython: tokenizer_compare, bpe_stepper, bpe_train.

Token ids are checked for exact equality with llm_core's own encode (which tests/core checks against
tiktoken; SmolLM2's tokenizer file against the GGUF's tokenizer, which tests/core checks against Hugging
Face's tokenizers); the display rules, limits, clamping and bad-input messages are checked by hand-worked
cases.
"""

import json
from pathlib import Path

import pytest
from widgetlib.fmt import fixed, integer

from llm_core.bpe_merges import load_merges_encoding
from llm_core.bpe_train import train
from llm_core.tokenizer import get_encoding, render_token
from widget_loader import load_widget

ENCODINGS = ["o200k_base", "cl100k_base", "r50k_base"]
SMOLLM2 = "SmolLM2"  # the fourth encoding of tokenizer_compare: SmolLM2's merges, from the build's data file


compare = load_widget("tokenizer_compare")
stepper = load_widget("bpe_stepper")
trainer = load_widget("bpe_train")
ALL = [compare, stepper, trainer]

# Text that has tripped tokenizers: emoji sequences, combining marks, right-to-left scripts, controls.
AWKWARD = {
    "zwj_family": "\U0001f469\u200d\U0001f469\u200d\U0001f467 family",
    "skin_tones": "👍🏽👋🏿 ok",
    "flag": "🇳🇱 and 🏳️‍🌈",
    "combining": "e\u0301 a\u0308\u0323 Z\u0351\u0334\u0330",
    "rtl": "مرحبا بالعالم and שלום עולם",
    "bidi_marks": "abc\u200f\u202edef\u202c",
    "controls": "a\x00b\x1b[31mred\x7f\x1f\x0b",
    "newlines": "one\r\ntwo\n\n\nthree\rfour\u2028five",
    "spaces": "tab\there\u00a0nbsp\u3000wide    four",
    "cjk": "你好世界、こんにちは、안녕하세요",
    "digits": "1234567890 3.14159 ١٢٣",
}


def as_plain_json(result: dict) -> dict:
    """The result survives strict JSON (no NaN, no bytes, no tuples) unchanged."""
    text = json.dumps(result, allow_nan=False)
    assert json.loads(text) == result
    return result


def seg_text(segs: list) -> str:
    return "".join(text for _, text in segs)


def glued(merge: dict) -> bool:
    """The merged token reads as left + right (checkable only when all three are whole characters)."""
    parts = [merge["left"], merge["right"], merge["merged"]]
    if any(kind == "x" for segs in parts for kind, _ in segs):
        return True
    return seg_text(merge["merged"]) == seg_text(merge["left"]) + seg_text(merge["right"])


# -- every widget --------------------------------------------------------------------------------


def encoding(name: str):
    """The reference for one of tokenizer_compare's encodings, loaded here (not through the widget)."""
    return load_merges_encoding("models/smollm2/tokenizer.json") if name == SMOLLM2 else get_encoding(name)


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
def test_data_files_are_vocabularies(widget):
    tokenizers = {"models/smollm2/tokenizer.json"} if widget is compare else set()
    assert all(path.startswith("vocab/") and path.endswith(".tiktoken") or path in tokenizers for path in widget.DATA)


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
def test_deterministic(widget):
    assert widget.compute(dict(widget.DEFAULTS)) == widget.compute(dict(widget.DEFAULTS))


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
@pytest.mark.parametrize("bad", [None, 42, 3.5, ["a"], {"a": 1}, b"bytes"])
def test_non_string_text_is_rejected(widget, bad):
    with pytest.raises(ValueError, match="string"):
        widget.compute({"text": bad})


# -- display rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, shown, expected",
    [
        (b"Hello", True, [["t", "Hello"]]),
        (b" hi", True, [["w", "·"], ["t", "hi"]]),
        (b" hi", False, [["t", " hi"]]),
        (b"\t\n", True, [["w", "→↵"]]),
        (b"\t\n", False, [["t", "\t"]]),  # the line break is drawn after the chip
        (b"\xf0\x9f", True, [["x", "<F0 9F>"]]),  # the first half of an emoji
        (b"\x98\x80", True, [["x", "<98 80>"]]),  # and the rest of it
        (b" \xf0\x9f\x98", True, [["w", "·"], ["x", "<F0 9F 98>"]]),
        (b"\xc3\xa9t\xc3", True, [["t", "ét"], ["x", "<C3>"]]),
        (b"\xcc\x81", True, [["w", "◌"], ["t", "\u0301"]]),  # a combining mark with nothing to sit on
        (b"e\xcc\x81", True, [["t", "e\u0301"]]),
        (b"\x00\x1b\x7f", False, [["w", "␀␛␡"]]),  # control characters are always made visible
        (b"\xe2\x80\x8d", True, [["w", "⟨U+200D⟩"]]),  # zero-width joiner
        (b"\xc2\xa0", True, [["w", "␣"]]),  # no-break space
    ],
)
def test_render_token(data, shown, expected):
    assert render_token(data, shown) == expected


# -- tokenizer_compare --------------------------------------------------------------------------


@pytest.mark.parametrize("text", [compare.DEFAULTS["text"], *AWKWARD.values()], ids=["default", *AWKWARD])
@pytest.mark.parametrize("show_whitespace", [True, False])
def test_compare_ids_equal_encode(text, show_whitespace):
    result = as_plain_json(compare.compute({"text": text, "show_whitespace": show_whitespace}))
    assert [e["name"] for e in result["encodings"]] == [*ENCODINGS, SMOLLM2]
    assert result["n_chars"] == len(text)
    assert result["n_bytes"] == len(text.encode("utf-8"))
    for e in result["encodings"]:
        enc = encoding(e["name"])
        ids = [chip["id"] for chip in e["tokens"]]
        assert ids == enc.encode(text)
        assert e["n_tokens"] == len(ids)
        assert e["chars_per_token"] == round(len(text) / len(ids), 2)
        assert e["chars_per_token_text"] == fixed(len(text) / len(ids), 2) and e["n_tokens_text"] == integer(len(ids))
        for chip, data in zip(e["tokens"], enc.decode_tokens_bytes(ids)):
            assert chip["nl"] == (b"\n" in data)
            assert chip["segs"] == render_token(data, show_whitespace)


def test_compare_chip_text_is_the_token_text_when_it_is_whole_characters():
    result = compare.compute({"text": "Hello, world! Tokens", "show_whitespace": False})
    for e in result["encodings"]:
        assert "".join(seg_text(chip["segs"]) for chip in e["tokens"]) == "Hello, world! Tokens"


def test_compare_partial_characters_show_as_hex():
    result = compare.compute({"text": "👍🏽"})
    cl100k = result["encodings"][1]
    assert cl100k["n_tokens"] > 2  # eight bytes, not two whole characters
    assert all(kind == "x" for chip in cl100k["tokens"] for kind, _ in chip["segs"])


def test_compare_empty_text():
    result = as_plain_json(compare.compute({"text": ""}))
    assert result["n_chars"] == result["n_bytes"] == 0 and result["note"] is None
    for e in result["encodings"]:
        assert e["n_tokens"] == 0 and e["tokens"] == [] and e["chars_per_token"] is None
        assert e["chars_per_token_text"] == "–"


def test_compare_truncates_long_text_with_a_note():
    n = compare.MAX_CHARS + 5
    text = ("word " * n)[:n]
    result = compare.compute({"text": text})
    assert result["note"] == f"Showing the first {compare.MAX_CHARS:,} of {n:,} characters."
    assert result["n_chars"] == compare.MAX_CHARS
    kept = text[: compare.MAX_CHARS]
    for e in result["encodings"]:
        assert [chip["id"] for chip in e["tokens"]] == encoding(e["name"]).encode(kept)


def test_compare_survives_a_huge_paste():
    result = as_plain_json(compare.compute({"text": "x😀 " * 300_000}))
    assert "of 900,000 characters" in result["note"]


def test_compare_smollm2_tokenizer_file_is_the_gguf_tokenizer(smollm2_gguf):
    """The data file the build writes (sitebuild/smollm2_tokenizer.py) makes the very tokenizer the GGUF
    does: same tokens, merges, special tokens and pre-tokenizer, so the same ids for any text."""

    from llm_core.bpe_merges import encoding_from_gguf_metadata
    from llm_core.data import data_dir
    from llm_core.gguf import read_gguf
    from sitebuild.smollm2_tokenizer import RELPATH, tokenizer_json

    assert (data_dir() / RELPATH).read_bytes() == tokenizer_json(Path(smollm2_gguf))
    from_gguf = encoding_from_gguf_metadata(read_gguf(smollm2_gguf).metadata)
    from_file = encoding(SMOLLM2)
    assert from_file.mergeable_ranks == from_gguf.mergeable_ranks
    assert from_file.merge_ranks == from_gguf.merge_ranks
    assert from_file.special_tokens == from_gguf.special_tokens
    assert (from_file.pat_str, from_file.ignore_merges) == (from_gguf.pat_str, from_gguf.ignore_merges)
    for text in [compare.DEFAULTS["text"], *AWKWARD.values()]:
        assert from_file.encode(text) == from_gguf.encode(text)


def test_compare_lone_surrogates_are_replaced_with_a_note():
    result = as_plain_json(compare.compute({"text": "half an emoji: \ud83d!"}))
    assert "surrogate" in result["note"]
    enc = get_encoding("o200k_base")
    assert [c["id"] for c in result["encodings"][0]["tokens"]] == enc.encode("half an emoji: \ufffd!")


def test_compare_flags_are_booleans():
    result = compare.compute({"text": "a b", "show_ids": 1, "show_whitespace": 0})
    assert result["show_ids"] is True
    assert result["encodings"][0]["tokens"][1]["segs"] == [["t", " b"]]
    assert compare.compute({"text": "a b", "show_ids": "false"})["show_ids"] is False
    with pytest.raises(ValueError, match="show_ids"):
        compare.compute({"show_ids": "yes"})


def test_compare_summary_is_written_here():
    r = compare.compute({"text": "é" * 1234})
    assert r["summary"] == "1,234 characters · 2,468 UTF-8 bytes"


# -- bpe_stepper --------------------------------------------------------------------------------


def chips_of(result: dict) -> list[dict]:
    return [chip for group in result["groups"] for chip in group["chips"]]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    "text", ["unbelievably", "Hello, world!", *AWKWARD.values()], ids=["unbelievably", "hello", *AWKWARD]
)
def test_stepper_walks_from_bytes_to_the_encoding(text, encoding):
    text = text[: stepper.MAX_CHARS]
    enc = get_encoding(encoding)
    trace = enc.encode_with_trace(text)
    n = sum(len(t["steps"]) for t in trace)
    n_bytes = len(text.encode("utf-8"))
    first = as_plain_json(stepper.compute({"text": text, "encoding": encoding, "step": 0}))
    assert first["n_steps"] == len(first["merges"]) == n and first["n_bytes"] == n_bytes
    assert len(chips_of(first)) == n_bytes and first["current"] is None
    assert first["ids"] == enc.encode(text)
    for step in range(1, n + 1):
        r = stepper.compute({"text": text, "encoding": encoding, "step": step})
        assert len(chips_of(r)) == n_bytes - step  # each merge glues two parts into one
        new = [c for c in chips_of(r) if c["new"]]
        assert len(new) == 1 and new[0]["id"] == r["current"]["rank"]
        assert r["current"] == r["merges"][step - 1]
        assert glued(r["current"])
        assert sum(g["active"] for g in r["groups"]) == 1
    last = stepper.compute({"text": text, "encoding": encoding, "step": n})
    assert [c["id"] for c in chips_of(last)] == enc.encode(text)


def test_stepper_default_word():
    r = stepper.compute({})
    assert r["encoding"] == "o200k_base" and r["step"] == 0
    assert r["n_steps"] == 9
    last = stepper.compute({"step": 9})
    assert [seg_text(c["segs"]) for c in chips_of(last)] == ["un", "bel", "ievably"]


def test_stepper_writes_what_the_figure_shows():
    r = stepper.compute({"text": "unbelievably hello", "step": 12})
    assert [g["label"] for g in r["groups"]] == ["Pre-token 1 parts", "Pre-token 2 parts"]
    assert all(m["rank_text"] == integer(m["rank"]) for m in r["merges"])
    assert any("," in m["rank_text"] for m in r["merges"])  # ranks in the thousands get their separator


@pytest.mark.parametrize(
    "step, expected",
    [
        (-5, 0),
        (0, 0),
        (3, 3),
        (3.0, 3),
        ("4", 4),
        (10**9, 9),
        (1e300, 9),
    ],
)
def test_stepper_clamps_step(step, expected):
    assert stepper.compute({"text": "unbelievably", "step": step})["step"] == expected


@pytest.mark.parametrize("step", [float("nan"), float("inf"), True, None, "three", [1], 2.7, "", "1e400"])
def test_stepper_rejects_a_step_that_is_not_a_number(step):
    with pytest.raises(ValueError, match="step"):
        stepper.compute({"step": step})


@pytest.mark.parametrize("encoding", ["gpt2", "", None, "O200K_BASE"])
def test_stepper_rejects_unknown_encodings(encoding):
    with pytest.raises(ValueError, match="encoding"):
        stepper.compute({"encoding": encoding})


def test_stepper_limits_text_with_a_note():
    r = stepper.compute({"text": "a" * 100 + "b", "step": 10**6})
    assert r["note"].startswith(f"Showing the first {stepper.MAX_CHARS} of 101 characters")
    assert r["n_bytes"] == stepper.MAX_CHARS
    assert [c["id"] for c in chips_of(r)] == get_encoding("o200k_base").encode("a" * stepper.MAX_CHARS)


def test_stepper_empty_text():
    r = as_plain_json(stepper.compute({"text": "", "step": 5}))
    assert r["n_steps"] == r["step"] == r["n_bytes"] == 0
    assert r["groups"] == [] and r["merges"] == [] and r["current"] is None and r["ids"] == []


def test_stepper_lone_surrogate():
    r = as_plain_json(stepper.compute({"text": "\udc00x", "step": 99}))
    assert "surrogate" in r["note"]
    assert r["ids"] == get_encoding("o200k_base").encode("\ufffdx")


# -- bpe_train ----------------------------------------------------------------------------------


def test_train_defaults_match_llm_core():
    r = as_plain_json(trainer.compute({}))
    vocab_size = trainer.DEFAULTS["vocab_size"]
    enc, merges = train(trainer.DEFAULTS["text"], vocab_size)
    assert r["n_merges"] == len(merges) == vocab_size - 256 and r["vocab_size"] == vocab_size
    assert [m["rank"] for m in r["merges_head"]] == list(range(256, 256 + len(r["merges_head"])))
    shown = r["merges_head"] + r["merges_tail"]
    assert len(shown) + r["n_skipped"] == len(merges)
    assert [m["rank"] for m in r["merges_tail"]] == [m["rank"] for m in merges[-len(r["merges_tail"]) :]]
    test = trainer.DEFAULTS["test"]
    assert [c["id"] for c in r["custom"]["tokens"]] == enc.encode(test)
    assert [c["id"] for c in r["reference"]["tokens"]] == get_encoding("o200k_base").encode(test)
    n_bytes = len(test.encode("utf-8"))
    assert r["n_test_bytes"] == n_bytes
    assert r["custom"]["bytes_per_token"] == round(n_bytes / r["custom"]["n_tokens"], 2)
    assert r["custom"]["bytes_per_token_text"] == fixed(n_bytes / r["custom"]["n_tokens"], 2)
    assert r["texts"] == {
        "vocab_size": integer(r["vocab_size"]),
        "n_merges": integer(r["n_merges"]),
        "n_train_chars": "1,931",
        "n_train_bytes": "1,931",
        "n_skipped": integer(r["n_skipped"]),
        "n_test_bytes": integer(n_bytes),
    }
    assert all(m["count_text"] == integer(m["count"]) for m in shown)


def test_train_merge_counts_never_increase():
    r = trainer.compute({"vocab_size": 300})
    counts = [m["count"] for m in r["merges_head"] + r["merges_tail"]]
    assert counts == sorted(counts, reverse=True) and counts[-1] >= 1
    assert all(glued(m) for m in r["merges_head"] + r["merges_tail"])


@pytest.mark.parametrize(
    "vocab_size, expected",
    [
        (256, 256),
        (255, 256),
        (-10, 256),
        (0, 256),
        (256.0, 256),
        ("300", 300),
        (1024, 1024),
        (1025, 1024),
        (10**9, 1024),
        (1e300, 1024),
    ],
)
def test_train_vocab_size_is_clamped(vocab_size, expected):
    r = as_plain_json(trainer.compute({"vocab_size": vocab_size}))
    assert r["requested_vocab_size"] == expected
    assert r["vocab_size"] == 256 + r["n_merges"] <= expected


def test_train_256_means_bytes():
    r = trainer.compute({"vocab_size": 256})
    assert r["n_merges"] == 0 and r["merges_head"] == r["merges_tail"] == []
    assert r["custom"]["n_tokens"] == r["n_test_bytes"] and r["custom"]["bytes_per_token"] == 1.0
    assert r["note"] is None


def test_train_stops_when_no_pair_repeats_with_a_note():
    r = trainer.compute({"text": "ab ab ab", "vocab_size": 1024})
    assert 0 < r["n_merges"] < 1024 - 256
    assert "no pair occurs twice" in r["note"]


@pytest.mark.parametrize("vocab_size", [float("nan"), float("inf"), True, None, "big", 256.9, ""])
def test_train_rejects_a_vocab_size_that_is_not_a_number(vocab_size):
    with pytest.raises(ValueError, match="vocab_size"):
        trainer.compute({"vocab_size": vocab_size})


@pytest.mark.parametrize("bad", [None, 7, ["x"]])
def test_train_rejects_a_test_sentence_that_is_not_a_string(bad):
    with pytest.raises(ValueError, match="test sentence"):
        trainer.compute({"test": bad})


def test_train_limits_both_texts_with_notes():
    n = trainer.MAX_TRAIN_CHARS + 6
    r = trainer.compute({"text": ("river " * n)[:n], "test": "mill " * 100, "vocab_size": 260})
    assert f"first {trainer.MAX_TRAIN_CHARS:,} of {n:,} characters" in r["note"]
    assert f"first {trainer.MAX_TEST_CHARS} of 500 characters" in r["note"]
    assert r["n_train_chars"] == trainer.MAX_TRAIN_CHARS and r["n_test_bytes"] == trainer.MAX_TEST_CHARS


def test_train_empty_inputs():
    r = as_plain_json(trainer.compute({"text": "", "test": ""}))
    assert r["n_merges"] == 0 and r["n_train_chars"] == 0
    assert r["custom"]["n_tokens"] == 0 and r["custom"]["bytes_per_token"] is None
    assert r["custom"]["bytes_per_token_text"] == "–"
    assert r["reference"]["tokens"] == []


@pytest.mark.parametrize("text", list(AWKWARD.values()), ids=list(AWKWARD))
def test_train_on_awkward_text(text):
    r = as_plain_json(trainer.compute({"text": text * 5, "test": text, "vocab_size": 400}))
    enc, _ = train(text * 5, 400)
    assert [c["id"] for c in r["custom"]["tokens"]] == enc.encode(text)


# -- the numbers chapters/01-tokenization.md quotes ---------------------------------------------


def pieces(encoding: str, text: str) -> list[str]:
    enc = get_encoding(encoding)
    return [b.decode("utf-8", "replace") for b in enc.decode_tokens_bytes(enc.encode(text))]


@pytest.mark.parametrize(
    "encoding, text, expected",
    [
        ("o200k_base", "HELLO", ["HEL", "LO"]),
        ("o200k_base", "1234567", ["123", "456", "7"]),
        ("cl100k_base", "1234567", ["123", "456", "7"]),
        ("r50k_base", "1234567", ["123", "45", "67"]),
        ("o200k_base", "1234 + 567", ["123", "4", " +", " ", "567"]),
        ("o200k_base", "unbelievably", ["un", "bel", "ievably"]),
        ("r50k_base", "unbelievably", ["un", "bel", "iev", "ably"]),
        ("o200k_base", "<|endoftext|>", ["<", "|", "end", "of", "text", "|", ">"]),
        ("r50k_base", " SolidGoldMagikarp", [" SolidGoldMagikarp"]),
    ],
)
def test_chapter_token_pieces(encoding, text, expected):
    assert pieces(encoding, text) == expected


@pytest.mark.parametrize(
    "text, counts",
    [  # o200k_base, cl100k_base, r50k_base, SmolLM2
        ("I would like a cup of tea, please.", [10, 10, 10, 10]),
        ("Я бы хотел чашку чая, пожалуйста.", [10, 18, 39, 29]),
        ("Θα ήθελα ένα φλιτζάνι τσάι, παρακαλώ.", [20, 37, 42, 35]),
        ("मुझे एक कप चाय चाहिए, कृपया।", [12, 30, 42, 33]),
        (
            "def mean(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total / len(xs)\n",
            [28, 28, 45, 29],
        ),
        ("HELLO", [2, 2, 3, 3]),
        (compare.DEFAULTS["text"], [50, 55, 66, 76]),
        ("你好世界", [2, 5, 8, 9]),
    ],
)
def test_chapter_token_counts(text, counts):
    assert [len(encoding(name).encode(text)) for name in [*ENCODINGS, SMOLLM2]] == counts


def test_chapter_smollm2_tokenizer_facts():
    """SmolLM2's vocabulary and its digits, as the chapter gives them."""
    smol = encoding(SMOLLM2)
    assert (len(smol.mergeable_ranks), len(smol.special_tokens), smol.n_vocab) == (49_135, 17, 49_152)
    assert sorted(smol.special_tokens.values()) == list(range(17))
    assert [smol.special_tokens[t] for t in ("<|endoftext|>", "<|im_start|>", "<|im_end|>")] == [0, 1, 2]
    assert "<file_sep>" in smol.special_tokens
    pieces = [b.decode() for b in smol.decode_tokens_bytes(smol.encode("1234 + 567"))]
    assert pieces == ["1", "2", "3", "4", " +", " ", "5", "6", "7"]
    assert len(smol.encode("1234567")) == 7
    assert 49_152 * 4 < get_encoding("o200k_base").n_vocab < 49_152 * 5  # "a quarter of o200k_base's"


def test_chapter_vocabulary_facts():
    facts = {name: (len(get_encoding(name).mergeable_ranks), get_encoding(name).n_vocab) for name in ENCODINGS}
    assert facts == {"o200k_base": (199_998, 200_019), "cl100k_base": (100_256, 100_277), "r50k_base": (50_256, 50_257)}
    o200k, r50k = get_encoding("o200k_base"), get_encoding("r50k_base")
    assert o200k.encode("Hello") == [13225] and o200k.encode(" Hello") == [32949]
    assert o200k.encode(" strawberry") == [101830] and r50k.encode(" SolidGoldMagikarp") == [43453]
    assert all(len(get_encoding(n).encode(" strawberry")) == 1 for n in ENCODINGS)
    for name in ["o200k_base", "cl100k_base"]:
        ranks = get_encoding(name).mergeable_ranks
        assert all(f"{i:0{k}d}".encode() in ranks for k in (1, 2, 3) for i in range(10**k))
    assert get_encoding("cl100k_base").pretokenize("They're   here, aren't they?") == [
        "They",
        "'re",
        "  ",
        " here",
        ",",
        " aren",
        "'t",
        " they",
        "?",
    ]


def test_chapter_banana_and_mill_examples():
    _, merges = train("banana bandana band", 259)
    assert [(m["left"], m["right"], m["count"]) for m in merges] == [
        (b"a", b"n", 5),
        (b"b", b"an", 3),
        (b" ", b"ban", 2),
    ]
    r = trainer.compute({"vocab_size": 1024})
    assert (r["n_merges"], r["vocab_size"]) == (187, 443)
    assert (r["custom"]["n_tokens"], r["reference"]["n_tokens"]) == (18, 14)
    words = {seg_text(c["segs"]).replace("·", " ") for c in r["custom"]["tokens"]}
    assert {" miller", " wheel", " flour"} <= words
    first = stepper.compute({})
    assert first["n_steps"] == 9
    assert stepper.compute({"encoding": "r50k_base"})["n_steps"] == 8


def test_chapter_moby_dick_characters_per_token():
    """The chapter quotes 4.31 (o200k_base) and 4.21 (r50k_base) characters per token on 20,000
    characters of Moby-Dick from "Call me Ishmael" on."""
    text = (Path(__file__).parent / "corpus" / "english_moby_dick_1.txt").read_text(encoding="utf-8")
    text = text[text.index("Call me Ishmael") :][:20_000]
    assert len(text) == 20_000
    ratios = {n: round(len(text) / len(get_encoding(n).encode(text)), 2) for n in ("o200k_base", "r50k_base")}
    assert ratios == {"o200k_base": 4.31, "r50k_base": 4.21}


def test_chapter_tiny_model_vocabulary_facts():
    """The tiny model's own vocabulary, as the chapter (and chapter 0) describe it."""
    import json

    from llm_core.model_files import load_encoding

    tiny = load_encoding("models/tiny")
    log = json.loads((Path(__file__).parents[2] / "models" / "tiny" / "train_log.json").read_text())
    assert (len(tiny.mergeable_ranks), tiny.special_tokens, tiny.n_vocab) == (4_095, {"<|endoftext|>": 4_095}, 4_096)
    assert log["vocabulary"]["merges"] == 3_839 == len(tiny.mergeable_ranks) - 256
    assert round(log["vocabulary"]["trained_on_bytes"] / 1e6, 2) == 10.27
    assert tiny.pat_str == get_encoding("cl100k_base").pat_str
    by_rank = {rank: token for token, rank in tiny.mergeable_ranks.items()}
    assert [by_rank[i] for i in range(256, 260)] == [b" t", b" th", b" a", b" the"]
    assert {w: tiny.encode(w) for w in (" Government", " States", " Congress", " Treasury")} == {
        " Government": [450],
        " States": [443],
        " Congress": [488],
        " Treasury": [1052],
    }
    assert len(tiny.encode(" computer")) == 3 and len(tiny.encode(" strawberry")) == 5
    assert tiny.encode("The") == [84, 3282] and tiny.encode(" The") == [351] and 351 - 256 + 1 == 96
    assert b"The" not in tiny.mergeable_ranks and b"Th" not in tiny.mergeable_ranks
    assert tiny.pretokenize("The President")[0] == "The"
    assert [s["rank"] for s in tiny.encode_with_trace("The")[0]["steps"]] == [3282]
    assert get_encoding("o200k_base").encode("The") == [976]
