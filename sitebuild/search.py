"""The site's search index: every chapter, its headings, the figures it places and the glossary's terms, as
one small JSON file (`search-index.json`) that the search box of every page (site/static/js/search.js)
fetches when the reader first uses it. Nothing is searched on a server.

The index is read from the rendered pages, so it holds what readers see: a heading's text as shown (math as
its TeX, lightly cleaned), the anchors the pages really have. Its "body" text is short on purpose (a
chapter's summary, the opening of each section, the start of each figure's caption, a term's definition):
it ranks below titles and headings, and keeps the file small.

Each entry is [kind, title, url, chapter, body] with kind one of "chapter", "heading", "figure", "term".

>>> html = '<div class="prose"><h2 id="why">Why <em>tokens</em></h2><p>Because models read integers.</p></div>'
>>> entries_of_page("t.html", "Tokens", html)
[['heading', 'Why tokens', 't.html#why', 'Tokens', 'Because models read integers.']]
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from sitebuild.chapters import Chapter, SourceError
from sitebuild.glossary import term_id

BODY_CHARS = 160  # a section's opening or a caption is cut after about this many characters
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
GLOSSARY_KEYS = ("term", "definition", "slug", "anchor")
# TeX commands shown as their symbol; any other command is dropped (its braces too, its argument kept).
TEX_SYMBOLS = {
    "sqrt": "√",
    "approx": "≈",
    "times": "×",
    "cdot": "·",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "to": "→",
    "in": "∈",
    "sum": "Σ",
    "infty": "∞",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "sigma": "σ",
    "pi": "π",
    "eta": "η",
    "epsilon": "ε",
}


def tex_text(tex: str) -> str:
    r"""A formula's TeX as plain text for a search result: \sqrt{d_\text{head}} -> √d_head.

    >>> tex_text(r"\sqrt{d_\text{head}}"), tex_text(r"\sqrt{32} \approx 5.66"), tex_text(r"a \times b")
    ('√d_head', '√32 ≈ 5.66', 'a × b')
    """
    for command, symbol in TEX_SYMBOLS.items():
        tex = re.sub(rf"\\{command}(?![A-Za-z])", symbol, tex)
    return " ".join(re.sub(r"\\[A-Za-z]+|[{}]|\\[,;! ]", "", tex).split())


def shorten(text: str, limit: int = BODY_CHARS) -> str:
    """Whole words up to about `limit` characters, with an ellipsis when cut.

    >>> shorten("one two three", 8)
    'one two…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


class PageText(HTMLParser):
    """A chapter page's headings (h2, h3 with an id, in the prose but not inside a figure), the paragraph
    that follows each, and its figures (id, widget name, caption). Text a screen reader skips
    (aria-hidden: KaTeX's drawn formula) is skipped; a formula counts as its TeX."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.headings: list[dict] = []  # {id, title, body}
        self.figures: list[dict] = []  # {id, widget, caption}
        self.capture: list[str] | None = None
        self.capturing: tuple[str, int] | None = None  # (what, depth at which it ends)
        self.want_body = False

    def _inside(self, test) -> bool:
        return any(test(tag, attrs) for tag, attrs in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in VOID:
            return
        self.stack.append((tag, attrs))
        depth = len(self.stack)
        in_prose = self._inside(lambda t, a: "prose" in (a.get("class") or "").split())
        in_figure = self._inside(lambda t, a: t == "figure")
        if tag == "figure" and "widget" in (attrs.get("class") or "").split():
            self.figures.append({"id": attrs.get("id", ""), "widget": attrs.get("data-widget", ""), "caption": ""})
        elif tag == "figcaption" and self.figures and in_figure:
            self._start("caption", depth)
        elif tag in ("h2", "h3") and in_prose and not in_figure and attrs.get("id"):
            self.headings.append({"id": attrs["id"], "title": "", "body": ""})
            self.want_body = True
            self._start("title", depth)
        elif tag == "p" and in_prose and not in_figure and self.want_body and self.capturing is None:
            self.want_body = False
            self._start("body", depth)
        elif tag == "figure":
            self.want_body = False  # a section that opens with a figure has no opening paragraph to show

    def _start(self, what, depth):
        if self.capturing is None:
            self.capture, self.capturing = [], (what, depth)

    def handle_endtag(self, tag):
        if tag in VOID or not self.stack:
            return
        while self.stack:  # close up to the matching tag (the build's HTML is well formed)
            depth = len(self.stack)
            open_tag, _ = self.stack.pop()
            if self.capturing and self.capturing[1] == depth:
                self._finish()
            if open_tag == tag:
                break

    def _finish(self):
        what, _ = self.capturing
        text = " ".join("".join(self.capture).split())
        if what == "caption":
            self.figures[-1]["caption"] = text
        elif what == "title":
            self.headings[-1]["title"] = text
        else:
            self.headings[-1]["body"] = text
        self.capture = self.capturing = None

    def handle_data(self, data):
        if self.capture is None:
            return
        if self._inside(lambda t, a: a.get("aria-hidden") == "true"):
            return
        if self._inside(lambda t, a: t == "math"):
            if self.stack[-1][0] == "annotation":
                self.capture.append(tex_text(data))
            return
        self.capture.append(data)


def widget_title(name: str) -> str:
    """tokenizer_compare -> "Tokenizer compare" (a figure's name as the search shows it)."""
    return name.replace("_", " ").capitalize()


def entries_of_page(filename: str, chapter_title: str, html: str) -> list[list[str]]:
    """The headings and figures of one rendered chapter page, as index entries."""
    page = PageText()
    page.feed(html)
    page.close()
    entries = [
        ["heading", h["title"], f"{filename}#{h['id']}", chapter_title, shorten(h["body"])] for h in page.headings
    ]
    for f in page.figures:
        title = f"{widget_title(f['widget'])} ({f['widget']})"
        entries.append(["figure", title, f"{filename}#{f['id']}", chapter_title, shorten(f["caption"])])
    return entries


def read_glossary(path: Path) -> list[dict]:
    """The glossary's terms, [{"term", "definition", "slug", "anchor"}, ...], or [] if there is no file."""
    if not path.is_file():
        return []
    try:
        terms = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SourceError(path, e.lineno, f"not valid JSON: {e.msg}") from None
    if not isinstance(terms, list):
        raise SourceError(path, 1, "the glossary must be a list of terms")
    for i, t in enumerate(terms):
        if not isinstance(t, dict) or any(not isinstance(t.get(k), str) for k in GLOSSARY_KEYS):
            raise SourceError(path, 1, f"term {i + 1}: needs text for each of {', '.join(GLOSSARY_KEYS)}")
    return terms


def search_index(pages: dict[str, bytes], chapters: list[Chapter], glossary: list[dict]) -> bytes:
    """The index as JSON bytes: chapters in reading order, each followed by its headings and figures, then
    the glossary's terms (linked to their entry on glossary.html, #term-NAME)."""
    entries = []
    for ch in chapters:
        entries.append(["chapter", ch.title, ch.filename, f"Chapter {ch.order}", ch.summary])
        entries += entries_of_page(ch.filename, ch.title, pages[ch.filename].decode("utf-8"))
    for t in glossary:
        entries.append(["term", t["term"], f"glossary.html#{term_id(t['term'])}", "Glossary", shorten(t["definition"])])
    text = json.dumps({"version": 1, "entries": entries}, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")
