"""'Open as a notebook': one Jupyter notebook per chapter with widgets, written at build time.

A chapter's notebook runs top to bottom in a fresh CPython with nothing but numpy installed:

  1. the title and a link back to the chapter;
  2. SITE, the address of the Glassbox site (a parameter cell; the environment variable GLASSBOX_SITE wins);
  3. `%pip install` of llm_core's pure-Python wheel from the site (`py/llm_core-VERSION-py3-none-any.whl`,
     built beside the Pyodide one: sitebuild/runtime.py);
  4. the data files the chapter's widgets name in their DATA (the tiny model, vocabularies), fetched from
     the site's data/ into glassbox-data/, which GLASSBOX_DATA then names (llm_core.data);
  5. per figure on the page, its caption and a cell calling the llm_core functions its compute() calls, on
     the chapter's inputs ({**DEFAULTS, **the chapter's overrides}), printing what the figure shows. Those
     cells are written by hand in sitebuild/notebook_recipes.py; a widget named in its WITHOUT_RECIPE (whose
     recipe is still to be written; `build.py --strict` fails on any other widget without one) gets a cell
     that runs the page's own compute() (widgets/NAME.py, fetched from the site) and prints its readable fields.

Cell ids are derived from the chapter and the cell's place, so two builds write identical notebooks.
tests/build/test_notebooks.py runs every notebook against the built site, offline.
"""

import json
import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from sitebuild.chapters import Chapter
from sitebuild.notebook_recipes import RECIPES

NOTEBOOK_DIR = "notebooks"  # _site/notebooks/SLUG.ipynb
WHEEL_DIR = "py"  # _site/py/llm_core-VERSION-py3-none-any.whl
# Where a notebook looks for the site unless GLASSBOX_SITE says otherwise (`build.py --site-url` sets it):
# `make serve`'s address.
DEFAULT_SITE_URL = "http://127.0.0.1:8000/"
# Models a page loads only when the reader asks (llm_core.models); a "model" parameter may also name a
# published configuration (llm_core.configs), which is only numbers and stays.
_LOADED_ON_REQUEST = ("smollm2", "file")


def notebook_path(chapter: Chapter) -> str:
    """Where a chapter's notebook lies in the site, e.g. 'notebooks/tokenization.ipynb'."""
    return f"{NOTEBOOK_DIR}/{chapter.slug}.ipynb"


