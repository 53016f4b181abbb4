"""Byte-level BPE tokenization, token for token the same as OpenAI's tiktoken.

Text becomes token ids in two steps:

1. Pre-tokenize: a regex cuts the text into pieces (words with their leading space, runs of digits,
   punctuation, whitespace), so that no token ever spans two words.
2. Byte pair encoding: each piece, as UTF-8 bytes, starts as single bytes; the adjacent pair whose
   concatenation has the lowest rank in the vocabulary is merged, again and again, until no adjacent
   pair is a token. The ranks of the parts left are the token ids.

tiktoken's patterns are written for Rust's fancy-regex (`\\p{L}`, Unicode `\\s`); `translate_pattern`
rewrites them for Python's `re` (the browser's Pyodide has no `regex` package), with identical matches.
References: tiktoken's src/lib.rs (`byte_pair_merge`) and tiktoken_ext/openai_public.py (patterns and
special tokens, copied below); Sennrich et al. 2016, "Neural Machine Translation of Rare Words with
Subword Units"; Radford et al. 2019 (GPT-2, byte-level BPE).

>>> enc = get_encoding("o200k_base")
>>> enc.pretokenize("Hello world!!")
['Hello', ' world', '!!']
>>> enc.encode("Hello world!!")
[13225, 2375, 2618]
"""

import binascii
import functools
import heapq
import itertools
import re
import unicodedata

from llm_core.data import read_bytes

# Patterns and special tokens as in tiktoken 0.14, tiktoken_ext/openai_public.py.
R50K_PAT_STR = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
CL100K_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
O200K_PAT_STR = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
ENCODINGS = {  # name -> (pattern, special tokens); the vocabulary is the data file vocab/NAME.tiktoken
    "o200k_base": (O200K_PAT_STR, {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}),
    "cl100k_base": (CL100K_PAT_STR, {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258,
                                     "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260,
                                     "<|endofprompt|>": 100276}),
    "r50k_base": (R50K_PAT_STR, {"<|endoftext|>": 50256}),
}

# Rust's Unicode `\s` is the White_Space property (Unicode PropList.txt, unchanged since 6.3).
# subtle: Python's `\s` also matches U+001C..U+001F (it uses str.isspace, which counts the
# information separators); Rust's does not, so `\s` is always spelled out as this class.
WHITE_SPACE = [(0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
               (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)]
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
GENERAL_CATEGORIES = {"L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No",
                      "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So",
                      "Z", "Zs", "Zl", "Zp"}
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
            name, after = pat[i + 3:end], end + 1
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
                raise ValueError(f"unsupported group {pat_str[i:i + 6]!r}... in pattern {pat_str!r}")
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
            end, i = (escape_ranges(pat, i + 1, False, bmp_only) if pat[i + 1] == "\\"
                      else (literal_ranges(pat[i + 1], False), i + 2))
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


def load_tiktoken_bpe(data: bytes) -> dict[bytes, int]:
    """Parse a .tiktoken file, one `<base64 token> <rank>` per line: b"IQ== 0\\n" -> {b"!": 0}."""
    fields = data.split()  # token, rank, token, rank, ...
    if len(fields) % 2:
        raise ValueError("a .tiktoken file has two fields per line: <base64 token> <rank>")
    # map() over binascii keeps the 200k-line o200k file at ~0.1 s (a Python loop takes 0.15 s)
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2])))


SINGLE_BYTES = [bytes([b]) for b in range(256)]


