"""Every chapter's notebook (sitebuild/notebooks.py) runs top to bottom, offline, against the built site.

Each notebook runs in a fresh kernel of this Python (nbclient + ipykernel) whose working folder is a
temporary one. The built site is served on 127.0.0.1 under /glassbox/ and the notebook's parameter cell
reads its address from GLASSBOX_SITE. Its own `%pip install` cell installs the site's pure-Python wheel,
redirected by pip's environment variables into a temporary target that leads the kernel's sys.path
(PIP_TARGET, PIP_NO_INDEX, PIP_NO_DEPS: no network, numpy is already here, the test environment is not
changed). GLASSBOX_DATA is not passed on: the notebook fetches its data files from the site itself.
A last cell, added here, checks that llm_core was imported from that target, not from the checkout.
"""

import os

import pytest

import build
from sitebuild import notebooks
from sitebuild.serve import serve_in_thread

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

SLUGS = [ch.slug for ch in build.load_chapters(build.Options().chapters) if any(b.kind == "widget" for b in ch.blocks)]


@pytest.fixture(scope="module")
def site_url(site):
    server, url = serve_in_thread(site, prefix="/glassbox/")
    yield url
    server.shutdown()


def test_every_chapter_with_widgets_has_a_notebook_and_a_link_to_it(site):
    assert SLUGS
    for slug in SLUGS:
        nb = nbformat.reads((site / "notebooks" / f"{slug}.ipynb").read_text(), as_version=4)
        nbformat.validate(nb)
        page = (site / f"{slug}.html").read_text()
        assert f'<a href="notebooks/{slug}.ipynb" download>Open as a notebook</a>' in page, slug
    (wheel,) = (site / notebooks.WHEEL_DIR).glob("llm_core-*-py3-none-any.whl")
    assert all(f"{notebooks.WHEEL_DIR}/{wheel.name}" in (site / "notebooks" / f"{s}.ipynb").read_text() for s in SLUGS)
    assert not (site / "notebooks" / "index.ipynb").exists()


@pytest.mark.parametrize("slug", SLUGS)
def test_notebook_runs_top_to_bottom(slug, site, site_url, tmp_path):
    nb = nbformat.reads((site / "notebooks" / f"{slug}.ipynb").read_text(), as_version=4)
    target, work = tmp_path / "target", tmp_path / "work"
    target.mkdir()
    work.mkdir()
    check = f"import llm_core\nassert llm_core.__file__.startswith({str(target)!r}), llm_core.__file__"
    nb.cells.append(nbformat.v4.new_code_cell(check))
    env = {k: v for k, v in os.environ.items() if k != "GLASSBOX_DATA" and not k.startswith("PIP_")}
    env.update(
        GLASSBOX_SITE=site_url,
        PIP_TARGET=str(target),
        PIP_NO_INDEX="1",
        PIP_NO_DEPS="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONPATH=str(target),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(work)}}
    )
    client.execute(env=env)  # a failing cell raises CellExecutionError with its traceback
    printed = "".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "Traceback" not in printed