def chapter_notebooks(
    chapters: list[Chapter], widgets: dict, computed: dict, wheel_name: str, site_url: str = DEFAULT_SITE_URL
) -> dict[str, bytes]:
    """{notebooks/SLUG.ipynb: the notebook's JSON} for every chapter that places a widget.

    widgets: {name: build.Widget}; computed: precompute_widgets' {(slug, block index): {params, result}}.
    """
    out = {}
    for ch in chapters:
        figures = [
            (block.name, computed[(ch.slug, i)]["params"], block.body)
            for i, block in enumerate(ch.blocks)
            if block.kind == "widget"
        ]
        if figures:
            nb = chapter_notebook(ch, figures, widgets, wheel_name, site_url)
            out[notebook_path(ch)] = (json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()
    return out


def chapter_notebook(chapter: Chapter, figures: list, widgets: dict, wheel_name: str, site_url: str) -> dict:
    """One chapter's notebook (an nbformat 4 node). figures: [(widget name, params, caption Markdown)]."""
    data_files: list[str] = []
    for name, _, _ in figures:
        for rel in widgets[name].module.DATA:
            if rel not in data_files:
                data_files.append(rel)
    needs_pages_code = any(name not in RECIPES for name, _, _ in figures)
    cells = [
        new_markdown_cell(intro(chapter, site_url)),
        new_code_cell(site_cell(site_url), metadata={"tags": ["parameters"]}),
        new_code_cell(install_cell(wheel_name)),
        new_code_cell(data_cell(data_files)),
    ]
    if needs_pages_code:
        cells.append(new_code_cell(page_code_cell()))
    for n, (name, params, caption) in enumerate(figures, 1):
        cells.append(new_markdown_cell(f"## Figure {n}: `{name}`\n\n{absolute_links(caption.strip(), site_url)}"))
        cells.append(new_code_cell(figure_cell(name, params, widgets[name].module)))
    for k, cell in enumerate(cells):
        cell["id"] = f"{chapter.slug}-{k}"[:64]
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(nb)
    return nb


def intro(chapter: Chapter, site_url: str) -> str:
    return (
        f"# {chapter.title}\n\n"
        f"{chapter.summary}\n\n"
        f"The figures of [chapter {chapter.order} of Glassbox]({site_url}{chapter.filename}), in Python: each "
        "cell below calls the same `llm_core` functions as the figure on the page, with the chapter's inputs, "
        "and prints what the figure shows. Change an input and run the cell again.\n\n"
        "Run the cells in order. The first ones install `llm_core` (numpy is its one dependency) and fetch "
        "the data files the figures read from the site."
    )


def site_cell(site_url: str) -> str:
    return (
        "import os\n\n"
        "# The Glassbox site this notebook came from (a copy served by `make serve` is at http://127.0.0.1:8000/).\n"
        f'SITE = os.environ.get("GLASSBOX_SITE", {site_url!r})\n'
        'SITE = SITE.rstrip("/") + "/"'
    )


def install_cell(wheel_name: str) -> str:
    return (
        "# llm_core, Glassbox's numpy library, as a pure-Python wheel from the site.\n"
        "# From a local copy instead: %pip install /path/to/the/wheel, or %pip install -e /path/to/glassbox\n"
        f"%pip install --quiet {{SITE}}{WHEEL_DIR}/{wheel_name}"
    )


def data_cell(data_files: list[str]) -> str:
    listed = "".join(f"    {rel!r},\n" for rel in data_files)
    return (
        "# The data files this chapter's figures read, fetched from the site once into glassbox-data/.\n"
        "# llm_core reads its data from the folder GLASSBOX_DATA names; a file not listed here is fetched\n"
        "# from the site when first asked for.\n"
        "import urllib.error\n"
        "import urllib.request\n"
        "from pathlib import Path\n\n"
        "import llm_core.data\n\n"
        'DATA = Path("glassbox-data")\n'
        f"FILES = [\n{listed}]\n"
        "for rel in FILES:\n"
        "    path = DATA / rel\n"
        "    if not path.exists():\n"
        "        path.parent.mkdir(parents=True, exist_ok=True)\n"
        '        urllib.request.urlretrieve(SITE + "data/" + rel, path)\n'
        'os.environ["GLASSBOX_DATA"] = str(DATA.resolve())\n\n\n'
        "def from_site(rel):\n"
        "    try:\n"
        '        with urllib.request.urlopen(SITE + "data/" + rel) as response:\n'
        "            return response.read()\n"
        "    except urllib.error.HTTPError as e:\n"
        "        raise FileNotFoundError(rel) from e\n\n\n"
        "llm_core.data.add_fallback(from_site)\n"
        'print(f"{len(FILES)} data files in {DATA}")'
    )


def page_code_cell() -> str:
    return (
        "# Some figures below run the page's own compute(), fetched from the site (widgets/NAME.py: it imports\n"
        "# llm_core and widgetlib, both in the wheel), and show the readable part of what it returns.\n"
        "import types\n\n\n"
        "def widget(name):\n"
        '    """The figure\'s Python module as the page runs it."""\n'
        '    with urllib.request.urlopen(f"{SITE}widgets/{name}.py") as response:\n'
        "        source = response.read().decode()\n"
        '    module = types.ModuleType(f"widget_{name}")\n'
        '    exec(compile(source, f"widgets/{name}.py", "exec"), module.__dict__)\n'
        "    return module\n\n\n"
        "def show(result, indent=0):\n"
        '    """Print a result\'s numbers and short texts, leaving out drawing coordinates and long lists."""\n'
        "    for key, value in result.items():\n"
        '        if key in ("params", "axes") or key.endswith(("_svg", "_points", "_path", "_d")):\n'
        "            continue\n"
        "        if isinstance(value, dict):\n"
        '            print(" " * indent + f"{key}:")\n'
        "            show(value, indent + 2)\n"
        "        elif isinstance(value, (int, float, bool)) or (isinstance(value, str) and len(value) <= 160):\n"
        '            print(" " * indent + f"{key}: {value}")\n'
        "        elif isinstance(value, list) and value and all(isinstance(v, (int, float, str)) for v in value):\n"
        '            print(" " * indent + f"{key}: {value[:12]}" + (" ..." if len(value) > 12 else ""))'
    )


def figure_cell(name: str, params: dict, module) -> str:
    """The code cell of one figure: its recipe with the chapter's inputs, or the page's compute()."""
    recipe = RECIPES.get(name)
    note = ""
    if params.get("model") in _LOADED_ON_REQUEST:
        note = f"# The page runs this figure on {params['model']} once the reader loads it; here, the tiny model.\n"
    params = notebook_params(params)
    if recipe is None:
        return (
            note
            + f"# The page's own compute() for this figure; the llm_core functions it calls: {', '.join(module.CODE)}\n"
            f"params = {py_literal(params)}\n"
            f'result = widget("{name}").compute(params)\n'
            "show(result)"
        )
    unknown = [k for k in recipe.inputs if k not in params]
    if unknown:
        raise ValueError(f"notebook recipe for {name} reads {unknown[0]!r}, which is not in its DEFAULTS")
    inputs = "".join(f"{k} = {py_literal(params[k])}\n" for k in recipe.inputs)
    head = f"{recipe.imports.strip()}\n\n" if recipe.imports.strip() else ""
    if inputs:
        inputs = "# The chapter's inputs: change them and run the cell again.\n" + inputs + "\n"
    return note + head + inputs + recipe.body.strip()


def notebook_params(params: dict) -> dict:
    """The inputs a figure's cell runs on: the chapter's, with the tiny model for one the page loads on
    request (SmolLM2's 98 MB, or the reader's own file)."""
    return {**params, "model": "tiny"} if params.get("model") in _LOADED_ON_REQUEST else params


def py_literal(value) -> str:
    """A JSON value as Python source (True/False/None, not true/false/null)."""
    return repr(value)


def absolute_links(markdown: str, site_url: str) -> str:
    """Relative links of a caption ([text](other.html#x)) made absolute: the notebook is not in the site."""
    return re.sub(r"\]\((?![a-z]+:|#)([^)\s]+)\)", lambda m: f"]({site_url}{m.group(1)})", markdown)
