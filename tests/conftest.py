"""Shared fixtures: the built site (once per session, strict) and llm_core's data directory."""

import os
import sys
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

# llm_core reads its vocabularies from the build's data folder; make sure it exists before any test runs.
os.environ.setdefault("GLASSBOX_DATA", str(ROOT / "_build" / "data"))


def pytest_sessionstart(session):
    from sitebuild.vocab import convert_vocabularies

    convert_vocabularies(ROOT / "node_modules", Path(os.environ["GLASSBOX_DATA"]) / "vocab")


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The real site, built in strict mode into a temporary folder."""
    import build

    out = tmp_path_factory.mktemp("site") / "_site"
    build.build(build.Options(out=out, strict=True))
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
