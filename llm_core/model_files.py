"""Model files: a model's config, weights and tokenizer, read from a folder or llm_core's data folder.

A model folder (models/tiny/) holds config.json (a ModelConfig), weights.npz (see checkpoints.py for
its compact formats), tokenizer.json (name, pre-tokenizer pattern, special tokens) and the vocabulary
named there (vocab.tiktoken). In the browser the folder is the site's data/ (llm_core.data fetches it).
GGUF files, llama.cpp's format, are read by gguf.py instead.
"""

import io
import json
from pathlib import Path

import numpy as np

from .checkpoints import unpack_weights
from .data import read_bytes
from .model import Model, ModelConfig
from .tokenizer import Encoding, load_tiktoken_bpe


def read_model_file(where, name):  # -> bytes
    """A model file: from the folder `where` if it exists on disk, else llm_core data file where/name."""
    folder = Path(where)
    return (folder / name).read_bytes() if folder.is_dir() else read_bytes(f"{where}/{name}")


def load_weights(data):  # .npz bytes -> {name: float32 array}
    """Read a weight file; quantized entries (see checkpoints.py) are dequantized to float32.

    The matrices that right-multiply activations (x @ w) are stored column-major: the values and every
    result are the same, but numpy without BLAS (as in Pyodide) multiplies about 5x faster when each
    output's column is contiguous in memory (benchmarks/RESULTS.md). The embedding table stays row-major:
    its rows are looked up, and its transpose (the tied unembedding) is column-major already.
    """
    with np.load(io.BytesIO(data)) as npz:
        weights = unpack_weights({name: npz[name] for name in npz.files})
    return {name: np.asfortranarray(w) if w.ndim == 2 and name != "tok_emb" else w for name, w in weights.items()}


def load_encoding(where):  # -> Encoding
    """The model's tokenizer: tokenizer.json (name, pattern, special tokens) + vocab.tiktoken."""
    spec = json.loads(read_model_file(where, "tokenizer.json"))
    ranks = load_tiktoken_bpe(read_model_file(where, spec["vocab_file"]))
    return Encoding(spec["name"], spec["pat_str"], ranks, spec["special_tokens"])


def load_model(where="models/tiny", weights_file="weights.npz"):  # -> Model
    """config.json + weights.npz + tokenizer files, from a folder or the llm_core data folder.

    weights_file may name a checkpoint instead, e.g. "checkpoints/step_000400.npz".
    """
    cfg = ModelConfig.from_json(read_model_file(where, "config.json"))
    return Model(cfg, load_weights(read_model_file(where, weights_file)), load_encoding(where))
