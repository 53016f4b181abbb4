"""Pre-tokenizer regexes: tiktoken's patterns, rewritten for Python's standard `re` module.

tiktoken writes its pre-tokenizer patterns for Rust's fancy-regex: `\\p{L}` (any letter), `\\p{N}`,
Unicode `\\s`, `(?i:...)`. The browser's Python (Pyodide) has no `regex` package, and `re` knows none
of these, so `translate_pattern` spells each one out as explicit code-point ranges built from
`unicodedata`, with the same matches as the Rust engine (up to the Unicode version: CPython 3.12 has
Unicode 15.0). `compile_pattern` caches the result; `bmp_stand_in` lets the tokenizer match a faster
BMP-only version of the pattern.

>>> re.findall(translate_pattern(r"\\p{L}+|\\p{N}"), "Straße 42 東京")
['Straße', '4', '2', '東京']
"""

import functools
import itertools
import re
import unicodedata

# Rust's Unicode `\s` is the White_Space property (Unicode PropList.txt, unchanged since 6.3).
# subtle: Python's `\s` also matches U+001C..U+001F (it uses str.isspace, which counts the
# information separators); Rust's does not, so `\s` is always spelled out as this class.
WHITE_SPACE = [
    (0x09, 0x0D),
    (0x20, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
]
# Code points scanned for general categories. Above U+323AF (the end of CJK Extension H) Unicode 15
# assigns nothing but plane 14's tags and variation selectors (U+E0000..U+E01EF), private use (Co) and
# unassigned (Cn); so scanning these ~205k code points, not all 1.1M, gives every category but C* in
# full. A test rescans the whole code space with the running Python's unicodedata to keep that true.
# The BMP comes first and alone: Encoding needs only it (see bmp_stand_in), a third of the scan.
CATEGORY_SCAN = [(0x0000, 0xFFFF), (0x10000, 0x323AF), (0xE0000, 0xE01FF)]
# Unicode simple case folding (CaseFolding.txt, status C and S) adds exactly two non-ASCII partners
# to ASCII letters: U+017F (long s) folds to "s", U+212A (Kelvin sign) to "k". Rust's `(?i)` uses it.
CASE_PARTNERS = {"s": "\u017f", "k": "\u212a"}
# The general categories `\p{..}` may name. C* (other) is left out: its unassigned and private-use
# code points lie outside CATEGORY_SCAN.
GENERAL_CATEGORIES = {
    "L",
    "Lu",
    "Ll",
    "Lt",
    "Lm",
    "Lo",
    "M",
    "Mn",
    "Mc",
    "Me",
    "N",
    "Nd",
    "Nl",
    "No",
    "P",
    "Pc",
    "Pd",
    "Ps",
    "Pe",
    "Pi",
    "Pf",
    "Po",
    "S",
    "Sm",
    "Sc",
    "Sk",
    "So",
    "Z",
    "Zs",
    "Zl",
    "Zp",
}
ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@functools.cache
def scan_categories(first: int, last: int) -> dict[str, list[tuple[int, int]]]:
    """General category -> runs of code points first..last: (0, 0xFFFF) -> {"Lu": [(65, 90), ...], ...}."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    start = first
    # groupby finds the runs in C; only the run boundaries (~3.5k) reach this Python loop
    for category, run in itertools.groupby(map(unicodedata.category, map(chr, range(first, last + 1)))):
        n = len(list(run))
        ranges.setdefault(category, []).append((start, start + n - 1))
        start += n
    return ranges


@functools.cache
def category_ranges(bmp_only: bool = False) -> dict[str, list[tuple[int, int]]]:
    """General category -> code point ranges, from the scans of CATEGORY_SCAN (or of the BMP alone).

    Built on first use. Measured: the BMP in 8 ms in CPython 3.12 and ~30 ms in Pyodide 0.27 (Node 20);
    the astral planes add 15 ms and ~40 ms.
    """
    table: dict[str, list[tuple[int, int]]] = {}
    for first, last in CATEGORY_SCAN[:1] if bmp_only else CATEGORY_SCAN:
        for category, ranges in scan_categories(first, last).items():
            table.setdefault(category, []).extend(ranges)
    return table


def union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge overlapping or touching ranges: [(5, 9), (0, 3), (4, 4)] -> [(0, 9)]."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """All code points not in ranges: [(0, 9), (20, 0x10FFFF)] -> [(10, 19)]."""
    gaps, next_cp = [], 0
    for lo, hi in union(ranges):
        if lo > next_cp:
            gaps.append((next_cp, lo - 1))
        next_cp = hi + 1
    if next_cp <= 0x10FFFF:
        gaps.append((next_cp, 0x10FFFF))
    return gaps


@functools.cache
def property_ranges(name: str, bmp_only: bool = False) -> list[tuple[int, int]]:
    """`\\p{name}` for a general category, one letter (L = Lu+Ll+Lt+Lm+Lo) or two (Lu)."""
    if name not in GENERAL_CATEGORIES:
        raise ValueError(f"unsupported Unicode property \\p{{{name}}}")
    return union([r for cat, rs in category_ranges(bmp_only).items() if cat.startswith(name) for r in rs])


def class_text(ranges: list[tuple[int, int]], negate: bool = False, bmp_only: bool = False) -> str:
    """A Python `re` character class for code point ranges: [(48, 57), (97, 97)] -> '[0-9a]'."""

    def char(cp: int) -> str:
        c = chr(cp)
        if c.isascii() and c.isalnum() or not c.isascii() and c.isprintable():
            return c
        # escape every ASCII symbol (`-`, `]`, `^`, `\`, `&&`...) and every invisible character
        return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"

    if bmp_only:
        ranges = [(lo, min(hi, 0xFFFF)) for lo, hi in ranges if lo <= 0xFFFF]
    body = "".join(char(lo) if lo == hi else f"{char(lo)}-{char(hi)}" for lo, hi in union(ranges))
    return f"[{'^' if negate else ''}{body}]"


ESCAPED_CHARS = {"r": "\r", "n": "\n", "t": "\t", "f": "\f", "v": "\v"}
GROUP_OPENER = re.compile(r"\(\?(?::|=|!|<=|<!|>)")  # (?:  (?=  (?!  (?<=  (?<!  (?>


def escape_ranges(pat: str, i: int, ignore_case: bool, bmp_only: bool) -> tuple[list[tuple[int, int]], int]:
    """The code points of the escape at pat[i] == "\\", and the index after it."""
    c = pat[i + 1]
    if c in "pP":
        if ignore_case:  # Rust would fold the class's case too (`(?i)\p{Lu}` matches "a")
            raise ValueError(f"\\{c} inside (?i:...) is not supported: {pat!r}")
        if pat[i + 2] == "{":
            end = pat.index("}", i + 2)
            name, after = pat[i + 3 : end], end + 1
        else:
            name, after = pat[i + 2], i + 3
        ranges = property_ranges(name, bmp_only)
        return (complement(ranges) if c == "P" else ranges), after
    if c in "sS":
        return (complement(WHITE_SPACE) if c == "S" else WHITE_SPACE), i + 2
    if c in "dD":  # Rust's Unicode \d is Nd, like Python's; spelled out so both use our table
        digits = property_ranges("Nd", bmp_only)
        return (complement(digits) if c == "D" else digits), i + 2
    if c in ESCAPED_CHARS:
        return [(ord(ESCAPED_CHARS[c]),) * 2], i + 2
    if c.isalnum() or not c.isascii():
        raise ValueError(f"unsupported escape \\{c} at {i} in pattern {pat!r}")
    return literal_ranges(c, ignore_case), i + 2


def literal_ranges(c: str, ignore_case: bool) -> list[tuple[int, int]]:
    """One literal character as ranges, with its case partners inside (?i:...)."""
    if not c.isascii():  # Encoding's astral stand-ins (below) rely on the pattern's literals being ASCII
        raise ValueError(f"non-ASCII literal {c!r} in a pattern is not supported")
    if not ignore_case or not c.isalpha():
        return [(ord(c), ord(c))]
    return [(ord(x), ord(x)) for x in {c.lower(), c.upper()} | set(CASE_PARTNERS.get(c.lower(), ""))]


def translate_pattern(pat_str: str, bmp_only: bool = False) -> str:
    """Rewrite a tiktoken (Rust fancy-regex) pattern so that Python's `re` finds the same matches.

    `\\p{..}`, `\\s`, `\\S`, `\\d` and every `[...]` class become explicit code point classes, letters
    inside `(?i:...)` become classes of their case partners, groups become non-capturing, and `$`
    becomes `\\Z`. Possessive quantifiers (`++`, `?+`, `{1,3}+`) and lookarounds pass through: Python
    3.11+ has them with the same meaning. With bmp_only, classes leave out code points above U+FFFF
    (for text that has none; see Encoding.pretokenize).

    >>> print(translate_pattern(r"(?i:'s)$|[\\s]"))
    (?:'[Ssſ])\\Z|[\\x09-\\x0d\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000]
    """
    out: list[str] = []
    ignore_case = [False]  # one entry per open group: is `(?i)` in force inside it?
    i = 0
    while i < len(pat_str):
        c = pat_str[i]
        if c == "\\":
            ranges, i = escape_ranges(pat_str, i, ignore_case[-1], bmp_only)
            out.append(class_text(ranges, bmp_only=bmp_only))
        elif c == "[":
            i = translate_class(pat_str, i, ignore_case[-1], bmp_only, out)
        elif c == "(":
            if pat_str.startswith("(?i:", i):
                out.append("(?:")
                ignore_case.append(True)
                i += 4
                continue
            m = GROUP_OPENER.match(pat_str, i)
            if m is None and pat_str.startswith("(?", i):
                raise ValueError(f"unsupported group {pat_str[i : i + 6]!r}... in pattern {pat_str!r}")
            # subtle: plain groups become non-capturing so that findall returns whole matches
            out.append(m.group() if m else "(?:")
            ignore_case.append(ignore_case[-1])
            i = m.end() if m else i + 1
        elif c == ")":
            ignore_case.pop()
            out.append(c)
            i += 1
        elif c == "$":
            # subtle: Python's `$` also matches just before a final "\n"; Rust's only at the very end
            out.append(r"\Z")
            i += 1
        elif c.isalpha() and ignore_case[-1]:
            out.append(class_text(literal_ranges(c, True), bmp_only=bmp_only))
            i += 1
        else:
            literal_ranges(c, False)  # checks that it is ASCII
            out.append(c)
            i += 1
    return "".join(out)


def translate_class(pat: str, i: int, ignore_case: bool, bmp_only: bool, out: list[str]) -> int:
    """Translate the `[...]` class starting at pat[i]; append it to out and return the index after it."""
    negate = pat.startswith("[^", i)
    i += 2 if negate else 1
    ranges: list[tuple[int, int]] = []
    first = True
    while first or pat[i] != "]":  # a "]" right after "[" or "[^" is a literal, as in Rust
        first = False
        if pat[i] == "[" or pat.startswith(("&&", "--", "~~"), i):
            raise ValueError(f"nested classes and set operations are not supported: {pat!r}")
        if pat[i] == "\\":
            item, i = escape_ranges(pat, i, ignore_case, bmp_only)
        else:
            item, i = literal_ranges(pat[i], ignore_case), i + 1
        if pat[i] == "-" and pat[i + 1] != "]":
            if len(item) != 1 or item[0][0] != item[0][1]:
                raise ValueError(f"unsupported range in class at {i} in pattern {pat!r}")
            end, i = (
                escape_ranges(pat, i + 1, False, bmp_only)
                if pat[i + 1] == "\\"
                else (literal_ranges(pat[i + 1], False), i + 2)
            )
            item = [(item[0][0], end[0][0])]
        ranges += item
    out.append(class_text(ranges, negate, bmp_only))
    return i + 1


@functools.lru_cache(maxsize=16)
def compile_pattern(pat_str: str, bmp_only: bool = False) -> re.Pattern:
    """translate_pattern, compiled (cached: every Encoding with this pattern shares it)."""
    return re.compile(translate_pattern(pat_str, bmp_only))


@functools.cache
def bmp_stand_in(ch: str) -> str:
    """A character below U+10000 that every translated pattern treats like ch: one of its category.

    Classes with astral ranges are slow in `re` (each astral range is tested one by one, for every
    character the class rejects: 40 ms instead of 3 ms for the o200k split of 100 KB of English), so
    Encoding matches a bmp_only pattern against the text with astral characters swapped for these.
    Same category is enough: astral characters are never white space, and pattern literals are ASCII.
    """
    category = unicodedata.category(ch)
    for lo, hi in category_ranges(bmp_only=True).get(category, []):
        for cp in range(max(lo, 0x100), min(hi, 0xFFFF) + 1):
            if chr(cp) not in CASE_PARTNERS.values() and not any(a <= cp <= b for a, b in WHITE_SPACE):
                return chr(cp)
    raise ValueError(f"no stand-in below U+10000 for category {category} of {ch!r}")
