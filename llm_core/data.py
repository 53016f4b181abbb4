"""Where llm_core finds its data files (tokenizer vocabularies, model weights).

Data is not inside the wheel: the site ships it as separate files so the browser caches it on its own.
In CPython the files live in `_build/data/` of a Glassbox checkout (written by `build.py`); in the
browser the worker writes the files a page needs to the in-memory file system before Python starts,
and registers a fallback that fetches any other file from the site on first use. Either place can be
named with the GLASSBOX_DATA environment variable.
"""

import os
from collections.abc import Callable
from pathlib import Path

# Functions that can supply a missing data file: relpath -> bytes (or raise FileNotFoundError).
_fallbacks: list[Callable[[str], bytes]] = []


def data_dir() -> Path:
    """The folder holding llm_core's data files: $GLASSBOX_DATA, else the checkout's _build/data/."""
    env = os.environ.get("GLASSBOX_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "_build" / "data"


def add_fallback(fetch: Callable[[str], bytes]) -> None:
    """Register a supplier for files missing from data_dir() (the browser worker fetches from the site)."""
    _fallbacks.append(fetch)


def read_bytes(relpath: str) -> bytes:
    """The bytes of one data file, e.g. read_bytes("vocab/o200k_base.tiktoken")."""
    path = data_dir() / relpath
    try:
        return path.read_bytes()
    except FileNotFoundError:
        for fetch in _fallbacks:
            try:
                return fetch(relpath)
            except FileNotFoundError:
                continue
        raise FileNotFoundError(
            f"llm_core data file {relpath!r} not found in {data_dir()} "
            "(run `make build`, or set GLASSBOX_DATA to a folder holding it)"
        ) from None
