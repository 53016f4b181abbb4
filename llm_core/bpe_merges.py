"""Byte-level BPE by merge rank, as Hugging Face's `tokenizers` and llama.cpp run it, read from a GGUF file.

`llm_core.tokenizer` ranks tokens (tiktoken: merge the adjacent pair whose concatenation is the
lowest-ranked token). Models published on Hugging Face ship a merge list instead ("Ġ t", "Ġ a", "i n",
..., in the order training learned them): the adjacent pair listed earliest merges first (the leftmost
one on a tie), again and again, and only listed pairs ever merge. The two rules can split a word
differently ("abc" may be a token that the list builds as "a"+"bc" but never as "ab"+"c"), so this module
follows the list. A GGUF file carries the list as `tokenizer.ggml.merges`, the vocabulary as
`tokenizer.ggml.tokens` and the pre-tokenizer's name as `tokenizer.ggml.pre`.

Tokens and merges are written in GPT-2's byte-to-unicode alphabet (`bytes_to_unicode`): every byte is
one visible character, so a token is a plain string ("Ġthe" is b" the"). Printable bytes stand for
themselves ("a" is 0x61, "é" is 0xE9); the other 68 (control bytes, space, 0x7F-0xA0, 0xAD) map, in
order, to U+0100.. ("Ā" is 0x00, "Ġ" is 0x20, the space; "Ċ" is 0x0A, the newline).

SmolLM2's pipeline (its tokenizer.json on the Hugging Face hub, as a third-party exporter that pins the
file checks it; llama.cpp's src/llama-vocab.cpp, where "smollm" splits by "\\p{N}", then by GPT-2's
regex): no normalizer; the pre-tokenizer Sequence[Digits(individual_digits=True),
ByteLevel(add_prefix_space=False, use_regex=True)], i.e. every digit (\\p{N}) is a piece of its own and
the text between digits is split by GPT-2's regex; a BPE model with no unk_token, no byte fallback and
ignore_merges false. The tests build that pipeline in Hugging Face's tokenizers from the GGUF's
vocabulary and merges, and compare ids.

References: Sennrich et al. 2016 (BPE); Radford et al. 2019 and openai/gpt-2 src/encoder.py
(`bytes_to_unicode`, the regex); Hugging Face tokenizers src/models/bpe/word.rs (`merge_all`: a priority
queue of (rank, position)); llama.cpp src/llama-vocab.cpp (`llm_tokenizer_bpe`, the pre-tokenizer table).

>>> vocab = {b"a": 0, b"b": 1, b"c": 2, b" ": 3, b"bc": 4, b"abc": 5, b"ab": 6}
>>> merges = {(b"b", b"c"): 0, (b"a", b"bc"): 1, (b"a", b"b"): 2}
>>> enc = MergesEncoding("toy", GPT2_PAT_STR, vocab, merges, {"<|end|>": 7})
>>> enc.pretokenize("abc ab")
['abc', ' ab']
>>> enc.encode("abc ab")  # abc: b+c, then a+bc; " ab": a+b, and no pair with " " is listed
[5, 3, 6]
>>> enc.decode([5, 3, 6, 7])
'abc ab<|end|>'
"""

import heapq
import json

import numpy as np

from llm_core.data import read_bytes
from llm_core.tokenizer import Encoding


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> character table: 0x61 -> "a", 0x20 -> "Ġ", 0x0A -> "Ċ", 0x00 -> "Ā"."""
    printable = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    others = [b for b in range(256) if b not in printable]
    return {**{b: chr(b) for b in printable}, **{b: chr(0x100 + i) for i, b in enumerate(others)}}


ALPHABET = frozenset(bytes_to_unicode().values())
TO_BYTE = {ord(c): b for b, c in bytes_to_unicode().items()}  # for str.translate: character -> byte


def token_bytes(token: str) -> bytes:
    """A token in GPT-2's alphabet -> its bytes: "Ġthe" -> b" the". ValueError for other characters."""
    # subtle: translate passes characters outside the table through, and those below U+0100 would
    # then encode silently as a wrong byte, so the alphabet is checked first
    if not ALPHABET.issuperset(token):
        bad = next(c for c in token if c not in ALPHABET)
        raise ValueError(f"token {token!r} has {bad!r}, which is not in GPT-2's byte-level alphabet")
    return token.translate(TO_BYTE).encode("latin-1")


