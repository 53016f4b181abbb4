#!/usr/bin/env python3
"""Build the Glassbox static site into _site/.

    python build.py [--out _site] [--strict] [--pyodide-cdn URL]    build
    python build.py serve [--port 8000] [--prefix /]                build, then serve on 127.0.0.1

The build is a sequence of named steps. Every step reads its inputs and returns its outputs; nothing is
written until the last step, so a failing check leaves the previous _site/ untouched:

  1. load_chapters        chapters/*.md -> parsed chapters (front matter, Markdown, directives)
  2. load_widgets         widgets/NAME/ -> compute module, Jinja partial, JS, CSS
  3. precompute_widgets   call every widget's compute(params) in CPython (the pre-rendered figures)
  4. render_pages         Jinja: index + one page per chapter; each widget's figure drawn by its own
                          NAME.js draw() under node (sitebuild/figures.py), as the live page draws it
     render_glossary      chapters/glossary.json -> glossary.html, each term linked to the heading that
                          teaches it (sitebuild/glossary.py; a missing chapter or heading fails the build)
  5. search_index         the search box's index: chapters, headings, figures, glossary terms
                          (sitebuild/search.py; chapters/glossary.json if there is one)
  6. build_wheel          llm_core as a Pyodide-ready wheel, registered in a copy of Pyodide's lock, and
                          as a plain pure-Python wheel in py/ for the notebooks
     chapter_notebooks    notebooks/SLUG.ipynb per chapter with widgets: its figures' llm_core calls on the
                          chapter's inputs, installing the plain wheel and fetching data from the site
                          (sitebuild/notebooks.py)
  7. vendor_runtime       Pyodide core, numpy for Pyodide, vocabularies; each checked by sha256;
                          collect_model_data: the model files the widgets' DATA name (models/tiny/)
  8. offline              precache-manifest.json (every file with its sha256) and sw.js, the service
                          worker that keeps them for offline reading (sitebuild/offline.py)
  9. check_links          (strict) internal links and #anchors resolve, the search index's too
                          (sitebuild/checks.py), and every placed widget has a notebook recipe
                          (sitebuild/notebook_recipes.py: missing_recipes, WITHOUT_RECIPE)
 10. write_site           byte-identical output for identical inputs
"""

import argparse
import fcntl
import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import jinja2

from llm_core.data import data_dir
from sitebuild import glossary, notebook_recipes, notebooks, offline, runtime, search, smollm2, smollm2_tokenizer, vocab
from sitebuild.chapters import Block, Chapter, SourceError, parse_chapter, placeholder
from sitebuild.checks import check_links
from sitebuild.code_listing import code_listing
from sitebuild.figures import draw_figures
from sitebuild.prose import markdown_to_html, reading_minutes

ROOT = Path(__file__).resolve().parent
BUILD_DIR = ROOT / "_build"
MANIFEST = ROOT / "site" / "vendor-manifest.json"
# Vendored browser libraries a widget may ask for by name in its LIBRARIES: the library (loaded async, so
# the page goes live without waiting for it) and Glassbox's helper that draws with it. Only pages placing
# such a widget load them.
LIBRARIES = {"plotly": {"name": "plotly", "src": "static/plotly/plotly-gl3d.min.js", "helper": "static/js/plot3d.js"}}
SITE_NAME = "Glassbox"
SITE_TAGLINE = "How large language models work, computed live in your browser"


@dataclass
class Options:
    out: Path = ROOT / "_site"
    strict: bool = False
    pyodide_cdn: str | None = None  # e.g. the official Pyodide CDN's URL for v0.27.7
    # GLASSBOX_CHAPTERS / GLASSBOX_WIDGETS point a build (and the tests) at other folders, e.g. a subset.
    chapters: Path = Path(os.environ.get("GLASSBOX_CHAPTERS", ROOT / "chapters"))
    widgets: Path = Path(os.environ.get("GLASSBOX_WIDGETS", ROOT / "widgets"))
    work: Path = BUILD_DIR  # scratch: llm_core's wheel and its lock (the tests give a temporary folder)
    cache: Path = BUILD_DIR / "cache"  # downloads, each checked against its pinned sha256: numpy's wheel, SmolLM2
    site_url: str = notebooks.DEFAULT_SITE_URL  # where the notebooks look for the site unless GLASSBOX_SITE is set


@dataclass
class Widget:
    name: str
    folder: Path
    module: ModuleType


# -- 1. chapters ---------------------------------------------------------------------------------


