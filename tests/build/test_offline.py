"""Offline reading's build step (sitebuild/offline.py): the precache manifest lists every file the build wrote
with its right sha256, SmolLM2's files apart (kept only once the reader loads the model), and sw.js names
the manifest's own sha256 as the site's version."""

import doctest
import hashlib
import json
from pathlib import Path

from sitebuild import offline

ROOT = Path(__file__).resolve().parents[2]


def site_files(site) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_the_manifest_lists_every_file_of_the_site_with_its_sha256(site):
    files = site_files(site)
    manifest = json.loads(files[offline.MANIFEST])
    listed = {
        path: digest for kind in ("precache", "on_request", "not_cached") for path, digest in manifest[kind].items()
    }
    left_out = {offline.MANIFEST, offline.ENTRY, ".nojekyll"}
    assert set(listed) == set(files) - left_out
    for path, digest in listed.items():
        assert hashlib.sha256(files[path]).hexdigest() == digest, path
    # what a reader needs offline is precached: every page, the runtime, Pyodide, numpy, llm_core, the tiny
    # model, the vocabularies, the service worker's own code
    precache = manifest["precache"]
    for path in ("index.html", "tokenization.html", "pyodide/pyodide.asm.wasm", "pyodide/pyodide-lock.json",
                 "static/js/glassbox.js", "static/js/worker.js", "static/js/offline.js",
                 "data/vocab/o200k_base.tiktoken", "data/models/tiny/weights.npz"):  # fmt: skip
        assert path in precache, path
    assert any(p.startswith("pyodide/numpy-") and p.endswith(".whl") for p in precache)
    assert any(p.startswith("pyodide/llm_core-") and p.endswith(".whl") for p in precache)


def test_smollm2_is_cached_only_on_request_but_its_tokenizer_which_a_page_preloads(site):
    manifest = json.loads((site / offline.MANIFEST).read_text())
    model = json.loads((site / "data/models/smollm2/model.json").read_text())
    parts = {"data/" + p["path"] for p in model["parts"]}
    assert len(parts) == 3
    assert set(manifest["not_cached"]) == parts  # the page's worker keeps the weights itself
    assert set(manifest["on_request"]) == {"data/models/smollm2/model.json", "data/models/smollm2/LICENSE"}
    # tokenization.html's tokenizer_compare reads SmolLM2's tokenizer (its DATA) without the model
    page = {"tokenization.html": (site / "tokenization.html").read_bytes()}
    assert offline.preloaded(page) >= {"data/models/smollm2/tokenizer.json", "data/vocab/o200k_base.tiktoken"}
    assert [p for p in manifest["precache"] if p.startswith("data/models/smollm2/")] == [
        "data/models/smollm2/tokenizer.json"
    ]
    precached = sum((site / p).stat().st_size for p in manifest["precache"])
    assert precached < 60e6  # the site without SmolLM2 (about 30 MB); SmolLM2's 98 MB only on request


def test_sw_js_names_the_manifests_sha256_and_imports_the_code(site):
    version = hashlib.sha256((site / offline.MANIFEST).read_bytes()).hexdigest()
    entry = (site / offline.ENTRY).read_text()
    assert f'version: "{version}"' in entry
    assert f'importScripts("{offline.CODE}")' in entry
    assert (site / offline.CODE).read_text() == (ROOT / "site" / offline.CODE).read_text()


def test_a_changed_file_changes_the_version_and_only_its_hash():
    files = {"index.html": b"<p>A", "static/js/offline.js": b"//", "data/x.bin": b"x"}
    a = offline.offline_files(files)
    b = offline.offline_files({**files, "index.html": b"<p>B"})
    ma, mb = json.loads(a[offline.MANIFEST]), json.loads(b[offline.MANIFEST])
    assert {p for p in ma["precache"] if ma["precache"][p] != mb["precache"][p]} == {"index.html"}
    assert a[offline.ENTRY] != b[offline.ENTRY]
    assert offline.offline_files(files) == a  # deterministic


def test_docstring_examples():
    assert doctest.testmod(offline, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