def merge_bpe(
    merge_ranks: dict[tuple[bytes, bytes], int], parts: list[bytes], steps: list | None = None
) -> list[bytes]:
    """Merge adjacent parts, the pair ranked lowest in the merge list first, until no listed pair is left.

    Ties (the same pair twice) go to the leftmost. As in Hugging Face's word.rs and llama.cpp, the pairs
    wait in a heap keyed (rank, position), so a long piece costs O(n log n): a merge leaves the entries
    of its neighbours' old pairs in the heap, and a popped entry whose pair is gone is skipped. With
    `steps` a list, each merge is appended as {"rank", "left", "right", "parts"}, as tokenizer.bpe does.

    >>> ranks = {(b"b", b"c"): 0, (b"a", b"bc"): 1, (b"a", b"b"): 2}
    >>> merge_bpe(ranks, [b"a", b"b", b"c", b"a", b"b"])  # b+c, then a+bc; a+b where no c follows
    [b'abc', b'ab']
    >>> merge_bpe({(b"a", b"a"): 0}, [b"a", b"a", b"a"])  # the leftmost pair merges
    [b'aa', b'a']
    """
    parts = list(parts)
    n = len(parts)
    right_of = list(range(1, n + 1))  # right_of[i]: index of the part after part i; -1: merged away
    left_of = list(range(-1, n - 1))
    heap = [(rank, i) for i in range(n - 1) if (rank := merge_ranks.get((parts[i], parts[i + 1]))) is not None]
    heapq.heapify(heap)
    while heap:
        rank, i = heapq.heappop(heap)
        j = right_of[i]
        if j < 0 or j >= n or merge_ranks.get((parts[i], parts[j])) != rank:
            continue  # stale: part i is gone, has no right neighbour, or one of the pair has grown
        left, right = parts[i], parts[j]
        parts[i] = left + right
        k = right_of[j]
        right_of[i], right_of[j] = k, -1
        if k < n:
            left_of[k] = i
            if (r := merge_ranks.get((parts[i], parts[k]))) is not None:
                heapq.heappush(heap, (r, i))
        if (h := left_of[i]) >= 0 and (r := merge_ranks.get((parts[h], parts[i]))) is not None:
            heapq.heappush(heap, (r, h))
        if steps is not None:
            steps.append({"rank": rank, "left": left, "right": right, "parts": chain(parts, right_of)})
    return chain(parts, right_of)


def chain(parts: list[bytes], right_of: list[int]) -> list[bytes]:
    """The parts not merged away, left to right."""
    out, i = [], 0
    while i < len(parts):
        out.append(parts[i])
        i = right_of[i]
    return out


# Hugging Face ByteLevel's regex (tokenizers src/pre_tokenizers/byte_level.rs), GPT-2's: the same
# matches as tokenizer.R50K_PAT_STR, which is tiktoken's rewriting of it.
GPT2_PAT_STR = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# SmolLM2's Sequence[Digits(individual_digits=True), ByteLevel] as one regex: each \p{N} alone, first;
# ` ?\p{N}+` dropped (no digit is left for it); and as a digit ends a piece, white space before a digit
# is white space at the end of its piece: `(?!\S)` becomes `(?![^\s\p{N}])`. No other alternative can
# match across a digit, so the pieces are those of the two steps.
SMOLLM_PAT_STR = r"""\p{N}|'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?[^\s\p{L}\p{N}]+|\s+(?![^\s\p{N}])|\s+"""
LLAMA3_PAT_STR = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"""
    r"""| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)  # Llama 3's tokenizer.json
