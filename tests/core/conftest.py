"""Fixtures for the llm_core tests: our encodings and tiktoken's reference ones, built offline."""

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import configuration

from llm_core import data

# Hypothesis keeps caches (Unicode tables, constants) in ./.hypothesis; keep them out of the checkout.
configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "glassbox-hypothesis")

ROOT = Path(__file__).resolve().parents[2]
ENCODING_NAMES = ["o200k_base", "cl100k_base", "r50k_base"]


@pytest.fixture(scope="session")
def vocab_dir() -> Path:
    """The folder of NAME.tiktoken files, converted from node_modules/js-tiktoken if missing."""
    from sitebuild.vocab import VOCABULARIES, convert_vocabularies

    folder = data.data_dir() / "vocab"
    if not all((folder / f"{name}.tiktoken").exists() for name in VOCABULARIES):
        convert_vocabularies(ROOT / "node_modules", folder)
    return folder


@pytest.fixture(scope="session")
def tiktoken_encodings(vocab_dir) -> dict:
    """name -> tiktoken.Encoding as tiktoken itself defines it, its vocabulary read from vocab_dir.

    tiktoken_ext's constructors give the pattern and special tokens; only their download is swapped
    for the local file (still sha256-checked against the hash they pin).
    """
    pytest.importorskip("tiktoken")
    import tiktoken.load
    import tiktoken_ext.openai_public as openai_public

    def load_local(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        return tiktoken.load.load_tiktoken_bpe(str(vocab_dir / url.rsplit("/", 1)[-1]), expected_hash)

    saved_loader, saved_cache = openai_public.load_tiktoken_bpe, os.environ.get("TIKTOKEN_CACHE_DIR")
    openai_public.load_tiktoken_bpe = load_local
    os.environ["TIKTOKEN_CACHE_DIR"] = ""  # "" stops tiktoken copying the file into its temp-dir cache
    try:
        return {name: tiktoken.Encoding(**openai_public.ENCODING_CONSTRUCTORS[name]()) for name in ENCODING_NAMES}
    finally:
        openai_public.load_tiktoken_bpe = saved_loader
        if saved_cache is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = saved_cache


@pytest.fixture(scope="session")
def encodings(vocab_dir) -> dict:
    """name -> llm_core Encoding."""
    from llm_core.tokenizer import get_encoding

    return {name: get_encoding(name) for name in ENCODING_NAMES}
