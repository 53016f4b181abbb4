"""The search index (sitebuild/search.py): what the search box of every page can find, and where it leads."""

import json
import re

import pytest

import build
from sitebuild import search
from sitebuild.chapters import SourceError
from sitebuild.checks import check_search_index

GLOSSARY = [
    {"term": "Token", "definition": "A piece of text the model reads as one id.", "slug": "t", "anchor": "a"},
    {
        "term": "KV cache",
        "definition": "The keys and values of every token read so far, kept so they are not computed again.",
        "slug": "t",
        "anchor": "a",
    },
]


def index_of(site):
    return json.loads((site / "search-index.json").read_text(encoding="utf-8"))["entries"]


def test_index_holds_every_chapter_heading_and_figure(site):
    entries = index_of(site)
    urls = {e[2]: e for e in entries}
    chapters = [build.parse_chapter(p) for p in sorted(build.Options().chapters.glob("*.md"))]
    for ch in chapters:
        assert urls[ch.filename][:4] == ["chapter", ch.title, ch.filename, f"Chapter {ch.order}"]
        html = (site / ch.filename).read_text(encoding="utf-8")
        prose = html.split('<div class="prose">', 1)[1]
        for anchor in re.findall(r'<h[23] id="([^"]+)"', prose):
            assert urls[f"{ch.filename}#{anchor}"][0] == "heading", anchor
            assert urls[f"{ch.filename}#{anchor}"][3] == ch.title
        for fid, name in re.findall(r'<figure class="widget" id="([^"]+)" data-widget="(\w+)"', html):
            assert urls[f"{ch.filename}#{fid}"][:2] == ["figure", f"{search.widget_title(name)} ({name})"]
    # headings read as shown: inline markup dropped, a formula as its TeX (KaTeX's drawing is aria-hidden)
    assert urls["attention.html#the-causal-mask"][1:4] == [
        "The causal mask",
        "attention.html#the-causal-mask",
        "Attention: queries, keys and values",
    ]
    assert urls["attention.html#scaling-by-d-head"][1] == "Scaling by √d_head"  # a formula's id: its letters
    assert not [u for u in urls if "glassboxmath" in u], "a heading id holds a math placeholder"
    assert all(len(e[4]) <= search.BODY_CHARS + 1 for e in entries if e[0] != "chapter")
    assert (site / "search-index.json").stat().st_size < 100_000, "the index is fetched by every reader who searches"


def test_index_has_the_glossary_terms_only_when_there_is_a_glossary(site):
    glossary = search.read_glossary(build.Options().chapters / "glossary.json")
    terms = [e for e in index_of(site) if e[0] == "term"]
    assert [t[1] for t in terms] == [g["term"] for g in glossary]


def test_glossary_terms_are_indexed_with_their_anchor(tmp_path):
    path = tmp_path / "glossary.json"
    path.write_text(json.dumps(GLOSSARY))
    page = '<main><div class="prose"><h2 id="a">A</h2><p>Text.</p></div></main>'
    chapter = build.parse_chapter(write_chapter(tmp_path))
    index = json.loads(search.search_index({chapter.filename: page.encode()}, [chapter], search.read_glossary(path)))
    assert index["entries"] == [
        ["chapter", "T", "t.html", "Chapter 1", "S"],
        ["heading", "A", "t.html#a", "T", "Text."],
        ["term", "Token", "glossary.html#term-token", "Glossary", "A piece of text the model reads as one id."],
        [
            "term",
            "KV cache",
            "glossary.html#term-kv-cache",
            "Glossary",
            "The keys and values of every token read so far, kept so they are not computed again.",
        ],
    ]


def test_a_build_with_a_glossary_file_indexes_its_terms(tmp_path):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    write_chapter(chapters)
    (chapters / "glossary.json").write_text(json.dumps(GLOSSARY))
    options = build.Options(
        out=tmp_path / "out", strict=True, chapters=chapters, widgets=build.Options().widgets, work=tmp_path / "work"
    )
    build.build(options)
    entries = index_of(options.out)
    assert [e[2] for e in entries if e[0] == "term"] == ["glossary.html#term-token", "glossary.html#term-kv-cache"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ('{"term": "x"}', "a list of terms"),
        ('[{"term": "x", "definition": "y", "slug": "x"}]', "term 1: needs text for each of"),
        ('[{"term": 1, "definition": "y", "slug": "x", "anchor": "x"}]', "term 1: needs text"),
    ],
)
def test_a_bad_glossary_file_is_named(tmp_path, text, message):
    path = tmp_path / "glossary.json"
    path.write_text(text)
    with pytest.raises(SourceError) as err:
        search.read_glossary(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_no_glossary_file_means_no_terms(tmp_path):
    assert search.read_glossary(tmp_path / "glossary.json") == []


def test_the_strict_check_finds_index_links_that_lead_nowhere():
    index = {"entries": [["heading", "Gone", "t.html#gone", "T", ""], ["term", "X", "glossary.html#x", "Glossary", ""]]}
    files = {"t.html": b'<h2 id="here">Here</h2>', "search-index.json": json.dumps(index).encode()}
    from sitebuild.checks import LinkCollector

    parsed = LinkCollector()
    parsed.feed(files["t.html"].decode())
    errors = check_search_index(files, {"t.html": parsed})
    assert errors == [
        "search-index.json: heading 'Gone' links to t.html#gone: no id='gone' in t.html",
        "search-index.json: term 'X' links to glossary.html#x: no glossary.html in the site",
    ]


def write_chapter(folder):
    path = folder / "01-t.md"
    path.write_text("---\ntitle: T\nslug: t\norder: 1\nlevel: Beginner\nsummary: S\n---\n\n## A\n\nText.\n")
    return path
