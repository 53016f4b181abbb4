"""Chapters: Markdown files with front matter and block directives, parsed before anything is written.

A chapter file starts with a front-matter block:

    ---
    title: Tokenization
    slug: tokenization
    order: 1
    level: Beginner
    summary: How text becomes the integers a model reads.
    ---

and may contain block directives (fenced by `:::` lines):

    ::: widget tokenizer_compare {"text": "Hello"}      a widget; JSON overrides its DEFAULTS;
    Caption in Markdown.                                 the body becomes the figure caption
    :::
    ::: takeaway                                         a takeaway box (also: note)
    Markdown.
    :::
    ::: check                                            "Check yourself": questions a reader answers
    Q: Set the temperature to 0.1: which token ...?      with the chapter's widgets, each answer
    A: ` the`, at 97%: notice that ...                   revealed on demand (<details>); Markdown,
       a line that starts with neither Q: nor A:         at least three Q:/A: pairs, one check
       continues the question or answer above it.        per chapter
    Q: ...
    A: ...
    :::

Errors name the file and line (`chapters/01-tokenization.md:12: ...`).
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

LEVELS = ("Beginner", "Intermediate", "Deep")
REQUIRED = ("title", "slug", "order", "level", "summary")
BOXES = ("takeaway", "note")
CHECK_MIN = 3  # questions in a "check yourself" section: enough for a class to work through
QA_RE = re.compile(r"^([QA]):\s*(.*)$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DIRECTIVE_RE = re.compile(r"^:::\s*(\w+)\s*(.*?)\s*$")


class SourceError(ValueError):
    """A problem in a source file, located by path and line."""

    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line = path, line


@dataclass
class Question:
    """One "check yourself" question and its answer, both Markdown; line is the Q: line in the file."""

    line: int
    question: str
    answer: str


@dataclass
class Block:
    """One directive: kind is 'widget', 'check' or a box name; body is Markdown; line is 1-based in the file."""

    kind: str
    line: int
    body: str
    name: str = ""  # widget name
    params: dict = field(default_factory=dict)
    questions: list[Question] = field(default_factory=list)  # kind 'check'


@dataclass
class Chapter:
    path: Path
    title: str
    slug: str
    order: int
    level: str
    summary: str
    body: str  # Markdown with each directive replaced by a placeholder paragraph
    body_line: int  # line of the file where body starts
    blocks: list[Block]
    source: str  # the whole file, for locating links by line

    @property
    def filename(self) -> str:
        return f"{self.slug}.html"


def placeholder(i: int) -> str:
    return f"GLASSBOXBLOCK{i}END"


def parse_front_matter(path: Path, text: str) -> tuple[dict, int]:
    """-> (fields, index of the first body line). Simple `key: value` lines between `---` fences."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise SourceError(path, 1, "front matter missing: the file must start with a '---' line")
    meta = {}
    for i, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip().isidentifier():
            raise SourceError(path, i, f"front matter line is not 'key: value': {line!r}")
        meta[key.strip()] = (value.strip(), i)
    else:
        raise SourceError(path, 1, "front matter not closed by a '---' line")
    for key in REQUIRED:
        if key not in meta or not meta[key][0]:
            raise SourceError(path, 1, f"front matter lacks {key!r} (required: {', '.join(REQUIRED)})")
    unknown = sorted(set(meta) - set(REQUIRED))
    if unknown:
        raise SourceError(path, meta[unknown[0]][1], f"unknown front matter key {unknown[0]!r}")
    if not SLUG_RE.match(meta["slug"][0]):
        raise SourceError(path, meta["slug"][1], f"slug {meta['slug'][0]!r} must be lowercase words joined by '-'")
    if not meta["order"][0].isdigit():
        raise SourceError(path, meta["order"][1], f"order must be a whole number, got {meta['order'][0]!r}")
    if meta["level"][0] not in LEVELS:
        raise SourceError(path, meta["level"][1], f"level must be one of {', '.join(LEVELS)}, got {meta['level'][0]!r}")
    return {k: v for k, (v, _) in meta.items()}, i


