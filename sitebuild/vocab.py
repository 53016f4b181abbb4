"""Tokenizer vocabularies, rebuilt offline from the npm package js-tiktoken.

js-tiktoken ships each OpenAI vocabulary as `dist/ranks/NAME.js`: `export default {...}` where the
`bpe_ranks` string holds lines `"<ignored> <offset> <b64 token> <b64 token> ..."`, token i of a line having
rank offset+i. Rewritten as tiktoken's own file format (`"<b64 token> <rank>\\n"` sorted by rank) the
result is byte-identical to OpenAI's file, which we check against the sha256 that tiktoken itself
expects (tiktoken_ext/openai_public.py).
"""

import hashlib
import json
from pathlib import Path

# name -> (js-tiktoken ranks file, sha256 of OpenAI's .tiktoken file as pinned in tiktoken)
VOCABULARIES = {
    "o200k_base": ("o200k_base.js", "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"),
    "cl100k_base": ("cl100k_base.js", "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"),
    "r50k_base": ("gpt2.js", "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"),
}


def tiktoken_file_from_js(js_source: str) -> bytes:
    """js-tiktoken's ranks module text -> the bytes of the equivalent .tiktoken file."""
    obj = json.loads(js_source[js_source.index("{") : js_source.rindex("}") + 1])
    ranked = []
    for line in obj["bpe_ranks"].split("\n"):
        fields = line.split(" ")
        if len(fields) < 2:
            continue
        offset = int(fields[1])
        ranked.extend((offset + i, token) for i, token in enumerate(fields[2:]))
    ranked.sort()
    return "".join(f"{token} {rank}\n" for rank, token in ranked).encode("ascii")


def convert_vocabularies(node_modules: Path, out_dir: Path) -> dict[str, Path]:
    """Write NAME.tiktoken for every vocabulary into out_dir, each verified by sha256; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (js_name, expected) in VOCABULARIES.items():
        dest = out_dir / f"{name}.tiktoken"
        if dest.exists() and hashlib.sha256(dest.read_bytes()).hexdigest() == expected:
            paths[name] = dest
            continue
        src = node_modules / "js-tiktoken" / "dist" / "ranks" / js_name
        if not src.exists():
            raise FileNotFoundError(f"{src} missing: run `npm ci` first")
        data = tiktoken_file_from_js(src.read_text(encoding="utf-8"))
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected:
            raise ValueError(f"{name}: converted vocabulary has sha256 {digest}, tiktoken expects {expected}")
        dest.write_bytes(data)
        paths[name] = dest
    return paths
