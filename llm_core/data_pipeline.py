"""Preparing pretraining data: exact copies, near copies, junk, and how much of each source is read.

A crawl holds the same page many times, nearly the same page many more, and text no one should learn
from. Before training, a pipeline removes them and then decides how often each source is read.

**Exact duplicates**: each document's normalised text (Unicode NFKC, lower case, white space collapsed)
is hashed (SHA-1, hashlib); a document whose hash was seen before is a copy.

**Near duplicates** (Broder 1997, "On the resemblance and containment of documents"): a document is
the set of its shingles, its n-grams of words or of characters, and two documents resemble each other
by the Jaccard similarity J(A, B) = |A ∩ B| / |A ∪ B| of their sets. Comparing every pair is quadratic,
so each set is summarised by a **MinHash** signature: for each of k random hash functions h_i, the
smallest h_i(x) over its shingles. For a random permutation, P[min h(A) = min h(B)] = J(A, B), so the
fraction of equal entries estimates J with the binomial's standard error sqrt(J (1 - J) / k). The
hash functions are h_i(x) = (a_i x + c_i) mod p, p = 2^31 - 1, with a_i, c_i drawn from the caller's
rng (Carter and Wegman's universal hashing; datasketch's MinHash uses the same form with p = 2^61 - 1).

**LSH banding** (Leskovec, Rajaraman and Ullman, "Mining of Massive Datasets", ch. 3.4): cut the
k = b r entries into b bands of r rows; two documents become a candidate pair when all r rows of some
band agree. A pair with similarity s is a candidate with probability 1 - (1 - s^r)^b, an S-curve that
rises steepest near s = (1/b)^(1/r). Only candidates are compared, by their signatures' estimate.

**Quality rules**, a subset of Gopher's (Rae et al. 2021, arXiv:2112.11446, appendix A.1.1): keep a
document with 50 to 100,000 words, a mean word length of 3 to 10 characters, at most 0.1 "#" and at
most 0.1 ellipses per word, at most 90% of its lines starting with a bullet and 30% ending with an
ellipsis, at least 80% of its words holding a letter, and at least two of the stop words "the, be, to,
of, and, that, have, with". Words are split on white space (the paper does not say how); stop words
are counted with repeats, as Hugging Face's datatrove counts them (its `GopherQualityFilter`).

**The mixture**: sources are read in proportion to weights chosen for the run, not to their sizes, so
a small good source is read several times (epochs = its share of the run's tokens / its tokens) while
a large one is read in part; GPT-3's table 2.2 (Brown et al. 2020, arXiv:2005.14165) is such a plan.

>>> sorted(shingles("The state of the Union", 3))
['of the union', 'state of the', 'the state of']
>>> jaccard({"a", "b", "c"}, {"b", "c", "d"})
0.5
>>> round(candidate_probability(0.8, n_bands=20, n_rows=5), 4), round(lsh_threshold(20, 5), 3)
(0.9996, 0.549)
>>> exact_duplicates(["Hello  world", "hello world", "Goodbye"])
[-1, 0, -1]
"""

import hashlib
import unicodedata
from dataclasses import dataclass

import numpy as np

from .evaluation import words

PRIME = (1 << 31) - 1  # a Mersenne prime: (a x + c) < 2^62 + 2^31 stays exact in uint64
EMPTY = PRIME  # an empty set's MinHash: larger than any hash, so two empty sets agree


@dataclass(frozen=True)
class DedupConfig:
    unit: str = "word"  # shingles of "word"s or of "char"acters
    n: int = 5  # words (or characters) per shingle
    n_bands: int = 16  # LSH bands, b
    n_rows: int = 8  # rows per band, r; the signature holds b r hash values
    threshold: float = 0.7  # a candidate pair whose estimated Jaccard reaches this is a near duplicate

    @property
    def n_hashes(self):
        return self.n_bands * self.n_rows


# -- exact duplicates ------------------------------------------------------------------------------------


