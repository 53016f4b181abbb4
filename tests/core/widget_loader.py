"""Widget modules loaded by path, as the build does (widgets are folders, not a package)."""

import importlib.util
from pathlib import Path

WIDGETS = Path(__file__).resolve().parents[2] / "widgets"


def load_widget(name: str):
    spec = importlib.util.spec_from_file_location(f"widget_{name}", WIDGETS / name / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
