"""A chapter's Markdown as HTML: math rendered by KaTeX at build time, inline code read as CommonMark
does, code blocks and tables reachable by keyboard, arXiv citations linked; and its reading time."""

import math
import re
from pathlib import Path

import markdown
from markdown.extensions import toc

from sitebuild import math as mathtex
from sitebuild.chapters import Chapter, SourceError, line_of
from sitebuild.code_spans import CommonMarkCodeSpans

ROOT = Path(__file__).resolve().parents[1]
WORDS_PER_MINUTE = 220


def heading_slugify(formulas: list[tuple[str, bool]]):
    """A heading's id as Python-Markdown makes it, with a formula read as its TeX's letters and digits
    ("Scaling by $\\sqrt{d_\\text{head}}$" -> "scaling-by-d-head"), not as the placeholder it stands in for."""

    def slug(value: str, separator: str) -> str:
        def letters(m):
            return re.sub(r"\\[A-Za-z]+|[^A-Za-z0-9]", " ", formulas[int(m.group(1))][0])

        return toc.slugify(re.sub(r"GLASSBOXMATH(\d+)END", letters, value), separator)

    return slug


def markdown_to_html(text: str, chapter: Chapter | None = None) -> tuple[str, list[dict], bool]:
    """Markdown (with $math$) -> (HTML, table of contents, whether it holds math)."""
    text, formulas = mathtex.extract_math(text)
    rendered = mathtex.render(formulas, ROOT / "node_modules")
    for (tex, _), r in zip(formulas, rendered):
        if "error" in r:
            path, line = (chapter.path, line_of(chapter, tex)) if chapter else (Path("?"), 1)
            raise SourceError(path, line, f"math does not render ({r['error']}): {tex}")
    md = markdown.Markdown(
        extensions=["extra", "toc", "sane_lists", "smarty", CommonMarkCodeSpans()],
        extension_configs={"toc": {"toc_depth": "2-3", "slugify": heading_slugify(formulas)}},
    )
    # A code block or a table may scroll sideways on a phone: make it focusable so keyboard users can
    # scroll it too (a table gets a labelled scrolling box around it).
    body = md.convert(text).replace("<pre>", '<pre tabindex="0">')
    body = body.replace(
        "<table>", '<div class="table-scroll" tabindex="0" role="region" aria-label="Table"><table>'
    ).replace("</table>", "</table></div>")
    return link_arxiv(mathtex.restore(body, rendered, formulas)), md.toc_tokens, bool(formulas)


ARXIV = re.compile(r"(?<![\w/.])arXiv:(\d{4}\.\d{4,5})(v\d+)?")
NO_LINKS_INSIDE = re.compile(r"(<a[\s>].*?</a>|<code>.*?</code>|<pre.*?</pre>|<[^>]*>)", re.S)


def link_arxiv(html: str) -> str:
    """Plain-text citations like arXiv:2203.15556 become links to the paper (not inside links, code or tags)."""
    parts = NO_LINKS_INSIDE.split(html)
    for i in range(0, len(parts), 2):  # even parts are text between tags, links and code
        parts[i] = ARXIV.sub(lambda m: f'<a href="https://arxiv.org/abs/{m[1]}{m[2] or ""}">{m[0]}</a>', parts[i])
    return "".join(parts)


def reading_minutes(text: str) -> int:
    return max(1, math.ceil(len(re.findall(r"\w+", text)) / WORDS_PER_MINUTE))
