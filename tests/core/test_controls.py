"""llm_core.controls: what a browser control can send, read back or refused with a clear message."""

import math

import pytest

from llm_core.controls import as_bool, as_choice, as_int, as_number, as_text
from llm_core.model_files import load_model
from widgetlib.prompt import prompt_ids


@pytest.mark.parametrize("value, expected", [("0.5", 0.5), (0.5, 0.5), (-3, 0.0), ("7", 2.0), (2, 2.0), (1e300, 2.0)])
def test_as_number_reads_and_clamps(value, expected):
    assert as_number("x", value, 0.0, 2.0) == expected


@pytest.mark.parametrize("value", ["", "abc", math.nan, math.inf, "-inf", None, True, [1]])
def test_as_number_refuses_what_is_not_a_finite_number(value):
    with pytest.raises(ValueError, match="x must be"):
        as_number("x", value, 0.0, 2.0)


def test_as_int():
    assert as_int("k", "3", 0, 10) == 3 and as_int("k", 3.0, 0, 10) == 3 and as_int("k", 99, 0, 10) == 10
    with pytest.raises(ValueError, match="whole number"):
        as_int("k", 3.5, 0, 10)


def test_as_choice_and_bool():
    assert as_choice("m", "b", ["a", "b"]) == "b"
    with pytest.raises(ValueError, match="one of a, b"):
        as_choice("m", "c", ["a", "b"])
    assert [as_bool("f", v) for v in (True, False, "true", "False", 1, 0)] == [True, False, True, False, True, False]
    with pytest.raises(ValueError):
        as_bool("f", "yes")


def test_as_text_keeps_the_end_and_replaces_lone_surrogates():
    assert as_text("prompt", "abc", 5) == ("abc", None)
    text, note = as_text("prompt", "abcdefg", 3)
    assert text == "efg" and "last 3" in note
    assert as_text("prompt", "a\ud800b", 10)[0] == "a\ufffdb"
    with pytest.raises(ValueError, match="must be text"):
        as_text("prompt", 5, 10)


def test_prompt_ids_empty_long_and_plain():
    tiny = load_model("models/tiny")
    eot = tiny.encoding.special_tokens["<|endoftext|>"]
    ids, notes = prompt_ids(tiny, "")
    assert ids == [eot] and "empty" in notes[0]
    ids, notes = prompt_ids(tiny, "The President", 1)
    assert ids == tiny.encoding.encode("The President") and notes == []
    ids, notes = prompt_ids(tiny, "word " * 1000, max_new_tokens=10, max_chars=4000)
    assert len(ids) == tiny.cfg.n_ctx - 10 and any("last 4,000" in n for n in notes)
