"""Shared fixtures: the built site (once per session, strict) and llm_core's data directory."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# One OpenBLAS thread for numpy in the test process. OpenBLAS's worker threads spin for a while after
# every call, waiting for the next; on a 2-core machine they take a core from Chromium, which the browser
# tests need, and a thread that loses its core holds up its partner at every call. Measured here on a busy
# machine: CPython computing every widget's DEFAULTS and EXAMPLES took 11-14 s with one thread, 48-78 s
# with OpenBLAS's default of two. It must be set before numpy is first imported (OpenBLAS reads it once,
# when it loads; pytest and hypothesis do not import numpy). A value already in the environment wins: the
# core tests are also run with 2 threads, and their float32 tolerances do not depend on the thread count.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# In CI (which sets GLASSBOX_REQUIRE_BROWSER) property tests draw the same examples every run, so a
# result there can be reproduced here; locally they explore fresh examples each time.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("GLASSBOX_REQUIRE_BROWSER"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# llm_core reads its data files (vocabularies, SmolLM2's file) from GLASSBOX_DATA. The tests, and the builds
# they run, write only into temporary folders: they get a data folder of their own, made of hard links to the
# files `make build` left in _build/data (a copy where links cannot be made), removed when the session ends.
_TEMPORARY_DATA = None
if "GLASSBOX_DATA" not in os.environ:
    _TEMPORARY_DATA = Path(tempfile.mkdtemp(prefix="glassbox-test-data-"))
    if (ROOT / "_build" / "data").is_dir():

        def _link(src, dst):
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)

        shutil.copytree(ROOT / "_build" / "data", _TEMPORARY_DATA, dirs_exist_ok=True, copy_function=_link)
    os.environ["GLASSBOX_DATA"] = str(_TEMPORARY_DATA)


# Folders of the checkout that tools write by design (caches, environments, version control): not checked.
_NOT_CHECKED = {
    ".git",
    ".venv",
    ".venv-train",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
}
_CHECKOUT_BEFORE: dict = {}


def checkout_files() -> dict[str, tuple[int, int]]:
    """Every file of the checkout outside _NOT_CHECKED, with its modification time and size."""
    files = {}
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if d not in _NOT_CHECKED]
        for name in names:
            path = os.path.join(folder, name)
            st = os.stat(path, follow_symlinks=False)
            files[os.path.relpath(path, ROOT)] = (st.st_mtime_ns, st.st_size)
    return files


def pytest_sessionstart(session):
    from sitebuild.vocab import convert_vocabularies

    convert_vocabularies(ROOT / "node_modules", Path(os.environ["GLASSBOX_DATA"]) / "vocab")
    _CHECKOUT_BEFORE.update(checkout_files())


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if a test (or a build it ran) wrote into the checkout: tests write only into temporary
    folders, so a test run never changes what `make build` made, nor the sources."""
    after = checkout_files()
    written = sorted(p for p in after.keys() | _CHECKOUT_BEFORE.keys() if after.get(p) != _CHECKOUT_BEFORE.get(p))
    if written:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        shown = "\n  ".join(written[:20]) + (f"\n  ... {len(written) - 20} more" if len(written) > 20 else "")
        reporter.write_line(f"error: the tests wrote into the checkout (tests write only into tmp_path):\n  {shown}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config):
    if _TEMPORARY_DATA is not None:
        shutil.rmtree(_TEMPORARY_DATA, ignore_errors=True)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The real site, built in strict mode into a temporary folder."""
    import build

    out = tmp_path_factory.mktemp("site") / "_site"
    build.build(build.Options(out=out, strict=True, work=tmp_path_factory.mktemp("build")))
    return out


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct's GGUF file, as the build obtained it (sitebuild/smollm2.py); tests never download."""
    from sitebuild.smollm2 import FILE_NAME

    path = ROOT / "_build" / "cache" / "smollm2" / FILE_NAME
    if not path.exists():
        if os.environ.get("GLASSBOX_REQUIRE_BROWSER"):
            pytest.fail(f"{path} missing: `make build` obtains it")
        pytest.skip(f"{path} missing: run `make build` once to obtain it")
    return path