QWEN2_PAT_STR = LLAMA3_PAT_STR.replace(r"\p{N}{1,3}", r"\p{N}")  # Qwen2's: digits one by one
# tokenizer.ggml.pre -> (pattern, ignore_merges), as llama.cpp's llama-vocab.cpp sets them.
# ignore_merges: a piece that is itself a token is taken whole, without merging (Llama 3's rule).
PRETOKENIZERS = {
    "smollm": (SMOLLM_PAT_STR, False),
    "starcoder": (SMOLLM_PAT_STR, False),
    "gpt-2": (GPT2_PAT_STR, False),
    "llama-bpe": (LLAMA3_PAT_STR, True),
    "llama3": (LLAMA3_PAT_STR, True),
    "qwen2": (QWEN2_PAT_STR, False),
}
TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_USER_DEFINED = 1, 3, 4  # tokenizer.ggml.token_type values


class MergesEncoding(Encoding):
    """A byte-level BPE tokenizer driven by a merge list, with tokenizer.Encoding's interface.

    `mergeable_ranks` maps each ordinary token's bytes to its id (widgets look ids up in it), but here
    it does not order the merges: `merge_ranks` does, (left bytes, right bytes) -> rank. `encode` never
    produces `special_tokens` (control and user-defined tokens): typed "<|im_end|>" is plain text.
    subtle: bytes that have no token are dropped before merging, as Hugging Face's BPE does without an
    unk_token. SmolLM2 lacks 21: 0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, and 0xC0, 0xC1, 0xF1, 0xF2,
    0xF5..0xFF (UTF-8 lead bytes of nothing or of unassigned planes). llama.cpp instead keeps such a
    byte as a part that no merge names and drops it at the end, so the bytes on either side of it never
    merge (a difference only for text with these bytes).
    """

    def __init__(
        self,
        name: str,
        pat_str: str,
        token_ids: dict[bytes, int],
        merge_ranks: dict[tuple[bytes, bytes], int],
        special_tokens: dict[str, int],
        ignore_merges: bool = False,
    ):
        super().__init__(name, pat_str, token_ids, special_tokens)
        self.merge_ranks = merge_ranks
        self.ignore_merges = ignore_merges
        self._byte_parts = [bytes([b]) if bytes([b]) in token_ids else None for b in range(256)]

    def __repr__(self) -> str:
        return f"<MergesEncoding {self.name!r}>"

    def start_parts(self, data: bytes) -> list[bytes]:
        """A piece's bytes as single-byte parts, leaving out the bytes that are not tokens."""
        return [p for p in map(self._byte_parts.__getitem__, data) if p is not None]

    def merge_piece(self, data: bytes, steps: list | None = None) -> list[bytes]:
        """One pre-token's bytes -> the bytes of its tokens."""
        if self.ignore_merges and data in self.mergeable_ranks:
            return [data]
        return merge_bpe(self.merge_ranks, self.start_parts(data), steps)

    def piece_ids(self, piece: str) -> list[int]:
        """One pre-token's ids, remembered: text repeats its words, and merging is the slow part."""
        ids = self._cache.get(piece)
        if ids is None:
            if len(self._cache) > 100_000:  # bound the memory a long stream of novel text can take
                self._cache.clear()
            ids = self._cache[piece] = [self.mergeable_ranks[p] for p in self.merge_piece(piece.encode())]
        return ids

    def encode(self, text: str) -> list[int]:
        """Text -> token ids. Special-token text like "<|im_end|>" is encoded as ordinary text."""
        return [i for piece in self.pretokenize(text) for i in self.piece_ids(piece)]

    encode_ordinary = encode

    def encode_with_trace(self, text: str) -> list[dict]:
        """encode, showing its work, in the shape of tokenizer.Encoding.encode_with_trace.

        A step's "rank" is the merge's place in the merge list (not a token id); "whole" is true where
        ignore_merges takes the piece as one token without merging.
        """
        trace = []
        for piece in self.pretokenize(text):
            data, steps = piece.encode(), []
            ids = [self.mergeable_ranks[p] for p in self.merge_piece(data, steps)]
            whole = self.ignore_merges and data in self.mergeable_ranks
            trace.append({"text": piece, "bytes": data, "steps": steps, "ids": ids, "whole": whole})
        return trace