def normalize(text):  # str -> str
    """Unicode NFKC, lower case, every run of white space one space, none at the ends."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def document_hash(text):  # str -> hex str
    """SHA-1 of the normalised text: equal for documents that differ only in case and spacing."""
    return hashlib.sha1(normalize(text).encode("utf-8")).hexdigest()


def exact_duplicates(texts):  # [n_docs] str -> [n_docs] int
    """For each document, the index of the first earlier one with the same hash, or -1 (kept)."""
    first, out = {}, []
    for i, text in enumerate(texts):
        digest = document_hash(text)
        out.append(first.get(digest, -1))
        first.setdefault(digest, i)
    return out


# -- near duplicates: shingles, MinHash, LSH -------------------------------------------------------------


def shingles(text, n, unit="word"):  # str -> set of str
    """The set of the text's n-grams: of words (lower case, punctuation ignored) or of characters
    (of the normalised text). A text shorter than n is one shingle; an empty text has none."""
    if unit == "word":
        w = words(text)
        return {" ".join(w[i : i + n]) for i in range(max(1, len(w) - n + 1))} if w else set()
    if unit == "char":
        t = normalize(text)
        return {t[i : i + n] for i in range(max(1, len(t) - n + 1))} if t else set()
    raise ValueError(f"unit must be 'word' or 'char', got {unit!r}")


def jaccard(a, b):  # set, set -> float
    """|A ∩ B| / |A ∪ B|, the exact resemblance; two empty sets are identical (1.0)."""
    return len(a & b) / len(a | b) if a or b else 1.0


def shingle_ids(shingle_set):  # set of str -> [n_shingles] uint64 in [0, PRIME)
    """Each shingle as a number below p, from its BLAKE2b digest (the same in every Python process,
    unlike hash()); sorted, so a set always gives the same array."""
    ids = {
        int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little") % PRIME
        for s in shingle_set
    }
    return np.array(sorted(ids), dtype=np.uint64)


def hash_functions(n_hashes, rng):  # -> [n_hashes, 2] uint64: a in [1, p), c in [0, p)
    """k random hash functions h(x) = (a x + c) mod p, drawn from the caller's np.random.Generator."""
    a = rng.integers(1, PRIME, size=n_hashes, dtype=np.uint64)
    c = rng.integers(0, PRIME, size=n_hashes, dtype=np.uint64)
    return np.stack([a, c], axis=1)


def minhash(ids, coeffs):  # [n_shingles] uint64, [k, 2] uint64 -> [k] uint64
    """The MinHash signature: for each hash function, the smallest hash of any shingle (EMPTY if none)."""
    if ids.size == 0:
        return np.full(len(coeffs), EMPTY, dtype=np.uint64)
    hashed = (coeffs[:, :1] * ids[None, :] + coeffs[:, 1:]) % np.uint64(PRIME)  # [k, 1] * [1, n] -> [k, n]
    return hashed.min(axis=1)


def minhash_jaccard(sig_a, sig_b):  # [k], [k] -> float
    """MinHash's estimate of J: the fraction of the k hash functions whose minima agree."""
    return float(np.mean(sig_a == sig_b))


def candidate_probability(s, n_bands, n_rows):  # float or array -> same
    """P(a pair of similarity s shares at least one band): 1 - (1 - s^r)^b (MMDS, section 3.4.2)."""
    p = 1 - (1 - np.asarray(s, dtype=np.float64) ** n_rows) ** n_bands
    return float(p) if p.ndim == 0 else p


def lsh_threshold(n_bands, n_rows):  # -> float
    """Where the S-curve rises steepest, approximately: (1/b)^(1/r) (MMDS, section 3.4.3)."""
    return (1 / n_bands) ** (1 / n_rows)


def lsh_candidates(signatures, n_bands, n_rows):  # [n_docs, b r] -> sorted [(i, j)], i < j
    """Every pair of documents whose signatures agree on all r rows of at least one of the b bands."""
    pairs = set()
    for band in range(n_bands):
        buckets = {}
        for doc, sig in enumerate(signatures):
            buckets.setdefault(sig[band * n_rows : (band + 1) * n_rows].tobytes(), []).append(doc)
        for docs in buckets.values():
            pairs.update((i, j) for k, i in enumerate(docs) for j in docs[k + 1 :])
    return sorted(pairs)


