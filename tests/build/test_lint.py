"""Lint in `make test`: ruff (lint and format check) over the Python, ESLint over the site's JavaScript.

ESLint's config (eslint.config.mjs) carries the views' rule: widgets' JS places what Python computed, with
no arithmetic, rounding, number formatting or innerHTML; the few layout lines that must compute a pixel
position say why on the line. A finding fails the test with the linter's own report.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_python_passes_ruff_check():
    out = run([sys.executable, "-m", "ruff", "check", "--no-cache", "."])
    assert out.returncode == 0, out.stdout + out.stderr


def test_python_is_formatted_as_ruff_formats_it():
    out = run([sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."])
    assert out.returncode == 0, out.stdout + out.stderr


def test_javascript_passes_eslint():
    out = run(["node", "node_modules/eslint/bin/eslint.js", "--max-warnings", "0", "."])
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_allow_list_is_short_and_says_why():
    """Every exception to the views' rule is a commented layout line, and there are few of them."""
    lines = [
        (p, line)
        for p in sorted((ROOT / "widgets").glob("*/*.js"))
        for line in p.read_text(encoding="utf-8").splitlines()
        if "eslint-disable" in line
    ]
    for path, line in lines:
        assert "-- layout:" in line or "-- measurement:" in line, f"{path.name}: {line.strip()}"
    assert len(lines) <= 40, f"{len(lines)} exceptions to the views' rule"