def bpe(ranks: dict[bytes, int], piece: bytes, steps: list | None = None) -> list[bytes]:
    """Split piece into tokens by merging, each time, the adjacent pair whose concatenation ranks lowest.

    Ties go to the leftmost pair, as in tiktoken. With `steps` a list, every merge is appended to it
    as {"rank", "left", "right", "parts"} (parts: the split after that merge).

    >>> ranks = {b"a": 0, b"b": 1, b"c": 2, b"bc": 3, b"ab": 4, b"abc": 5}
    >>> bpe(ranks, b"abcab")  # bc (3) first, then ab (4), then a+bc = abc (5)
    [b'abc', b'ab']
    >>> bpe({b"a": 0, b"aa": 1}, b"aaa")  # a tie: the leftmost pair merges
    [b'aa', b'a']
    """
    parts = [SINGLE_BYTES[b] for b in piece]
    no_rank = 1 << 62  # larger than any rank: "this pair is not a token"
    # pair_ranks[i]: rank of parts[i] + parts[i + 1]. After a merge only its two neighbours change, so
    # each merge costs two dict lookups plus a min() and an index() that run in C.
    pair_ranks = [ranks.get(piece[i:i + 2], no_rank) for i in range(len(piece) - 1)]
    while pair_ranks:
        rank = min(pair_ranks)
        if rank == no_rank:
            break
        i = pair_ranks.index(rank)  # the leftmost of the lowest
        left, right = parts[i], parts[i + 1]
        parts[i] = left + right
        del parts[i + 1], pair_ranks[i]
        if i > 0:
            pair_ranks[i - 1] = ranks.get(parts[i - 1] + parts[i], no_rank)
        if i < len(pair_ranks):
            pair_ranks[i] = ranks.get(parts[i] + parts[i + 1], no_rank)
        if steps is not None:
            steps.append({"rank": rank, "left": left, "right": right, "parts": parts.copy()})
    return parts


def bpe_long(ranks: dict[bytes, int], piece: bytes) -> list[bytes]:
    """bpe for long pieces: the same merges in O(n log n) instead of O(n²).

    The candidate pairs wait in a heap keyed (rank, start), so the top is the lowest rank, leftmost;
    parts are a linked list of start offsets. 10 000 spaces: 0.02 s instead of 0.8 s; but for the
    short pieces of ordinary text the heap costs more than it saves, so Encoding uses it above 128 bytes.

    >>> bpe_long({b"a": 0, b"b": 1, b"c": 2, b"bc": 3, b"ab": 4, b"abc": 5}, b"abcab")
    [b'abc', b'ab']
    """
    n = len(piece)
    next_start = list(range(1, n + 1))  # next_start[i]: where the part after the one at i starts; -1: gone
    prev_start = list(range(-1, n - 1))
    heap = [(rank, i) for i in range(n - 1) if (rank := ranks.get(piece[i:i + 2])) is not None]
    heapq.heapify(heap)
    while heap:
        rank, i = heapq.heappop(heap)
        j = next_start[i]
        if j < 0 or j >= n:
            continue  # stale: the part at i was merged into its left neighbour, or has no right one
        k = next_start[j]
        if ranks.get(piece[i:k]) != rank:
            continue  # stale: a neighbour grew since this entry was pushed (ranks are unique per bytes)
        next_start[i], next_start[j] = k, -1  # merge piece[i:j] and piece[j:k]
        if k < n:
            prev_start[k] = i
            if (right := ranks.get(piece[i:next_start[k]])) is not None:
                heapq.heappush(heap, (right, i))
        if (h := prev_start[i]) >= 0 and (left := ranks.get(piece[h:k])) is not None:
            heapq.heappush(heap, (left, h))
    parts, i = [], 0
    while i < n:
        parts.append(piece[i:next_start[i]])
        i = next_start[i]
    return parts


