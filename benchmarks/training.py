"""Section 8: the trainer's training step (chapter 15) in the page, in CPython numpy and in torch."""

import json
import os
import subprocess
import sys

from .common import ROOT, asset

TORCH_PYTHON = ROOT / ".venv-train" / "bin" / "python"


def measure_training(browser, base: str) -> dict:
    """The default model's training step in the page's worker, then the same code in this CPython (one
    OpenBLAS thread, as the tests run), then in torch where the training venv is (None if it is absent)."""
    load = os.getloadavg()[0]  # the machine's load when the section started: neighbours' work slows every number
    page = browser.new_page()
    page.goto(base + "index.html")
    page.evaluate("() => glassbox.ready.then(() => true)")
    in_page = page.evaluate("(code) => glassbox.py(code)", asset("training_speed.py"))
    page.close()
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    code = asset("training_speed.py") + "\nimport json\nprint(json.dumps(out))\n"
    cpython = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
    )
    torch = None
    if TORCH_PYTHON.exists():
        script = ROOT / "benchmarks" / "assets" / "training_torch.py"
        asset("training_torch.py")  # read through asset() so the package's asset check sees it used
        done = subprocess.run(
            [str(TORCH_PYTHON), str(script), str(ROOT)],
            env={**env, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        torch = json.loads(done.stdout)
    return {"page": in_page, "cpython": cpython, "torch": torch, "load": [load, os.getloadavg()[0]]}
