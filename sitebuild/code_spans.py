"""Inline code as CommonMark reads it, with a token's edge spaces shown: `` ` Hello` `` is ·Hello.

Python-Markdown strips every space at both ends of an inline code span, so the token ` Hello` (with its
space, a different token from `Hello`) printed as `Hello`, and the chapters' sentences about tokens that
start with a space read wrong. CommonMark strips one space from each end only when both ends have one
and the span is not all spaces (`` `` `x` `` `` shows `x` with its backticks); anything else is kept. A
space left at either end is drawn as the widgets draw one in a token, a muted middle dot, so it can be
seen, and a line never breaks between it and the word it belongs to.

>>> import markdown
>>> md = markdown.Markdown(extensions=[CommonMarkCodeSpans()])
>>> md.convert("` Hello` is not `Hello`; `` `x` `` and ` `")
'<p><code><span class="code-space">·</span>Hello</code> is not <code>Hello</code>; <code>`x`</code> and \
<code><span class="code-space">·</span></code></p>'
"""

import xml.etree.ElementTree as etree

from markdown import util
from markdown.extensions import Extension
from markdown.inlinepatterns import BACKTICK_RE, BacktickInlineProcessor


def strip_code_span(text: str) -> str:
    """One space off each end when both ends have one and the text is not all spaces (CommonMark 6.1)."""
    text = text.replace("\n", " ")
    if len(text) >= 2 and text[0] == " " and text[-1] == " " and text.strip(" "):
        return text[1:-1]
    return text


class CommonMarkBacktick(BacktickInlineProcessor):
    def handleMatch(self, m, data):
        if m.group(1):
            return super().handleMatch(m, data)
        begin = m.start(0)
        start, end = self.find_code_spans(begin, data)
        if end is None:
            return None, begin, start
        el = etree.Element(self.tag)
        text = strip_code_span(data[start:end])
        core = text.strip(" ")
        lead = len(text) - len(text.lstrip(" "))
        trail = len(text) - len(text.rstrip(" ")) if core else 0
        if not (lead or trail):
            el.text = util.AtomicString(util.code_escape(text))
        else:
            el.text = util.AtomicString("")
            spaces(el, lead).tail = util.AtomicString(util.code_escape(core))
            if trail:
                spaces(el, trail)
        return el, begin, end + (start - begin)


def spaces(parent, n: int):  # -> the span drawing n spaces as dots
    span = etree.SubElement(parent, "span", {"class": "code-space"})
    span.text = util.AtomicString("·" * n)
    return span


class CommonMarkCodeSpans(Extension):
    def extendMarkdown(self, md):
        md.inlinePatterns.register(CommonMarkBacktick(BACKTICK_RE), "backtick", 190)
