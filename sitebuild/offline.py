"""Offline reading: the precache manifest of every file the site needs, and the service worker's entry script.

After one visit the whole site works with the network off: a service worker (static/js/offline.js) keeps
every file the build wrote in the browser's Cache Storage and answers from there. It must know exactly which
files, in which version, so the build lists them, each with its content's sha256, in `precache-manifest.json`:

    {"precache":   {path: sha256},   fetched and checked when the service worker installs
     "on_request": {path: sha256},   a model loaded only when the reader asks (SmolLM2's model.json, its
                                     licence): kept the first time the page fetches it
     "not_cached": {path: sha256}}   that model's weight parts: the page's worker keeps them itself
                                     (Cache Storage "glassbox-models-v1", each part checked by sha256)

Paths are relative to the site's root, so the site works under any prefix (GitHub Pages' /REPO/). The list is
every file of the site, found generically (a vendored script or a notebook added to the build is covered
without naming it here), except files whose name starts with a dot (`.nojekyll`: hosts need not serve them)
and the two files written here. A model loaded on request is a folder data/models/NAME/ holding a
`model.json` (what `glassbox.models.load(NAME)` reads); the parts that model.json lists are its weights.
A file of such a folder that a page preloads (its `data-data-files`: a widget's DATA) is precached all the
same: tokenization.html compares tokenizers with SmolLM2's (its tokenizer.json, 1.2 MB) without the model.

The site's version is the manifest's sha256. The entry script, `sw.js` at the site's root (a service
worker's scope is its own folder and below), names that version and imports the code; a rebuild that
changes any file changes sw.js, which is how the browser learns of it: it installs the new version beside
the old, and the new one takes over, deleting the old version's cache, only once no page of the old one is
open, so a page never mixes files of two builds.
"""

import hashlib
import json
import re

MANIFEST = "precache-manifest.json"
ENTRY = "sw.js"
CODE = "static/js/offline.js"  # the service worker's code, from site/static/js/
MODEL_FOLDER = re.compile(r"^data/models/[^/]+/")
PAGE_DATA = re.compile(rb'<html[^>]*\sdata-data-files="([^"]*)"')  # the data a page's worker preloads


def preloaded(files: dict[str, bytes]) -> set[str]:
    """The data files some page preloads, as paths of the site ("data/" + what data-data-files names)."""
    found = (PAGE_DATA.search(data) for path, data in files.items() if path.endswith(".html"))
    return {"data/" + name.decode() for m in found if m for name in m.group(1).split()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def on_request_models(files: dict[str, bytes]) -> dict[str, set[str]]:
    """{folder: the paths of its weight parts} for every model loaded on request: a data/models/NAME/
    folder with a model.json, whose "parts" paths are relative to data/."""
    models = {}
    for path in files:
        if MODEL_FOLDER.match(path) and path.endswith("/model.json"):
            meta = json.loads(files[path])
            models[path.removesuffix("model.json")] = {"data/" + part["path"] for part in meta.get("parts", [])}
    return models


def precache_manifest(files: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """{"precache", "on_request", "not_cached"}: every file of the site (path -> sha256), sorted, in one
    of the three (see the module's docstring); dotfiles and the manifest and entry script left out.

    >>> m = precache_manifest({"a.html": b'<html data-data-files="models/big/vocab.json">', ".nojekyll": b"",
    ...     "data/models/big/model.json": b'{"parts": [{"path": "models/big/w.part0"}]}',
    ...     "data/models/big/w.part0": b"w", "data/models/big/vocab.json": b"v", "sw.js": b""})
    >>> {kind: sorted(paths) for kind, paths in m.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'precache': ['a.html', 'data/models/big/vocab.json'], 'on_request': ['data/models/big/model.json'],
     'not_cached': ['data/models/big/w.part0']}
    """
    models = on_request_models(files)
    parts, pages_need = set().union(*models.values()), preloaded(files)
    manifest = {"precache": {}, "on_request": {}, "not_cached": {}}
    for path in sorted(files):
        if path in (MANIFEST, ENTRY) or any(name.startswith(".") for name in path.split("/")):
            continue
        folder = MODEL_FOLDER.match(path)
        kind = "precache"
        if folder and folder.group(0) in models and path not in pages_need:
            kind = "not_cached" if path in parts else "on_request"
        manifest[kind][path] = sha256(files[path])
    return manifest


def offline_files(files: dict[str, bytes]) -> dict[str, bytes]:
    """The build step: precache-manifest.json for the site's files, and sw.js, which names the manifest's
    sha256 (the version: its caches are called glassbox-site-VERSION) and imports the service worker's code.
    -> {path: bytes} to add to the site."""
    if CODE not in files:
        raise ValueError(f"{CODE} is missing: the service worker's code comes from site/{CODE}")
    manifest = (json.dumps(precache_manifest(files), indent=1, sort_keys=True) + "\n").encode()
    version = sha256(manifest)
    entry = (
        "/* Glassbox's service worker: offline reading (written by the build, sitebuild/offline.py).\n"
        f"   This build's version is the sha256 of {MANIFEST}; the code is {CODE}. */\n"
        f'self.GLASSBOX_OFFLINE = {{ version: "{version}", manifest: "{MANIFEST}" }};\n'
        f'importScripts("{CODE}");\n'
    )
    return {MANIFEST: manifest, ENTRY: entry.encode()}