def parse_blocks(path: Path, lines: list[str], first_line: int) -> tuple[str, list[Block]]:
    """Cut the directives out of the body. -> (body with placeholders, blocks)."""
    out, blocks = [], []
    i = 0
    while i < len(lines):
        m = DIRECTIVE_RE.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        lineno = first_line + i
        kind, rest = m.group(1), m.group(2)
        end = i + 1
        while end < len(lines) and lines[end].strip() != ":::":
            if DIRECTIVE_RE.match(lines[end]):
                raise SourceError(path, first_line + end, "directive opened inside another; close the first with ':::'")
            end += 1
        if end == len(lines):
            raise SourceError(path, lineno, f"'::: {kind}' is never closed by a ':::' line")
        body = "\n".join(lines[i + 1 : end])
        if kind == "widget":
            name, _, params_text = rest.partition(" ")
            if not name:
                raise SourceError(path, lineno, "'::: widget' needs a widget name")
            try:
                params = json.loads(params_text) if params_text.strip() else {}
            except json.JSONDecodeError as e:
                raise SourceError(path, lineno, f"widget parameters are not valid JSON: {e}") from None
            if not isinstance(params, dict):
                raise SourceError(path, lineno, "widget parameters must be a JSON object")
            blocks.append(Block("widget", lineno, body, name=name, params=params))
        elif kind in BOXES or kind == "check":
            if rest:
                raise SourceError(path, lineno, f"'::: {kind}' takes no arguments")
            questions = []
            if kind == "check":
                if any(b.kind == "check" for b in blocks):
                    raise SourceError(path, lineno, "a chapter has one '::: check' section")
                questions = parse_questions(path, lines[i + 1 : end], lineno + 1)
            blocks.append(Block(kind, lineno, body, questions=questions))
        else:
            raise SourceError(path, lineno, f"unknown directive {kind!r} (known: widget, check, {', '.join(BOXES)})")
        out += ["", placeholder(len(blocks) - 1), ""]
        i = end + 1
    return "\n".join(out), blocks


def parse_questions(path: Path, lines: list[str], first_line: int) -> list[Question]:
    """The body of '::: check': `Q:` and `A:` lines in turn, each followed by its continuation lines.

    ["Q: Which?", "A: This,", "  because."] -> [Question(first_line, "Which?", "This,\\nbecause.")]
    """
    pairs: list[list] = []  # [line, question lines, answer lines or None]
    for n, line in enumerate(lines, start=first_line):
        m = QA_RE.match(line.strip())
        if m and m.group(1) == "Q":
            if pairs and pairs[-1][2] is None:
                raise SourceError(path, pairs[-1][0], "question without an answer: follow it with an 'A:' line")
            pairs.append([n, [m.group(2)], None])
        elif m:
            if not pairs or pairs[-1][2] is not None:
                raise SourceError(path, n, "answer without a question: put a 'Q:' line before it")
            pairs[-1][2] = [m.group(2)]
        elif line.strip():
            if not pairs:
                raise SourceError(path, n, "'::: check' holds only 'Q:' and 'A:' lines (and their continuations)")
            (pairs[-1][1] if pairs[-1][2] is None else pairs[-1][2]).append(line.strip())
    if pairs and pairs[-1][2] is None:
        raise SourceError(path, pairs[-1][0], "question without an answer: follow it with an 'A:' line")
    if len(pairs) < CHECK_MIN:
        raise SourceError(path, first_line - 1, f"'::: check' needs at least {CHECK_MIN} questions, has {len(pairs)}")
    questions = [Question(n, "\n".join(q).strip(), "\n".join(a).strip()) for n, q, a in pairs]
    for q in questions:
        if not q.question or not q.answer:
            raise SourceError(path, q.line, "empty question or answer")
    return questions


def apostrophes(text: str) -> str:
    """model's -> model’s: front matter is shown as written, while Markdown's smarty curls the body's."""
    return re.sub(r"(?<=\w)'(?=\w)", "\u2019", text)


def parse_chapter(path: Path) -> Chapter:
    text = path.read_text(encoding="utf-8")
    meta, body_start = parse_front_matter(path, text)
    lines = text.split("\n")[body_start:]
    body, blocks = parse_blocks(path, lines, body_start + 1)
    return Chapter(
        path=path,
        title=apostrophes(meta["title"]),
        slug=meta["slug"],
        order=int(meta["order"]),
        level=meta["level"],
        summary=apostrophes(meta["summary"]),
        body=body,
        body_line=body_start + 1,
        blocks=blocks,
        source=text,
    )


def line_of(chapter: Chapter, needle: str) -> int:
    """First line of the chapter's file containing needle (1 if none), to point errors at the source."""
    for i, line in enumerate(chapter.source.split("\n"), start=1):
        if needle in line:
            return i
    return 1
