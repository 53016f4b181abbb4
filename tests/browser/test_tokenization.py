"""The Tokenization chapter in the browser: the reader's text tokenized live, equal to CPython/tiktoken.

Every test here runs in the chapter's shared visit (`chapter`, conftest.py), after its page checks."""

from pathlib import Path

import pytest
import tiktoken
import tiktoken.load

from llm_core import data, tokenizer
from tests.browser.conftest import WIDGETS, on, wait_idle

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "core" / "corpus"
PAGE = "tokenization.html"
NAMES = ["o200k_base", "cl100k_base", "r50k_base"]
tokenizer_compare = WIDGETS["tokenizer_compare"].module

pytestmark = pytest.mark.parametrize("chapter", on(PAGE), indirect=True)


@pytest.fixture(scope="module")
def tiktoken_encodings():
    """tiktoken itself, built from the verified vocabulary files (tiktoken would otherwise download)."""
    out = {}
    for name in NAMES:
        ours = tokenizer.get_encoding(name)
        ranks = tiktoken.load.load_tiktoken_bpe(str(data.data_dir() / "vocab" / f"{name}.tiktoken"))
        out[name] = tiktoken.Encoding(name=name, pat_str=ours.pat_str, mergeable_ranks=ranks, special_tokens={})
    return out


def widget(page, name="tokenizer_compare"):
    return page.locator(f'figure[data-widget="{name}"]').first


def test_typing_shows_the_ids_cpython_computes(chapter, tiktoken_encodings):
    page = chapter.watch.live()
    fig = widget(page)
    fig.locator('[data-param="show_ids"]').check()
    text = "Héllo wörld!  Ça coûte 1234567 €\n\t👩🏽‍💻 ok 你好 שלום مرحبا\u0301"
    field = fig.locator('[data-param="text"]')
    field.fill("")
    field.press_sequentially(text[:10])
    field.fill(text)
    wait_idle(page, "tokenizer_compare")
    shown = page.evaluate("""() => [...document.querySelectorAll('figure[data-widget=tokenizer_compare] .tc-enc')]
        .map(box => [...box.querySelectorAll('.tok-id')].map(e => Number(e.textContent)))""")
    assert len(shown) == 4
    for name, ids in zip(NAMES, shown):
        assert ids == tiktoken_encodings[name].encode_ordinary(text), name
    # the fourth, SmolLM2's, as llm_core computes it in CPython (tests/core/test_bpe_merges.py holds that
    # equal to Hugging Face's tokenizers)
    assert shown[3] == tokenizer_compare.encoding(tokenizer_compare.SMOLLM2).encode(text)
    assert page.watch.errors == []


def corpus_samples(n_chars=4000):
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        yield path.name, text[:n_chars]


def test_glassbox_py_tokenization_equals_tiktoken_on_the_corpus(chapter, tiktoken_encodings):
    page = chapter.watch.live()
    for fname, text in corpus_samples():
        # repr() is a Python literal for any str, surrogates and all.
        got = page.evaluate(
            "(code) => glassbox.py(code)", f"_t = {text!r}\n[tokenizer.get_encoding(n).encode(_t) for n in {NAMES!r}]"
        )
        for name, ids in zip(NAMES, got):
            assert ids == tiktoken_encodings[name].encode_ordinary(text), (fname, name)


def test_lone_surrogates_and_odd_text_through_the_console(chapter, tiktoken_encodings):
    page = chapter.watch.live()
    for text in ["a\ud800b", "\udfff", "\u200d\u200d", "e\u0301\u0301", "\x00\x01\x1f\x7f", "\u202eRTL\u202c", ""]:
        got = page.evaluate("(code) => glassbox.py(code)", f"tokenizer.get_encoding('o200k_base').encode({text!r})")
        assert got == tiktoken_encodings["o200k_base"].encode_ordinary(text), repr(text)


def test_a_megabyte_paste_is_truncated_with_a_note_and_the_page_stays_responsive(chapter):
    page = chapter.watch.live()
    big = ("All work and no play makes a model a dull tokenizer. 1234 ✨\n" * 20000)[:1_000_000]
    page.evaluate(
        """(t) => { const f = document.querySelector('figure[data-widget=tokenizer_compare] [data-param=text]');
        f.value = t; f.dispatchEvent(new Event('input', {bubbles: true})); }""",
        big,
    )
    # the main thread answers at once while the worker computes
    assert page.evaluate("() => 1 + 1") == 2
    wait_idle(page, "tokenizer_compare")
    note = widget(page).locator(".tok-note").first.inner_text()
    assert "1,000,000" in note
    assert page.watch.errors == []


def test_empty_text_gives_a_friendly_empty_state(chapter):
    page = chapter.watch.live()
    field = widget(page).locator('[data-param="text"]')
    field.fill("")
    wait_idle(page, "tokenizer_compare")
    out = widget(page).locator(".widget-output").inner_text()
    assert "NaN" not in out and "undefined" not in out
    assert page.watch.errors == []
