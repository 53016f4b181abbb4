"""llm_core.data_pipeline against references: exact dedup on hand-built cases, MinHash against exact
Jaccard within binomial error, LSH's candidate rate against its S-curve by simulation, each Gopher rule on
documents crafted at its thresholds, and the mixture's arithmetic in closed form."""

import math

import numpy as np
import pytest

from llm_core.data_pipeline import (
    EMPTY,
    GOPHER_RULES,
    PRIME,
    DedupConfig,
    candidate_probability,
    document_hash,
    exact_duplicates,
    hash_functions,
    jaccard,
    lsh_candidates,
    lsh_threshold,
    minhash,
    minhash_jaccard,
    mixture_plan,
    near_duplicates,
    quality_failures,
    quality_signals,
    sample_sources,
    shingle_ids,
    shingles,
)

# -- exact duplicates ---------------------------------------------------------------------------------


def test_exact_duplicates_by_hand():
    docs = ["The Union is strong.", "the  union IS strong.\n", "The Union is strong!", "", " ", "The Union is strong."]
    assert exact_duplicates(docs) == [-1, 0, -1, -1, 3, 0]
    assert document_hash("ﬁne") == document_hash("fine")  # NFKC folds the ligature
    assert document_hash("a b") != document_hash("ab")  # spacing collapsed, never removed


# -- shingles and Jaccard ------------------------------------------------------------------------------


def test_shingles_by_hand():
    assert shingles("The state of the Union", 2) == {"the state", "state of", "of the", "the union"}
    assert shingles("Hi, there!", 5) == {"hi there"}  # shorter than n: one shingle
    assert shingles("  ", 3) == set() and shingles("", 3, "char") == set()
    assert shingles("abcd", 3, "char") == {"abc", "bcd"}
    assert shingles("A  B", 3, "char") == {"a b"}
    with pytest.raises(ValueError, match="unit"):
        shingles("x", 1, "token")


def test_jaccard_by_hand():
    assert jaccard({1, 2}, {2, 3, 4}) == 0.25
    assert jaccard(set(), set()) == 1.0 and jaccard({1}, set()) == 0.0


# -- MinHash ---------------------------------------------------------------------------------------------


def naive_minhash(ids, coeffs):
    """The signature by a Python loop over hash functions and shingles."""
    return [min(((int(a) * int(x) + int(c)) % PRIME for x in ids), default=EMPTY) for a, c in coeffs]


def test_minhash_equals_a_naive_loop():
    rng = np.random.default_rng(3)
    coeffs = hash_functions(40, rng)
    assert coeffs[:, 0].min() >= 1 and coeffs.max() < PRIME
    for text in ["the state of the union is strong", "a", ""]:
        ids = shingle_ids(shingles(text, 2))
        assert minhash(ids, coeffs).tolist() == naive_minhash(ids.tolist(), coeffs)


def pair_with_jaccard(n_shared, n_only_a, n_only_b, offset):
    shared = {f"s{offset}-{i}" for i in range(n_shared)}
    return shared | {f"a{offset}-{i}" for i in range(n_only_a)}, shared | {f"b{offset}-{i}" for i in range(n_only_b)}


def test_minhash_estimates_jaccard_within_binomial_error():
    """Over 200 pairs of known J, each estimate from k = 256 hash functions, the standardised errors
    (est - J) / sqrt(J (1 - J) / k) have mean about 0 and standard deviation about 1."""
    rng = np.random.default_rng(0)
    k = 256
    coeffs = hash_functions(k, rng)
    z = []
    for t in range(200):
        n_shared = int(rng.integers(5, 150))
        a, b = pair_with_jaccard(n_shared, int(rng.integers(1, 100)), int(rng.integers(1, 100)), t)
        j = jaccard(a, b)
        est = minhash_jaccard(minhash(shingle_ids(a), coeffs), minhash(shingle_ids(b), coeffs))
        z.append((est - j) / math.sqrt(j * (1 - j) / k))
    z = np.array(z)
    assert abs(z.mean()) < 4 / math.sqrt(len(z))  # mean of 200 unit-variance errors: within 4 standard errors
    assert 0.75 < z.std() < 1.25
    assert np.max(np.abs(z)) < 4.5


