"""The benchmark package (benchmarks/, `make bench`) cannot rot silently: every module imports, every asset the
code names exists, every file in benchmarks/assets/ is used, and no code is left embedded as a string.

No browser runs here and nothing is measured: the benchmark itself runs only on demand.
"""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import benchmarks
from benchmarks import run
from benchmarks.common import ASSETS

PACKAGE = Path(benchmarks.__file__).resolve().parent
MODULES = sorted(PACKAGE.glob("*.py"))


def asset_names(tree: ast.AST) -> list[str]:
    """The literal names passed to asset(...) and copy_asset(...), the only ways the package reads an asset."""
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("asset", "copy_asset")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of the module, its classes and functions."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


@pytest.mark.parametrize("name", [m.name for m in pkgutil.iter_modules([str(PACKAGE)])])
def test_every_module_imports(name):
    importlib.import_module(f"benchmarks.{name}")


def test_every_asset_named_exists_and_every_asset_is_used():
    named = {name for path in MODULES for name in asset_names(ast.parse(path.read_text(encoding="utf-8")))}
    files = {p.name for p in ASSETS.iterdir() if p.is_file()}
    assert named, "no asset(...) calls found"
    assert named - files == set(), "named in the code but not in benchmarks/assets/"
    assert files - named == set(), "in benchmarks/assets/ but never read"


def test_assets_are_read_only_through_asset_and_copy_asset():
    """ASSETS appears only in common.py's two readers, so the test above sees every use."""
    for path in MODULES:
        uses = path.read_text(encoding="utf-8").count("ASSETS /")
        assert uses == (2 if path.name == "common.py" else 0), path.name


def test_no_code_is_embedded_in_a_string():
    """Pages, scripts and worker Python live in assets/: no triple-quoted string in the package but
    docstrings (one-line JavaScript arrow functions stay inline, as ordinary strings)."""
    for path in MODULES:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        skip = docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Constant, ast.JoinedStr)) and id(node) not in skip:
                segment = ast.get_source_segment(source, node) or ""
                assert '"""' not in segment and "'''" not in segment, f"{path.name}:{node.lineno}"


def test_sections_option():
    assert run.sections("startup, drag") == {"startup", "drag"}
    for bad in ("", "startup,typo"):
        with pytest.raises(Exception, match="sections are"):
            run.sections(bad)
