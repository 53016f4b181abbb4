"""The glossary page: chapters/glossary.json built into glossary.html, each term linked to where it is taught."""

import json
import re
import shutil
from pathlib import Path

import pytest

import build
from sitebuild.chapters import SourceError
from sitebuild.glossary import FIELDS, term_id

ROOT = Path(build.__file__).resolve().parent
GLOSSARY = json.loads((build.Options().chapters / "glossary.json").read_text())


def test_the_file_keeps_its_format():
    """Site search indexes this file as it is: a list of exactly {term, definition, slug, anchor}."""
    assert 60 <= len(GLOSSARY) <= 120
    for entry in GLOSSARY:
        assert sorted(entry) == sorted(FIELDS) and all(isinstance(entry[k], str) and entry[k] for k in FIELDS)
    assert len({term_id(e["term"]) for e in GLOSSARY}) == len(GLOSSARY)


def test_every_term_has_an_anchor_and_links_to_its_heading(site):
    page = (site / "glossary.html").read_text()
    for e in GLOSSARY:
        m = re.search(rf'<dt id="{term_id(e["term"])}">[^<]+</dt>\s*<dd>[^<]*<a href="([^"]+)">', page)
        assert m and m[1] == f"{e['slug']}.html#{e['anchor']}", e["term"]
        assert f'id="{e["anchor"]}"' in (site / f"{e['slug']}.html").read_text()
    assert 'id="term-kv-cache"' in page
    assert 'href="glossary.html"' in (site / "index.html").read_text()  # the contents page, and the nav:
    assert '<a href="glossary.html" aria-current="page">Glossary</a>' in page


def glossary_site(tmp_path, entries) -> build.Options:
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    shutil.copy(ROOT / "chapters" / "03-neurons.md", chapters)
    (chapters / "glossary.json").write_text(json.dumps(entries, indent=1))
    return build.Options(
        out=tmp_path / "out", strict=True, chapters=chapters, widgets=build.Options().widgets, work=tmp_path / "work"
    )


GOOD = {"term": "ReLU", "definition": "max(0, x).", "slug": "neurons", "anchor": "the-activation-function"}


@pytest.mark.parametrize(
    "entry, message",
    [
        ({**GOOD, "slug": "nowhere"}, "no chapter has the slug 'nowhere'"),
        ({**GOOD, "anchor": "no-such-heading"}, "neurons.html has no heading with id 'no-such-heading'"),
        ({k: v for k, v in GOOD.items() if k != "definition"}, "exactly the fields"),
        ({**GOOD, "definition": ""}, "non-empty string"),
    ],
)
def test_a_term_whose_chapter_or_heading_is_missing_fails_the_build(tmp_path, entry, message):
    options = glossary_site(tmp_path, [{**GOOD, "term": "Bias"}, entry])
    with pytest.raises(SourceError) as err:
        build.build(options)
    assert "glossary.json:9:" in str(err.value) and message in str(err.value)
    assert not options.out.exists()


def test_a_chapters_folder_without_a_glossary_builds_no_page_and_no_link(tmp_path):
    options = glossary_site(tmp_path, [GOOD])
    (options.chapters / "glossary.json").unlink()
    options.strict = False  # the chapter alone links to chapters this folder lacks
    build.build(options)
    assert not (options.out / "glossary.html").exists()
    assert "glossary.html" not in (options.out / "neurons.html").read_text()