def encoding_from_gguf_metadata(metadata: dict, name: str | None = None) -> MergesEncoding:
    """The tokenizer a GGUF file describes, from its metadata {key: value} (as llm_core.gguf reads it).

    Reads tokenizer.ggml.model (only "gpt2", byte-level BPE, is implemented), .pre (a key of
    PRETOKENIZERS), .tokens, .token_type and .merges; a ValueError names what is missing or unsupported.
    """

    def get(key: str):
        if key not in metadata:
            raise ValueError(f"GGUF metadata has no {key!r}")
        return metadata[key]

    model = get("tokenizer.ggml.model")
    if model != "gpt2":
        raise ValueError(
            f"tokenizer model {model!r} is not supported: only 'gpt2' (byte-level BPE with "
            "merges) is implemented, not 'llama' (SentencePiece) or others"
        )
    pre = get("tokenizer.ggml.pre")
    if pre not in PRETOKENIZERS:
        raise ValueError(f"pre-tokenizer {pre!r} is not implemented; supported: {', '.join(PRETOKENIZERS)}")
    pat_str, ignore_merges = PRETOKENIZERS[pre]
    tokens, merges = list(get("tokenizer.ggml.tokens")), get("tokenizer.ggml.merges")
    types = np.asarray(get("tokenizer.ggml.token_type"))
    if types.shape != (len(tokens),):
        raise ValueError(f"{types.size} token types for {len(tokens)} tokens")
    if (odd := np.flatnonzero(~np.isin(types, [TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_USER_DEFINED]))).size:
        i = int(odd[0])
        raise ValueError(
            f"token {i} ({tokens[i]!r}) has token type {int(types[i])}; only normal (1), "
            "control (3) and user-defined (4) tokens are supported"
        )
    normal = np.flatnonzero(types == TOKEN_NORMAL)
    special_tokens = {tokens[i]: int(i) for i in np.flatnonzero(types != TOKEN_NORMAL)}
    by_text = {tokens[i]: token_bytes(tokens[i]) for i in normal}  # "Ġthe" -> b" the"
    token_ids = {by_text[tokens[i]]: int(i) for i in normal}
    if len(token_ids) != len(normal):
        raise ValueError("two ordinary tokens have the same text")
    merge_ranks = {}
    for rank, merge in enumerate(merges):
        left, _, right = merge.partition(" ")
        if left not in by_text or right not in by_text or by_text[left] + by_text[right] not in token_ids:
            raise ValueError(f"merge {rank} ({merge!r}) joins parts that are not tokens, or makes one that is not")
        merge_ranks[by_text[left], by_text[right]] = rank
    if len(merge_ranks) != len(merges):
        raise ValueError("the merge list names a pair twice")
    label = name or metadata.get("general.basename") or metadata.get("general.name") or f"gguf {pre}"
    return MergesEncoding(label, pat_str, token_ids, merge_ranks, special_tokens, ignore_merges)


def load_merges_encoding(relpath: str, name: str | None = None) -> MergesEncoding:
    """A tokenizer kept as a data file of its own: the JSON of the five GGUF metadata keys it is made of
    (tokenizer.ggml.model, .pre, .tokens, .token_type, .merges), read with llm_core.data.read_bytes.

    The site ships SmolLM2's as "models/smollm2/tokenizer.json" (written by the build from the GGUF,
    sitebuild/smollm2_tokenizer.py), so a page can tokenize as SmolLM2 does without its 98 MB of weights.
    """
    return encoding_from_gguf_metadata(json.loads(read_bytes(relpath)), name)
