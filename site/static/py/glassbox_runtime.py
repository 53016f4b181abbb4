"""The Python side of the Glassbox browser worker (also importable in CPython, where tests run it).

The worker calls four entry points:
  call_widget(name, params_json) -> JSON text of widgets/NAME.py's compute(params), or {"error": message}
  run_py(code)                    -> the value of code's last expression, as plain data (glassbox.py)
  run_repl(code)                  -> JSON text {stdout, result, error} for the in-page console
  load_model_step(relpath, cancel) -> JSON text {done, total} after reading one more layer of a GGUF file
                                     in the data folder, {..., model: {...}} once it is loaded, or {error}
  check_model_file(head, size)    -> JSON text: can a reader's GGUF file run? {more: n} (send its first n
                                     bytes), {model: {...}} or {error}, from its first bytes only
"""

import ast
import contextlib
import importlib
import io
import json
import sys
import traceback

import numpy as np

import llm_core
import llm_core.model
from llm_core import data, tokenizer

# The console and glassbox.py share one namespace per page, with the usual imports already done.
NAMESPACE = {"__name__": "__console__", "llm_core": llm_core, "np": np, "numpy": np, "tokenizer": tokenizer}
for _name in ("bpe_train",):
    try:
        NAMESPACE[_name] = importlib.import_module(f"llm_core.{_name}")
    except ImportError:
        pass


def fetch_from_site(relpath: str) -> bytes:
    """Fetch a data file the page did not preload (e.g. from the console), synchronously.

    Synchronous XMLHttpRequest is allowed in a worker (never on the page's main thread), so llm_core can
    stay ordinary blocking Python. The file is kept in the worker's file system for next time.
    """
    import os

    from js import XMLHttpRequest  # only in the browser

    base = os.environ.get("GLASSBOX_DATA_URL")
    if not base or ".." in relpath.split("/"):
        raise FileNotFoundError(relpath)
    xhr = XMLHttpRequest.new()
    xhr.open("GET", base + relpath, False)
    xhr.responseType = "arraybuffer"
    xhr.send(None)
    if xhr.status != 200:
        raise FileNotFoundError(f"{base}{relpath}: HTTP {xhr.status}")
    content = xhr.response.to_py().tobytes()
    path = data.data_dir() / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return content


if sys.platform == "emscripten":
    data.add_fallback(fetch_from_site)


def call_widget(name: str, params_json: str) -> str:
    """Run a widget's compute; a ValueError (bad input) comes back as {"error": message}, not a crash."""
    # The worker writes each widgets/NAME/NAME.py of the page to glassbox_widgets/NAME.py.
    module = importlib.import_module(f"glassbox_widgets.{name}")
    try:
        result = module.compute(json.loads(params_json))
    except ValueError as e:
        return json.dumps({"error": str(e)})
    return json.dumps(result, allow_nan=False)


_loading = {}  # data-folder relpath -> the generator reading that GGUF file, one layer per step


def load_model_step(relpath: str, cancel: bool = False) -> str:
    """Read one more layer of the GGUF file at llm_core's data folder / relpath (the worker wrote it there).

    The worker calls this until the answer holds "model", answering other widgets' calls in between, so
    they keep working on the tiny model while the real one loads. Once loaded, widgets get the model from
    gguf.data_model(relpath). A device without memory for it gets a message, and the tiny model stays.
    """
    from llm_core import gguf

    if cancel:
        _loading.pop(relpath, None)
        return json.dumps({"cancelled": True})
    try:
        if relpath not in _loading:
            _loading[relpath] = gguf.load_data_model_steps(relpath)
        done, total, model = next(_loading[relpath])
    except (ValueError, MemoryError, OSError) as e:
        _loading.pop(relpath, None)
        if isinstance(e, MemoryError):
            return json.dumps(
                {"error": "this device could not give Python enough memory to hold the model (it needs about 0.6 GB)."}
            )
        return json.dumps({"error": str(e)})
    if model is None:
        return json.dumps({"done": done, "total": total})
    del _loading[relpath]
    return json.dumps(
        {
            "done": done,
            "total": total,
            "model": {
                "name": model.name,
                "params": llm_core.model.n_params(model.cfg),
                "params_text": f"{model.name}, {llm_core.model.n_params(model.cfg) / 1e6:.0f}M parameters, "
                f"{model.cfg.n_layer} layers",
            },
        }
    )


def check_model_file(head, file_size) -> str:
    """Whether the GGUF file a reader opened can run here, from its first bytes, before reading it all."""
    from llm_core import gguf

    data = head.to_py() if hasattr(head, "to_py") else head  # a JS Uint8Array arrives as a proxy
    try:
        return json.dumps(gguf.check_gguf_head(data, int(file_size), gguf.BROWSER_MAX_WEIGHT_BYTES))
    except ValueError as e:
        return json.dumps({"error": str(e)})


def _split_last_expression(code: str):
    """-> (module without its last expression, that expression or None), like the Python REPL does."""
    tree = ast.parse(code, "<console>", "exec")
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
        return tree, last
    return tree, None


def _execute(code: str):
    body, last = _split_last_expression(code)
    exec(compile(body, "<console>", "exec"), NAMESPACE)
    if last is None:
        return None
    return eval(compile(last, "<console>", "eval"), NAMESPACE)


def to_plain(value):
    """numpy arrays and scalars -> lists and numbers, recursively, so they cross into JavaScript as data."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    return repr(value)


def run_py(code: str):
    """glassbox.py(code): the value of the last expression as plain data (None if there is none)."""
    return to_plain(_execute(code))


def _user_traceback(exc: BaseException) -> str:
    """The traceback without this module's own frames: what a reader's code did, nothing more."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def run_repl(code: str) -> str:
    out = io.StringIO()
    result = error = None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            value = _execute(code)
        if value is not None:
            result = repr(value)
            if len(result) > 20000:
                result = result[:20000] + f"... ({len(result) - 20000} more characters)"
    except BaseException as e:  # noqa: BLE001 - a reader's SystemExit or KeyboardInterrupt must not kill the worker
        error = _user_traceback(e)
    text = out.getvalue()
    if len(text) > 20000:
        text = text[:20000] + f"\n... ({len(text) - 20000} more characters of output)"
    return json.dumps({"stdout": text, "result": result, "error": error})
