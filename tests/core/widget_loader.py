"""Widget modules loaded by path, as the build does (widgets are folders, not a package)."""

import importlib.util
import json
from pathlib import Path

WIDGETS = Path(__file__).resolve().parents[2] / "widgets"


def widget_names() -> list[str]:
    """Every widget folder in widgets/, sorted; like build.load_widgets, folders named _* or .* are not widgets."""
    return sorted(p.name for p in WIDGETS.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def load_widget(name: str):
    spec = importlib.util.spec_from_file_location(f"widget_{name}", WIDGETS / name / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(widget, **params):
    """widget.compute(params), which must be plain JSON: json.dumps raises on NaN/inf, numpy types, bytes."""
    result = widget.compute(params)
    json.dumps(result, allow_nan=False)  # plain JSON: no NaN/inf, no numpy types, no bytes
    return result