def test_identical_and_disjoint_sets():
    coeffs = hash_functions(64, np.random.default_rng(1))
    a, b = pair_with_jaccard(30, 0, 0, 0)
    sa, sb = minhash(shingle_ids(a), coeffs), minhash(shingle_ids(b), coeffs)
    assert minhash_jaccard(sa, sb) == 1.0
    c, d = pair_with_jaccard(0, 40, 40, 1)
    assert minhash_jaccard(minhash(shingle_ids(c), coeffs), minhash(shingle_ids(d), coeffs)) < 0.05
    empty = minhash(shingle_ids(set()), coeffs)
    assert minhash_jaccard(empty, empty) == 1.0 and minhash_jaccard(empty, sa) == 0.0


# -- LSH -------------------------------------------------------------------------------------------------


def naive_candidates(signatures, b, r):
    return sorted(
        (i, j)
        for i in range(len(signatures))
        for j in range(i + 1, len(signatures))
        if any(np.array_equal(signatures[i, k * r : (k + 1) * r], signatures[j, k * r : (k + 1) * r]) for k in range(b))
    )


def test_lsh_candidates_equal_every_pair_compared():
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 3, size=(30, 12)).astype(np.uint64)  # few values: many bands collide
    for b, r in [(12, 1), (6, 2), (4, 3), (1, 12)]:
        assert lsh_candidates(sigs, b, r) == naive_candidates(sigs, b, r)