def without_surrogates(text: str) -> str:
    """Lone surrogates -> U+FFFD and surrogate pairs -> their character, as tiktoken's encode does."""
    # subtle: str.isascii() is O(1) in CPython, so plain ASCII text skips the scan entirely.
    if text.isascii() or not re.search("[\ud800-\udfff]", text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class Encoding:
    """A byte-level BPE tokenizer: a pre-tokenizing regex plus a vocabulary of ranked byte strings.

    Same results as tiktoken.Encoding's encode_ordinary / decode for the same pattern and ranks.
    """

    def __init__(self, name: str, pat_str: str, mergeable_ranks: dict[bytes, int],
                 special_tokens: dict[str, int]):
        self.name = name
        self.pat_str = pat_str
        self.mergeable_ranks = mergeable_ranks
        self.special_tokens = special_tokens
        self._regex = compile_pattern(pat_str, bmp_only=True)  # see bmp_stand_in
        self._decoder = {rank: token for token, rank in mergeable_ranks.items()}
        self._decoder.update((rank, text.encode()) for text, rank in special_tokens.items())
        self._cache: dict[str, list[int]] = {}  # pre-token piece -> its ids; text repeats its words
        self._n_vocab = max(self._decoder, default=-1) + 1

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    @property
    def n_vocab(self) -> int:
        """One more than the largest id (ids may have gaps: o200k_base has no 199998)."""
        return self._n_vocab

    def pretokenize(self, text: str) -> list[str]:
        """The regex split: "Hi  there" -> ["Hi", " ", " there"] for o200k_base."""
        text = without_surrogates(text)
        if text.isascii() or not ASTRAL.search(text):
            return self._regex.findall(text)
        # one stand-in per code point keeps the match positions, so they cut the original text
        masked = ASTRAL.sub(lambda m: bmp_stand_in(m.group()), text)
        return [text[m.start():m.end()] for m in self._regex.finditer(masked)]

    def encode(self, text: str) -> list[int]:
        """Text -> token ids. Special tokens like "<|endoftext|>" are encoded as ordinary text."""
        ranks, cache, ids = self.mergeable_ranks, self._cache, []
        if len(cache) > 100_000:  # bound the memory a long stream of novel text can take
            cache.clear()
        for piece in self.pretokenize(text):
            piece_ids = cache.get(piece)
            if piece_ids is None:
                data = piece.encode()
                rank = ranks.get(data)
                # tiktoken's shortcut: a piece that is itself a token is not merged byte by byte
                if rank is not None:
                    piece_ids = [rank]
                else:
                    parts = bpe(ranks, data) if len(data) <= 128 else bpe_long(ranks, data)
                    piece_ids = [ranks[p] for p in parts]
                cache[piece] = piece_ids
            ids += piece_ids
        return ids

    encode_ordinary = encode  # tiktoken's name for encoding with special tokens as plain text

    def encode_with_trace(self, text: str) -> list[dict]:
        """encode, showing its work: per pre-token its bytes, the merges in order, and its ids.

        o200k_base, " hi!" -> [
          {"text": " hi", "bytes": b" hi", "ids": [5911], "whole": True, "steps": [
            {"rank": 312, "left": b" ", "right": b"h", "parts": [b" h", b"i"]},
            {"rank": 5911, "left": b" h", "right": b"i", "parts": [b" hi"]}]},
          {"text": "!", "bytes": b"!", "ids": [0], "whole": True, "steps": []}]
        "whole": the piece is itself a token, so encode looks it up without merging; the steps still
        show how merging reaches it (for the OpenAI vocabularies it always does, a test checks).
        subtle: each step keeps a copy of the parts, O(n²) memory for an n-byte piece: short texts only.
        """
        trace = []
        for piece in self.pretokenize(text):
            data, steps = piece.encode(), []
            parts = bpe(self.mergeable_ranks, data, steps)
            whole = data in self.mergeable_ranks
            ids = [self.mergeable_ranks[p] for p in ([data] if whole else parts)]
            trace.append({"text": piece, "bytes": data, "steps": steps, "ids": ids, "whole": whole})
        return trace

    def decode_tokens_bytes(self, ids: list[int]) -> list[bytes]:
        """Each id's bytes. A token may hold part of a character (r50k_base, "🙂"):
        [8582, 25081] -> [b'\\xf0\\x9f', b'\\x99\\x82']."""
        try:
            return [self._decoder[i] for i in ids]
        except KeyError as e:
            raise KeyError(f"{e.args[0]!r} is not a token id of {self.name} "
                           f"(n_vocab {self.n_vocab})") from None

    def decode_bytes(self, ids: list[int]) -> bytes:
        return b"".join(self.decode_tokens_bytes(ids))

    def decode(self, ids: list[int]) -> str:
        """Ids -> text; bytes that are not valid UTF-8 (a cut-off character) become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")


@functools.cache
def get_encoding(name: str) -> Encoding:
    """One of OpenAI's encodings: "o200k_base" (GPT-4o), "cl100k_base" (GPT-4), "r50k_base" (GPT-2)."""
    if name not in ENCODINGS:
        raise ValueError(f"unknown encoding {name!r}; valid names: {', '.join(ENCODINGS)}")
    pat_str, special_tokens = ENCODINGS[name]
    ranks = load_tiktoken_bpe(read_bytes(f"vocab/{name}.tiktoken"))
    return Encoding(name, pat_str, ranks, special_tokens)
