"""The glossary: `chapters/glossary.json`, each term linked to the heading of the chapter that teaches it.

The file is a JSON list, one object per term, in any order (the page sorts them):

    [{"term": "KV cache", "definition": "The keys and values of every token read so far, kept so ...",
      "slug": "kv-cache", "anchor": "prefill-and-decode"}, ...]

`slug` is a chapter's front-matter slug, `anchor` the id of a heading on that chapter's page (the id the
Markdown gives it: "## Prefill and decode" -> `prefill-and-decode`). Definitions are plain text (site search
indexes this file as it is). On `glossary.html` each term has the id `term-` + its name in lowercase words
joined by '-' (`glossary.html#term-kv-cache`). A term whose chapter or heading does not exist fails the
build, naming the file and line.
"""

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from sitebuild.chapters import Chapter, SourceError

FILE_NAME = "glossary.json"
PAGE = "glossary.html"
FIELDS = ("term", "definition", "slug", "anchor")


@dataclass
class Term:
    term: str
    definition: str
    slug: str
    anchor: str
    line: int  # of its "term" in glossary.json

    @property
    def id(self) -> str:
        return term_id(self.term)


def term_id(term: str) -> str:
    """The term's anchor on the glossary page: "KV cache" -> "term-kv-cache", "top-p" -> "term-top-p"."""
    return "term-" + re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


def load_glossary(path: Path, chapters: list[Chapter]) -> list[Term]:
    """Read and check glossary.json: its four fields per term, unique terms, each slug a chapter here.
    -> the terms sorted by name (case ignored)."""
    text = path.read_text(encoding="utf-8")
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as e:
        raise SourceError(path, e.lineno, f"not valid JSON: {e.msg}") from None
    if not isinstance(entries, list):
        raise SourceError(path, 1, "the glossary is a JSON list of {term, definition, slug, anchor} objects")
    slugs = {ch.slug for ch in chapters}
    terms, seen = [], {}
    lines = text.split("\n")
    for n, entry in enumerate(entries):
        term = entry.get("term") if isinstance(entry, dict) else None
        line = line_of(lines, f'"term": {json.dumps(term)}') if isinstance(term, str) else 1
        if not isinstance(entry, dict) or sorted(entry) != sorted(FIELDS):
            raise SourceError(path, line, f"entry {n + 1} must have exactly the fields {', '.join(FIELDS)}")
        if not all(isinstance(entry[k], str) and entry[k].strip() for k in FIELDS):
            raise SourceError(path, line, f"entry {n + 1}: every field is a non-empty string")
        t = Term(**{k: entry[k].strip() for k in FIELDS}, line=line)
        if t.id in seen:
            raise SourceError(path, line, f"term {t.term!r} repeats {seen[t.id]!r} (same anchor {t.id})")
        seen[t.id] = t.term
        if t.slug not in slugs:
            raise SourceError(path, line, f"term {t.term!r}: no chapter has the slug {t.slug!r}")
        terms.append(t)
    return sorted(terms, key=lambda t: (t.term.lower(), t.term))


def line_of(lines: list[str], needle: str) -> int:
    return next((i for i, line in enumerate(lines, start=1) if needle in line), 1)


class Headings(HTMLParser):
    """The ids of a page's h2/h3 headings, with their text: {"prefill-and-decode": "Prefill and decode"}."""

    def __init__(self):
        super().__init__()
        self.headings: dict[str, str] = {}
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "h3") and dict(attrs).get("id"):
            self._open = dict(attrs)["id"]
            self.headings[self._open] = ""

    def handle_endtag(self, tag):
        if tag in ("h2", "h3"):
            self._open = None

    def handle_data(self, data):
        if self._open:
            self.headings[self._open] += data


def taught_where(path: Path, terms: list[Term], chapters: list[Chapter], pages: dict[str, bytes]) -> list[dict]:
    """Each term with the chapter and heading its link goes to, found in the rendered chapter pages;
    a term whose anchor is no heading there fails the build."""
    by_slug = {ch.slug: ch for ch in chapters}
    headings = {}
    rows = []
    for t in terms:
        ch = by_slug[t.slug]
        if ch.slug not in headings:
            parser = Headings()
            parser.feed(pages[ch.filename].decode("utf-8"))
            headings[ch.slug] = parser.headings
        if t.anchor not in headings[ch.slug]:
            raise SourceError(path, t.line, f"term {t.term!r}: {ch.filename} has no heading with id {t.anchor!r}")
        heading = " ".join(headings[ch.slug][t.anchor].split())
        rows.append({"term": t, "chapter": ch, "heading": heading, "href": f"{ch.filename}#{t.anchor}"})
    return rows