@pytest.mark.parametrize("b, r", [(16, 8), (20, 5), (4, 2)])
def test_s_curve_against_simulation(b, r):
    """Pairs of sets with J = s, fresh hash functions each trial: the share that become candidates is
    1 - (1 - s^r)^b within 4 binomial standard errors."""
    rng = np.random.default_rng(b * 100 + r)
    trials = 300
    for s_shared, s_only in [(40, 20), (60, 10), (90, 5)]:  # J = 0.5, 0.75, 0.9
        a, c = pair_with_jaccard(s_shared, s_only // 2, s_only - s_only // 2, 0)
        s = jaccard(a, c)
        ids_a, ids_c = shingle_ids(a), shingle_ids(c)
        hits = 0
        for _ in range(trials):
            coeffs = hash_functions(b * r, rng)
            hits += bool(lsh_candidates(np.stack([minhash(ids_a, coeffs), minhash(ids_c, coeffs)]), b, r))
        p = float(candidate_probability(s, b, r))
        assert abs(hits / trials - p) <= 4 * math.sqrt(p * (1 - p) / trials) + 1 / trials, (s, hits, p)


def test_s_curve_closed_form():
    assert candidate_probability(0, 16, 8) == 0 and candidate_probability(1, 16, 8) == 1
    # MMDS 3.4.2's b = 20, r = 5, by hand: s = 0.8: 1 - (1 - 0.32768)^20 = 1 - 0.000356; s = 0.3: 1 - 0.99757^20
    assert round(float(candidate_probability(0.8, 20, 5)), 4) == 0.9996
    assert round(float(candidate_probability(0.3, 20, 5)), 4) == 0.0475
    t = lsh_threshold(20, 5)
    assert t == pytest.approx(0.5493, abs=1e-4)
    s = np.linspace(0.01, 0.99, 99)
    slope = np.gradient(candidate_probability(s, 16, 8), s)
    assert abs(s[np.argmax(slope)] - lsh_threshold(16, 8)) < 0.05  # the steepest point, approximately


def test_near_duplicates_groups_and_keeps_the_first():
    cfg = DedupConfig(n_bands=2, n_rows=2, threshold=0.6)
    sigs = np.array([[1, 2, 3, 4], [9, 9, 9, 9], [1, 2, 3, 5], [6, 2, 3, 5], [8, 8, 3, 4]], dtype=np.uint64)
    fates = near_duplicates(sigs, cfg)
    assert [f["of"] for f in fates] == [-1, -1, 0, 0, -1]  # 4 shares a band with 0, but estimates 0.5: kept
    assert fates[2]["estimate"] == 0.75 and fates[3]["estimate"] == 0.75  # 3 is no candidate of 0: joined via 2
    at_threshold = near_duplicates(sigs, DedupConfig(n_bands=2, n_rows=2, threshold=0.75))
    assert [f["of"] for f in at_threshold] == [-1, -1, 0, 0, -1]  # an estimate equal to the threshold counts
    sigs[4] = [1, 2, 3, 4]
    assert near_duplicates(sigs, cfg)[4] == {"of": 0, "estimate": 1.0}


# -- quality rules ---------------------------------------------------------------------------------------

GOOD = "The cat sat with the dog and that was all of it. "  # 12 words, 4 stop words, 3.25 letters a word


def words_doc(n, word="word"):
    return " ".join(["the", "of"] + [word] * (n - 2))


@pytest.mark.parametrize(
    "text, rule, broken",
    [
        (words_doc(50), "word count", False),
        (words_doc(49), "word count", True),
        (words_doc(100_000), "word count", False),
        (words_doc(100_001), "word count", True),
        ("the of abcd" + " abc" * 57, "mean word length", False),  # (3 + 2 + 4 + 57 * 3) / 60 = 3
        (words_doc(60, "abc"), "mean word length", True),  # (3 + 2 + 58 * 3) / 60 < 3
        ("the of abcdefghijkl" + " abcdefghij" * 57, "mean word length", False),  # (5 + 12 + 570) / 60 < 10
        (words_doc(60, "abcdefghijk"), "mean word length", True),  # (5 + 58 * 11) / 60 > 10
        (words_doc(54) + " #" * 6, "# per word", False),  # 6 / 60 = 0.1
        (words_doc(54) + " ##" * 6, "# per word", True),  # 12 / 60
        (words_doc(54) + " ..." * 6, "ellipses per word", False),  # 6 / 60 = 0.1
        (words_doc(53) + " …" * 7, "ellipses per word", True),  # 7 / 60
        ("\n".join(["- " + GOOD] * 9 + [GOOD]), "lines starting with a bullet", False),  # exactly 90%
        ("\n".join(["• " + GOOD] * 10), "lines starting with a bullet", True),
        ("\n".join([GOOD + "..."] * 3 + [GOOD] * 7), "lines ending in an ellipsis", False),  # 30%
        ("\n".join([GOOD + "…"] * 4 + [GOOD] * 6), "lines ending in an ellipsis", True),
        (words_doc(60) + " 1" * 15, "words with a letter", False),  # 60 / 75 = 0.8
        (words_doc(60) + " 1" * 16, "words with a letter", True),
        ("the of " + "word " * 60, "stop words", False),
        ("The, word " + "word " * 60, "stop words", True),  # "The," counts once: one stop word
    ],
)
def test_each_rule_at_its_threshold(text, rule, broken):
    signals = quality_signals(text)
    low, high = GOPHER_RULES[rule]
    assert (rule in dict(quality_failures(text))) == broken == (not low <= signals[rule] <= high)


def test_rule_values_by_hand():
    sig = quality_signals(words_doc(60) + " ..." * 6 + " …")
    assert sig["word count"] == 67 and sig["ellipses per word"] == 7 / 67
    assert quality_signals(words_doc(60, "abc"))["mean word length"] == (3 + 2 + 58 * 3) / 60
    assert quality_signals("with, That; HAVE")["stop words"] == 3
    assert quality_signals("")["word count"] == 0 and quality_failures("")[0] == ("word count", 0)
    assert GOPHER_RULES["word count"] == (50, 100_000) and GOPHER_RULES["# per word"] == (0, 0.1)


def test_real_text_passes():
    assert quality_failures(" ".join([GOOD] * 5)) == []


# -- the mixture -----------------------------------------------------------------------------------------


def test_mixture_plan_closed_form():
    plan = mixture_plan([2e12, 50e9, 10e9], [0.7, 0.2, 0.1], 1e12)
    assert plan["tokens"].tolist() == pytest.approx([7e11, 2e11, 1e11])
    assert plan["epochs"].tolist() == pytest.approx([0.35, 4.0, 10.0])
    scaled = mixture_plan([2e12, 50e9, 10e9], [7, 2, 1], 1e12)  # weights are normalised
    assert scaled["share"].tolist() == pytest.approx([0.7, 0.2, 0.1])
    assert scaled["tokens"].tolist() == pytest.approx([7e11, 2e11, 1e11])
    with pytest.raises(ValueError):
        mixture_plan([1, 2], [0, 0], 10)


def test_sampled_documents_match_the_weights():
    rng = np.random.default_rng(11)
    w = np.array([0.6, 0.3, 0.1])
    n = 20_000
    counts = sample_sources(w, n, rng)
    assert counts.sum() == n
    assert np.all(np.abs(counts - n * w) <= 4 * np.sqrt(n * w * (1 - w)))