def near_duplicates(signatures, cfg):  # [n_docs, b r], DedupConfig -> [n_docs] dicts
    """Each document's fate by LSH then MinHash: {"of": the earliest document of its group, or -1 if it
    is that earliest one, "estimate": the estimated J of the candidate pair that joined it to the group}.
    Candidates whose estimate reaches cfg.threshold are joined (union-find); each group keeps its first."""
    parent = list(range(len(signatures)))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    estimate = [0.0] * len(signatures)
    for i, j in lsh_candidates(signatures, cfg.n_bands, cfg.n_rows):
        est = minhash_jaccard(signatures[i], signatures[j])
        if est >= cfg.threshold:
            ri, rj = root(i), root(j)
            parent[max(ri, rj)] = min(ri, rj)  # the group is named by its earliest document
            estimate[j] = max(estimate[j], est)
    return [{"of": -1 if root(i) == i else root(i), "estimate": estimate[i]} for i in range(len(signatures))]


# -- quality rules (Gopher, Rae et al. 2021, appendix A.1.1) --------------------------------------------

STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
BULLETS = ("•", "-", "*", "‣", "–")
ELLIPSES = ("...", "…")
# rule -> (lowest kept, highest kept): the thresholds of appendix A.1.1
GOPHER_RULES = {
    "word count": (50, 100_000),
    "mean word length": (3, 10),
    "# per word": (0, 0.1),
    "ellipses per word": (0, 0.1),
    "lines starting with a bullet": (0, 0.9),
    "lines ending in an ellipsis": (0, 0.3),
    "words with a letter": (0.8, float("inf")),  # a share: at most 1 anyway
    "stop words": (2, float("inf")),
}


def quality_signals(text):  # str -> {rule: value}
    """What each of Gopher's rules measures on a document, in GOPHER_RULES' order."""
    ws = text.split()
    n = len(ws)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    bare = [w.strip(".,;:!?\"'()[]").lower() for w in ws]
    return {
        "word count": n,
        "mean word length": sum(map(len, ws)) / n if n else 0.0,
        "# per word": text.count("#") / n if n else 0.0,
        "ellipses per word": sum(text.count(e) for e in ELLIPSES) / n if n else 0.0,
        "lines starting with a bullet": sum(line.startswith(BULLETS) for line in lines) / len(lines) if lines else 0.0,
        "lines ending in an ellipsis": sum(line.endswith(ELLIPSES) for line in lines) / len(lines) if lines else 0.0,
        "words with a letter": sum(any(ch.isalpha() for ch in w) for w in ws) / n if n else 0.0,
        "stop words": sum(w in STOP_WORDS for w in bare),
    }


def quality_failures(text):  # str -> [(rule, value)]
    """The rules a document breaks, in order, each with its measured value; [] keeps it."""
    signals = quality_signals(text)
    return [(rule, signals[rule]) for rule, (low, high) in GOPHER_RULES.items() if not low <= signals[rule] <= high]


# -- the mixture -----------------------------------------------------------------------------------------


def mixture_plan(source_tokens, weights, total_tokens):  # [n_sources], [n_sources], int -> dict of [n_sources]
    """Tokens read from each source when a run of total_tokens samples sources by weight (normalised to
    sum to 1), and its epochs: how many times over each source is read (above 1: repeated)."""
    size = np.asarray(source_tokens, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != size.shape or np.any(w < 0) or w.sum() <= 0 or np.any(size <= 0):
        raise ValueError("need one weight >= 0 and one size > 0 per source, and some weight")
    tokens = w / w.sum() * total_tokens
    return {"share": w / w.sum(), "tokens": tokens, "epochs": tokens / size}


def sample_sources(weights, n_draws, rng):  # [n_sources], int -> [n_sources] counts
    """How many of n_draws documents come from each source when each draw picks a source by weight."""
    w = np.asarray(weights, dtype=np.float64)
    return rng.multinomial(n_draws, w / w.sum())
