"""The tiny model as widgets use it: loaded once for every widget of a page, its files, its tokens as chips.

Every widget that runs Glassbox's tiny model names the same four files in its `DATA` (the page's worker
fetches them before the widget's first call) and reads the same `Model` object, so a page with ten
model widgets loads the weights once. A token is shown as a chip: its id and its bytes as display
segments (`llm_core.tokenizer.render_token`: markers for spaces, hex for partial characters).

>>> chip(464)["segs"] == token_segs(464) == token_segs(464, tiny().encoding)
True
"""

import functools

import numpy as np

from llm_core.configs import arch_from_model
from llm_core.model import ModelConfig
from llm_core.model_files import read_model_file
from llm_core.models import tiny_model
from llm_core.tokenizer import render_token

TINY = "models/tiny"
# The tiny model's files, for a widget's DATA: a new list each time (a widget may add its own files).
TINY_FILES = [f"{TINY}/config.json", f"{TINY}/weights.npz", f"{TINY}/tokenizer.json", f"{TINY}/vocab.tiktoken"]


def tiny():  # -> Model
    """Glassbox's tiny model (models/tiny/), read once and shared by every widget."""
    return tiny_model()


@functools.cache
def tiny_config() -> ModelConfig:
    """The tiny model's shape from its config.json alone (no weights read): for widgets that only size things."""
    return ModelConfig.from_json(read_model_file(TINY, "config.json"))


def tiny_arch(name: str = "Glassbox tiny model"):  # -> llm_core.configs.ArchConfig
    """The tiny model as an ArchConfig, to stand beside the published models in the calculators."""
    return arch_from_model(tiny_config(), name, f"Glassbox {TINY}/config.json")


@functools.cache
def embedding_table():  # -> [n_vocab, d_model] float64
    """The tiny model's embedding table in float64, so that cosines come out the same in CPython and Pyodide."""
    return tiny().weights["tok_emb"].astype(np.float64)


def token_segs(token_id: int, encoding=None) -> list:
    """A token's bytes as display segments (markers for spaces, hex for partial characters); the tiny
    model's vocabulary unless another model's encoding is given."""
    return render_token((tiny().encoding if encoding is None else encoding).decode_tokens_bytes([int(token_id)])[0])


def chip(token_id: int, encoding=None, **extra) -> dict:
    """A token chip: its id, its display segments, whether it holds a line break, and any extra fields."""
    data = (tiny().encoding if encoding is None else encoding).decode_tokens_bytes([int(token_id)])[0]
    return {"id": int(token_id), "segs": render_token(data), "nl": b"\n" in data, **extra}
