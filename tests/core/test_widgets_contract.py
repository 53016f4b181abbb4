"""What every widget promises the build and the browser (widgets/README.md), for every folder in widgets/.

Widgets are found from the folder, so a new one is checked without a line here; each test is parametrized
by the widget's name. Checked:

- compute({}), compute(DEFAULTS) and compute(p) for every p in EXAMPLES give plain JSON:
  json.dumps(allow_nan=False) accepts it (no NaN/inf, no numpy types, no bytes) and json.loads gives it
  back unchanged (no tuples, no int keys);
- every DEFAULTS key is accepted: compute(DEFAULTS) == compute({}) (wall-clock times under "measured" aside);
- at least two EXAMPLES, each setting only parameters DEFAULTS has; SMOLLM2_EXAMPLES (optional: param
  sets that need SmolLM2 loaded, run in the page by tests/browser/test_smollm2.py) give plain JSON too and
  set only parameters DEFAULTS has;
- CODE is not empty and every entry is an llm_core name that the build's "view the code" resolves
  (sitebuild.code_listing: import the dotted name, read its source);
- every DATA entry is a file the site can ship under data/: one in llm_core's data dir (the vocabularies),
  or a model file in the checkout's models/ folder (the build ships exactly the ones widgets name,
  build.collect_model_data, and CPython's load_model reads them from there).

The widget-specific checks (against llm_core and naive references) are in test_widgets_CHAPTER.py.
"""

import functools
import json

import pytest

import build
from sitebuild.code_listing import code_listing
from llm_core.data import data_dir
from widget_loader import WIDGETS, load_widget, run, widget_names

ROOT = WIDGETS.parent

NAMES = widget_names()


@functools.cache
def widget(name: str):
    """The widget's module, loaded once here (a widget that fails to import fails only its own tests)."""
    return load_widget(name)


def untimed(result: dict) -> dict:
    """The result without its wall-clock timings (the key "measured"), which differ from run to run."""
    return {key: value for key, value in result.items() if key != "measured"}


def test_widgets_are_found_as_the_build_finds_them():
    assert len(NAMES) >= 2 and NAMES == sorted(build.load_widgets(WIDGETS))


@pytest.mark.parametrize("name", NAMES)
def test_defaults_and_examples_give_plain_json(name):
    w = widget(name)
    sets = [("{}", {}), ("DEFAULTS", w.DEFAULTS), *((f"EXAMPLES[{i}]", p) for i, p in enumerate(w.EXAMPLES))]
    for label, params in sets:
        result = w.compute(dict(params))
        try:
            text = json.dumps(result, allow_nan=False)
        except (TypeError, ValueError) as e:
            pytest.fail(f"{name}.compute({label}) is not plain JSON: {e}")
        assert json.loads(text) == result, f"{name}.compute({label}) changes in a JSON round trip"


@pytest.mark.parametrize("name", [n for n in NAMES if getattr(widget(n), "SMOLLM2_EXAMPLES", None)])
def test_smollm2_examples_give_plain_json(name, smollm2_gguf):
    w = widget(name)
    for i, params in enumerate(w.SMOLLM2_EXAMPLES):
        unknown = set(params) - set(w.DEFAULTS)
        assert not unknown, f"{name}.SMOLLM2_EXAMPLES[{i}] sets {unknown}, which DEFAULTS lacks"
        result = w.compute(dict(params))
        text = json.dumps(result, allow_nan=False)
        assert json.loads(text) == result, f"{name}.compute(SMOLLM2_EXAMPLES[{i}]) changes in a JSON round trip"


@pytest.mark.parametrize("name", NAMES)
def test_every_default_is_accepted(name):
    w = widget(name)
    assert isinstance(w.DEFAULTS, dict)
    assert untimed(run(w, **w.DEFAULTS)) == untimed(run(w))


@pytest.mark.parametrize("name", NAMES)
def test_at_least_two_examples_over_defaults(name):
    w = widget(name)
    assert len(w.EXAMPLES) >= 2
    for i, params in enumerate(w.EXAMPLES):
        unknown = sorted(set(params) - set(w.DEFAULTS))
        assert not unknown, f"{name}.EXAMPLES[{i}] sets {unknown}, which DEFAULTS lacks"


@pytest.mark.parametrize("name", NAMES)
def test_code_entries_name_llm_core_source(name):
    w = widget(name)
    assert w.CODE
    for dotted in w.CODE:
        assert dotted.startswith("llm_core."), dotted
        assert code_listing(dotted)["source"], dotted


@pytest.mark.parametrize("name", NAMES)
def test_data_entries_are_shipped_files(name):
    w = widget(name)
    for path in w.DATA:
        assert (data_dir() / path).is_file() or (ROOT / path).is_file(), f"{name}: no data file {path!r}"
