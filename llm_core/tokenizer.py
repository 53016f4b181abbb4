"""Byte-level BPE tokenization, token for token the same as OpenAI's tiktoken.

Text becomes token ids in two steps:

1. Pre-tokenize: a regex cuts the text into pieces (words with their leading space, runs of digits,
   punctuation, whitespace), so that no token ever spans two words.
2. Byte pair encoding: each piece, as UTF-8 bytes, starts as single bytes; the adjacent pair whose
   concatenation has the lowest rank in the vocabulary is merged, again and again, until no adjacent
   pair is a token. The ranks of the parts left are the token ids.

tiktoken's patterns are written for Rust's fancy-regex (`\\p{L}`, Unicode `\\s`);
`llm_core.pretokenizer.translate_pattern` rewrites them for Python's `re` (the browser's Pyodide has no `regex` package), with identical matches.
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
import re
import unicodedata

from llm_core.data import read_bytes
from llm_core.pretokenizer import ASTRAL, bmp_stand_in, compile_pattern, translate_pattern  # noqa: F401

# Patterns and special tokens as in tiktoken 0.14, tiktoken_ext/openai_public.py.
R50K_PAT_STR = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
CL100K_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
ENCODINGS = {  # name -> (pattern, special tokens); the vocabulary is the data file vocab/NAME.tiktoken
    "o200k_base": (O200K_PAT_STR, {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}),
    "cl100k_base": (
        CL100K_PAT_STR,
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
    "r50k_base": (R50K_PAT_STR, {"<|endoftext|>": 50256}),
}


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
    pair_ranks = [ranks.get(piece[i : i + 2], no_rank) for i in range(len(piece) - 1)]
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
    heap = [(rank, i) for i in range(n - 1) if (rank := ranks.get(piece[i : i + 2])) is not None]
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
            if (right := ranks.get(piece[i : next_start[k]])) is not None:
                heapq.heappush(heap, (right, i))
        if (h := prev_start[i]) >= 0 and (left := ranks.get(piece[h:k])) is not None:
            heapq.heappush(heap, (left, h))
    parts, i = [], 0
    while i < n:
        parts.append(piece[i : next_start[i]])
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

    def __init__(self, name: str, pat_str: str, mergeable_ranks: dict[bytes, int], special_tokens: dict[str, int]):
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
        return [text[m.start() : m.end()] for m in self._regex.finditer(masked)]

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
            raise KeyError(f"{e.args[0]!r} is not a token id of {self.name} (n_vocab {self.n_vocab})") from None

    def decode_bytes(self, ids: list[int]) -> bytes:
        return b"".join(self.decode_tokens_bytes(ids))

    def decode(self, ids: list[int]) -> str:
        """Ids -> text; bytes that are not valid UTF-8 (a cut-off character) become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")


# What an invisible character looks like in a chip when whitespace is shown.
WHITESPACE_MARKERS = {" ": "·", "\t": "→", "\n": "↵", "\r": "␍"}


def render_token(data: bytes, show_whitespace: bool = True) -> list[list[str]]:
    """A token's bytes -> display segments [kind, text]: "t" text, "w" marker, "x" bytes as hex.

    A token is a run of bytes, not of characters, so it can hold part of a character (an emoji split
    over several tokens): those bytes are shown as hex. Invisible characters get visible markers
    (like minbpe's render_token, with segments so a view can style each kind).

    b"\\xf0\\x9f" -> [["x", "<F0 9F>"]];  b" hi" (whitespace shown) -> [["w", "·"], ["t", "hi"]].
    """
    segs: list[list[str]] = []
    stray: list[int] = []  # bytes that are not a whole UTF-8 character

    def flush() -> None:
        if stray:
            segs.append(["x", "<" + " ".join(f"{b:02X}" for b in stray) + ">"])
            stray.clear()

    def add(kind: str, s: str) -> None:
        flush()
        if segs and segs[-1][0] == kind:
            segs[-1][1] += s
        else:
            segs.append([kind, s])

    # surrogateescape maps each byte that is not part of a valid character to U+DC80..U+DCFF.
    for ch in data.decode("utf-8", "surrogateescape"):
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            stray.append(o - 0xDC00)
        elif ch in WHITESPACE_MARKERS:
            if show_whitespace:
                add("w", WHITESPACE_MARKERS[ch])
            elif ch in " \t":
                add("t", ch)
            # else: a line break is drawn as a break after the chip, not inside it
        elif o < 0x20 or o == 0x7F:
            add("w", chr(0x2400 + o) if o < 0x20 else "\u2421")  # Unicode "control pictures"
        elif show_whitespace and ch.isspace():
            add("w", "\u2423")  # no-break space, ideographic space...: ␣
        elif show_whitespace and unicodedata.category(ch) == "Cf":
            add("w", f"\u27e8U+{o:04X}\u27e9")  # zero-width joiner, bidi marks...: ⟨U+200D⟩
        else:
            if unicodedata.category(ch).startswith("M") and not (segs and segs[-1][0] == "t" and not stray):
                add("w", "\u25cc")  # ◌: a combining mark with nothing to sit on
            add("t", ch)
    flush()
    return segs


@functools.cache
def get_encoding(name: str) -> Encoding:
    """One of OpenAI's encodings: "o200k_base" (GPT-4o), "cl100k_base" (GPT-4), "r50k_base" (GPT-2)."""
    if name not in ENCODINGS:
        raise ValueError(f"unknown encoding {name!r}; valid names: {', '.join(ENCODINGS)}")
    pat_str, special_tokens = ENCODINGS[name]
    ranks = load_tiktoken_bpe(read_bytes(f"vocab/{name}.tiktoken"))
    return Encoding(name, pat_str, ranks, special_tokens)
