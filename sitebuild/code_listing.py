"""The source of an llm_core function or class, for a widget's "view the code"."""

import importlib
import inspect


def code_listing(dotted: str) -> dict:
    """Source of an llm_core function/class for "view the code": dotted = 'llm_core.mod.Name.attr'."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return {"name": dotted, "source": inspect.getsource(obj)}
    raise ImportError(f"cannot import {dotted}")
