"""SmolLM2's tokenizer as a data file of its own, so the tokenizer widget never needs the 98 MB model.

A GGUF file describes its tokenizer in five metadata keys: tokenizer.ggml.model ("gpt2": byte-level
BPE), .pre (the pre-tokenizer's name), .tokens (49,152 strings in GPT-2's byte alphabet), .token_type
(normal, control or user-defined) and .merges (the merge list, in rank order). The build copies exactly
those keys, with the two that describe its chat format (tokenizer.chat_template and
tokenizer.ggml.eos_token_id, read by llm_core.chat), out of SmolLM2's GGUF into one JSON file, `data/models/smollm2/tokenizer.json` (about 1.3 MB,
a few hundred kB gzipped); `llm_core.bpe_merges.load_merges_encoding` reads it back through the same
`encoding_from_gguf_metadata` that builds the tokenizer from the GGUF itself, so both give the same ids.
"""

import json
from pathlib import Path

from llm_core.gguf import read_gguf

RELPATH = "models/smollm2/tokenizer.json"  # relative to the data folder (llm_core.data.read_bytes)
KEYS = [
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.eos_token_id",  # the end of a turn (llm_core.chat.stop_token_id)
    "tokenizer.chat_template",  # the chat format (llm_core.chat.chat_template), for chapter 16's pipeline
]


def tokenizer_json(gguf_path: Path) -> bytes:
    """The tokenizer keys of a GGUF file's metadata as JSON bytes (deterministic: same file, same bytes)."""
    metadata = read_gguf(gguf_path).metadata
    keys = {key: metadata[key] for key in KEYS}
    keys["tokenizer.ggml.token_type"] = [int(t) for t in keys["tokenizer.ggml.token_type"]]  # numpy -> ints
    keys["tokenizer.ggml.tokens"], keys["tokenizer.ggml.merges"] = (
        list(keys["tokenizer.ggml.tokens"]),
        list(keys["tokenizer.ggml.merges"]),
    )
    return (json.dumps(keys, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def site_files(gguf_path: Path, data_folder: Path) -> dict[str, bytes]:
    """{"data/models/smollm2/tokenizer.json": bytes} for the site, also written to data_folder, where
    llm_core reads it in CPython (build-time figures, tests), as the vocabularies are."""
    data = tokenizer_json(gguf_path)
    dest = data_folder / RELPATH
    if not dest.exists() or dest.read_bytes() != data:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    return {f"data/{RELPATH}": data}