def load_chapters(folder: Path) -> list[Chapter]:
    chapters = [parse_chapter(p) for p in sorted(folder.glob("*.md"))]
    seen: dict[str, Path] = {}
    for ch in chapters:
        for key in (f"slug {ch.slug}", f"order {ch.order}"):
            if key in seen:
                raise SourceError(ch.path, 1, f"{key} already used by {seen[key]}")
            seen[key] = ch.path
    return sorted(chapters, key=lambda ch: ch.order)


# -- 2. widgets ----------------------------------------------------------------------------------


def load_widgets(folder: Path) -> dict[str, Widget]:
    widgets = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        name = sub.name
        for suffix in (".py", ".html", ".js"):
            if not (sub / f"{name}{suffix}").exists():
                raise SourceError(sub / f"{name}{suffix}", 1, f"widget {name!r} lacks {name}{suffix}")
        spec = importlib.util.spec_from_file_location(f"glassbox_widgets.{name}", sub / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for attr in ("DEFAULTS", "DATA", "CODE", "compute"):
            if not hasattr(module, attr):
                raise SourceError(sub / f"{name}.py", 1, f"widget {name!r} does not define {attr}")
        for lib in getattr(module, "LIBRARIES", []):
            if lib not in LIBRARIES:
                raise SourceError(sub / f"{name}.py", 1, f"widget {name!r} asks for an unknown library {lib!r}")
        widgets[name] = Widget(name, sub, module)
    return widgets


# -- 3. pre-render -------------------------------------------------------------------------------


def precompute_widgets(chapters: list[Chapter], widgets: dict[str, Widget]) -> dict[tuple[str, int], dict]:
    """Run compute(params) for every widget instance. -> {(slug, block index): {params, result}}."""
    computed = {}
    for ch in chapters:
        for i, block in enumerate(ch.blocks):
            if block.kind != "widget":
                continue
            widget = widgets.get(block.name)
            if widget is None:
                raise SourceError(
                    ch.path, block.line, f"unknown widget {block.name!r} (known: {', '.join(sorted(widgets))})"
                )
            unknown = sorted(set(block.params) - set(widget.module.DEFAULTS))
            if unknown:
                raise SourceError(ch.path, block.line, f"widget {block.name!r} has no parameter {unknown[0]!r}")
            params = {**widget.module.DEFAULTS, **block.params}
            try:
                result = widget.module.compute(params)
            except Exception as e:
                raise SourceError(ch.path, block.line, f"widget {block.name!r} failed: {e!r}") from e
            # Wall-clock measurements belong to the reader's browser, not to the build: leaving them out
            # keeps the build byte-identical, and the static figure says they are measured live.
            result.pop("measured", None)
            computed[(ch.slug, i)] = {"params": params, "result": json_safe(result, f"{ch.path}:{block.line}")}
    return computed


def json_safe(value, where: str):
    """Check a compute result is plain JSON (no NaN/inf, no bytes); returns it unchanged."""
    json.dumps(value, allow_nan=False)
    return value


def script_json(value) -> str:
    """JSON that is safe inside <script type="application/json"> (no '</script>' breakouts)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- 4. pages ------------------------------------------------------------------------------------


def make_env(widgets_dir: Path) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader([str(ROOT / "site" / "templates"), str(widgets_dir)])
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return env


def page_context(chapters: list[Chapter], options: Options) -> dict:
    return {
        "glossary": (options.chapters / glossary.FILE_NAME).exists(),  # a subset of chapters may have none
        "site_name": SITE_NAME,
        "tagline": SITE_TAGLINE,
        "chapters": chapters,
        "pyodide_index": options.pyodide_cdn or "pyodide/",
        "pyodide_cdn": bool(options.pyodide_cdn),
        "wheel": None,
    }


def draw_widgets(
    chapters: list[Chapter], widgets: dict[str, Widget], computed: dict, env: jinja2.Environment
) -> dict[tuple[str, int], str]:
    """Every widget instance's figure body: its partial (the controls), then its NAME.js draw() on
    CPython's result, run under node (sitebuild/figures.py): the renderer the live page uses."""
    widget_tpl = env.get_template("_widget.html")
    keys, figures = [], []
    for ch in chapters:
        for i, block in enumerate(ch.blocks):
            if block.kind != "widget":
                continue
            c = computed[(ch.slug, i)]
            wid = f"w{i}-{block.name.replace('_', '-')}"
            partial = env.get_template(f"{block.name}/{block.name}.html").render(
                wid=wid, params=c["params"], result=c["result"]
            )
            keys.append((ch.slug, i))
            figures.append(
                widget_tpl.render(wid=wid, name=block.name, partial=partial, caption="", state=script_json(c), code=[])
            )
    used = {ch.blocks[i].name for ch in chapters for i, b in enumerate(ch.blocks) if b.kind == "widget"}
    scripts = {name: widgets[name].folder / f"{name}.js" for name in sorted(used)}
    bodies = draw_figures(figures, scripts, ROOT / "site" / "static" / "js" / "tokens.js", ROOT)
    return dict(zip(keys, bodies))


def render_pages(
    chapters: list[Chapter],
    widgets: dict[str, Widget],
    computed: dict,
    env: jinja2.Environment,
    options: Options,
    wheel_name: str,
) -> dict[str, bytes]:
    pages = {}
    drawn = draw_widgets(chapters, widgets, computed, env)
    base = {**page_context(chapters, options), "wheel": wheel_name}
    widget_tpl = env.get_template("_widget.html")
    for n, ch in enumerate(chapters):
        body, toc, has_math = markdown_to_html(ch.body, ch)
        used: list[str] = []
        data_files: list[str] = []
        for i, block in enumerate(ch.blocks):
            if block.kind == "check":
                html_block, check_math = render_check(block, ch, env)
                has_math = has_math or check_math
                toc = [*toc, {"id": CHECK_ID, "name": CHECK_TITLE, "children": []}]
                body = body.replace(f"<p>{placeholder(i)}</p>", html_block)
                continue
            caption, _, caption_math = markdown_to_html(block.body, ch)
            has_math = has_math or caption_math
            if block.kind == "widget":
                widget = widgets[block.name]
                c = computed[(ch.slug, i)]
                wid = f"w{i}-{block.name.replace('_', '-')}"
                partial = drawn[(ch.slug, i)]
                html_block = widget_tpl.render(
                    wid=wid,
                    name=block.name,
                    partial=partial,
                    caption=caption,
                    state=script_json(c),
                    code=[code_listing(d) for d in widget.module.CODE],
                )
                if block.name not in used:
                    used.append(block.name)
                for f in widget.module.DATA:
                    if f not in data_files:
                        data_files.append(f)
            else:
                html_block = env.get_template("_box.html").render(kind=block.kind, body=caption)
            body = body.replace(f"<p>{placeholder(i)}</p>", html_block)
            if placeholder(i) in body:
                raise SourceError(ch.path, block.line, "directive must stand alone, separated by blank lines")
        css = [f"widgets/{w}.css" for w in used if (widgets[w].folder / f"{w}.css").exists()]
        libraries = sorted({lib for w in used for lib in getattr(widgets[w].module, "LIBRARIES", [])})
        html_text = env.get_template("chapter.html").render(
            **base,
            chapter=ch,
            content=body,
            toc=toc,
            minutes=reading_minutes(ch.body),
            prev=chapters[n - 1] if n > 0 else None,
            next=chapters[n + 1] if n + 1 < len(chapters) else None,
            widgets_used=used,
            widget_css=css,
            libraries=[LIBRARIES[lib] for lib in libraries],
            data_files=data_files,
            page=ch.filename,
            math=has_math,
            notebook=notebooks.notebook_path(ch) if used else None,  # written by chapter_notebooks
        )
        pages[ch.filename] = html_text.encode("utf-8")
    pages["index.html"] = (
        env.get_template("index.html")
        .render(
            **base,
            widgets_used=[],
            widget_css=[],
            libraries=[],
            data_files=[],
            page="index.html",
            math=False,
            minutes_of={ch.slug: reading_minutes(ch.body) for ch in chapters},
        )
        .encode("utf-8")
    )
    return pages


CHECK_ID, CHECK_TITLE = "check-yourself", "Check yourself"


def render_check(block: Block, ch: Chapter, env: jinja2.Environment) -> tuple[str, bool]:
    """A '::: check' block as its section: each question, then its answer in a <details> the reader
    opens (no JavaScript needed; keyboards and screen readers know the control). -> (HTML, has math)."""
    items, has_math = [], False
    for q in block.questions:
        question, _, q_math = markdown_to_html(q.question, ch)
        answer, _, a_math = markdown_to_html(q.answer, ch)
        items.append({"question": question, "answer": answer})
        has_math = has_math or q_math or a_math
    html = env.get_template("_check.html").render(id=CHECK_ID, title=CHECK_TITLE, items=items)
    return html, has_math


def render_glossary(
    chapters: list[Chapter], pages: dict[str, bytes], env: jinja2.Environment, options: Options, wheel_name: str
) -> dict[str, bytes]:
    """glossary.html from chapters/glossary.json (none when the chapters folder has no glossary), each term
    linked to the chapter heading that teaches it, found in the rendered pages."""
    path = options.chapters / glossary.FILE_NAME
    if not path.exists():
        return {}
    terms = glossary.load_glossary(path, chapters)
    rows = glossary.taught_where(path, terms, chapters, pages)
    letters: dict[str, list[dict]] = {}
    for row in rows:
        first = row["term"].term[0].upper()
        letters.setdefault(first if first.isalpha() else "#", []).append(row)
    html_text = env.get_template("glossary.html").render(
        **{**page_context(chapters, options), "wheel": wheel_name},
        letters=letters,
        widgets_used=[],
        widget_css=[],
        libraries=[],
        data_files=[],
        page=glossary.PAGE,
        math=False,
    )
    return {glossary.PAGE: html_text.encode("utf-8")}


def collect_static(widgets: dict[str, Widget]) -> dict[str, bytes]:
    files = {}
    static = ROOT / "site" / "static"
    for path in sorted(static.rglob("*")):
        if path.is_file():
            files[f"static/{path.relative_to(static).as_posix()}"] = path.read_bytes()
    for w in widgets.values():
        for suffix in (".js", ".css", ".py"):
            src = w.folder / f"{w.name}{suffix}"
            if src.exists():
                files[f"widgets/{w.name}{suffix}"] = src.read_bytes()
    files["favicon.svg"] = (ROOT / "site" / "favicon.svg").read_bytes()
    files[".nojekyll"] = b""
    return files


# -- 5. search: sitebuild/search.py ----------------------------------------------------------

# -- 6. wheel ------------------------------------------------------------------------------------


def build_wheel(lock: dict, work: Path) -> dict[str, bytes]:
    work.mkdir(parents=True, exist_ok=True)
    # Two builds at once in one work folder (`make serve` next to `make build`) would overwrite each other's
    # wheel: take turns.
    with open(work / "wheel.lock", "w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)
        wheel, plain, new_lock = runtime.build_llm_core_wheel(ROOT, work / "wheel", lock)
        wheel_bytes, plain_bytes = wheel.read_bytes(), plain.read_bytes()
    lock_text = json.dumps(new_lock, sort_keys=True, indent=1) + "\n"
    return {
        f"pyodide/{wheel.name}": wheel_bytes,
        "pyodide/pyodide-lock.json": lock_text.encode(),
        f"{notebooks.WHEEL_DIR}/{plain.name}": plain_bytes,  # pure Python, for the notebooks' `pip install`
    }


# -- 7. vendored runtime -------------------------------------------------------------------------


def vendor_runtime(lock: dict, options: Options) -> dict[str, bytes]:
    """Pyodide core + numpy wheel (unless loading from a CDN), KaTeX's CSS and fonts, plotly.js, and the tokenizer
    vocabularies, each checked against the pinned sha256 manifest. The files llm_core reads at build time
    (vocabularies, SmolLM2's file and tokenizer) are written to its own data folder, llm_core.data.data_dir()."""
    node_modules = ROOT / "node_modules"
    files = {}
    if not options.pyodide_cdn:
        for name in runtime.PYODIDE_CORE_FILES:
            files[f"pyodide/{name}"] = (node_modules / "pyodide" / name).read_bytes()
        numpy_wheel = runtime.fetch_numpy_wheel(options.cache, lock)
        files[f"pyodide/{numpy_wheel.name}"] = numpy_wheel.read_bytes()
    katex = node_modules / "katex" / "dist"
    files["static/katex/katex.min.css"] = (katex / "katex.min.css").read_bytes()
    for font in sorted((katex / "fonts").glob("*.woff2")):
        files[f"static/katex/fonts/{font.name}"] = font.read_bytes()
    files.update(runtime.vendor_plotly(node_modules))
    for name, path in vocab.convert_vocabularies(node_modules, data_dir() / "vocab").items():
        files[f"data/vocab/{path.name}"] = path.read_bytes()
    # SmolLM2's GGUF, in parts, downloaded only when a reader asks for it (the tests read the cached file)
    gguf_file = smollm2.fetch_smollm2(options.cache)
    smollm2.place_in_data(gguf_file, data_dir())
    files.update(smollm2.site_files(gguf_file))
    files.update(smollm2_tokenizer.site_files(gguf_file, data_dir()))  # its tokenizer alone, 1.2 MB
    pinned = json.loads(MANIFEST.read_text())
    for rel, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        if rel not in pinned:
            raise ValueError(f"{MANIFEST.relative_to(ROOT)}: no pinned sha256 for vendored file {rel}")
        if pinned[rel] != digest:
            raise ValueError(f"vendored {rel}: sha256 {digest} differs from the pinned {pinned[rel]}")
    return files


def collect_model_data(widgets: dict[str, Widget]) -> dict[str, bytes]:
    """The model files the widgets load (their DATA entries found in the checkout, under models/:
    committed, never retrained here). An entry neither there nor vendored into llm_core's data folder
    fails the build."""
    files = {}
    for w in widgets.values():
        for rel in w.module.DATA:
            if (ROOT / rel).is_file():
                files[f"data/{rel}"] = (ROOT / rel).read_bytes()
            elif not (data_dir() / rel).is_file():  # there: vendored by vendor_runtime (vocabularies, SmolLM2)
                raise SourceError(
                    w.folder / f"{w.name}.py",
                    1,
                    f"DATA names {rel}: neither in the checkout nor in llm_core's data folder",
                )
    return dict(sorted(files.items()))


# -- 8. offline: sitebuild/offline.py --------------------------------------------------------------

# -- 9. checks: sitebuild/checks.py ---------------------------------------------------------------

# -- 10. write ------------------------------------------------------------------------------------


def write_site(files: dict[str, bytes], out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    for rel in sorted(files):
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(files[rel])


def build(options: Options) -> dict[str, bytes]:
    chapters = load_chapters(options.chapters)
    widgets = load_widgets(options.widgets)
    lock = runtime.pyodide_lock(ROOT / "node_modules")
    vendored = vendor_runtime(lock, options)  # also makes the vocabularies llm_core reads below
    computed = precompute_widgets(chapters, widgets)
    wheel_files = build_wheel(lock, options.work)
    wheel_name = next(k for k in wheel_files if k.endswith(".whl")).split("/")[-1]
    env = make_env(options.widgets)
    pages = render_pages(chapters, widgets, computed, env, options, wheel_name)
    pages.update(render_glossary(chapters, pages, env, options, wheel_name))
    plain_wheel = next(k for k in wheel_files if k.startswith(f"{notebooks.WHEEL_DIR}/")).split("/")[-1]
    pages.update(notebooks.chapter_notebooks(chapters, widgets, computed, plain_wheel, options.site_url))
    terms = search.read_glossary(options.chapters / "glossary.json")
    pages["search-index.json"] = search.search_index(pages, chapters, terms)
    files = {**collect_static(widgets), **vendored, **collect_model_data(widgets), **wheel_files, **pages}
    files.update(offline.offline_files(files))  # last: it lists every other file
    if options.strict:
        errors = check_links(files, chapters, ROOT)
        placed = [block.name for ch in chapters for block in ch.blocks if block.kind == "widget"]
        errors += [
            f"widget {name!r} is placed in a chapter but has no notebook recipe (sitebuild/notebook_recipes.py)"
            for name in notebook_recipes.missing_recipes(placed)
        ]
        if errors:
            raise SystemExit("build failed (strict):\n  " + "\n  ".join(errors))
    write_site(files, options.out)
    return files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", nargs="?", default="build", choices=["build", "serve"])
    ap.add_argument("--out", type=Path, default=ROOT / "_site", help="output folder (default _site/)")
    ap.add_argument("--strict", action="store_true", help="fail on broken links/anchors")
    ap.add_argument(
        "--pyodide-cdn",
        metavar="URL",
        help="load Pyodide and numpy from this URL (e.g. the official CDN) instead of the site",
    )
    ap.add_argument(
        "--site-url",
        default=Options.site_url,
        help="the address the site is served at, for the notebooks' links and downloads (default: make serve's)",
    )
    ap.add_argument("--chapters", type=Path, default=Options.chapters, help=argparse.SUPPRESS)
    ap.add_argument("--widgets", type=Path, default=Options.widgets, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--prefix", default="/", help="serve the site under this path, like GitHub Pages /REPO/")
    args = ap.parse_args(argv)
    cdn = args.pyodide_cdn.rstrip("/") + "/" if args.pyodide_cdn else None
    site_url = args.site_url.rstrip("/") + "/"
    options = Options(
        out=args.out,
        strict=args.strict,
        pyodide_cdn=cdn,
        chapters=args.chapters,
        widgets=args.widgets,
        site_url=site_url,
    )
    try:
        files = build(options)
    except SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"built {len(files)} files into {options.out}")
    if args.command == "serve":
        from sitebuild.serve import make_server

        server = make_server(options.out, port=args.port, prefix=args.prefix)
        print(f"Serving Glassbox at http://127.0.0.1:{args.port}{server.prefix}  (Ctrl+C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
