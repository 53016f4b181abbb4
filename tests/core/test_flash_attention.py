"""llm_core.flash_attention against plain attention, a naive online softmax and the paper's loops counted.

The tiled result must equal llm_core.attention.scaled_dot_product_attention up to rounding for every shape
and block size (blocks that do not divide n, a single position, grouped-query heads, float32 and float64);
each online-softmax step must equal a softmax recomputed from every score seen so far; the tile grid must
equal what the full causal mask says about each tile; the traffic counts must equal Algorithm 0's and
Algorithm 1's loops of Dao et al. 2022 (arXiv:2205.14135) walked one block at a time.
"""

import math

import numpy as np
import pytest

from llm_core.attention import causal_mask, scaled_dot_product_attention
from llm_core.flash_attention import (
    FULL,
    PARTLY_MASKED,
    SKIPPED,
    attention_memory,
    flash_attention,
    hbm_accesses,
    online_softmax_step,
    paper_block_sizes,
    tile_status,
)
from tests.tolerances import U32, U64, assert_within, rounding_tolerance

RNG = np.random.default_rng(5)


def tolerance(q, k, v, block_k, dtype):
    """How far the tiled output may be from the plain one: both sum n_k terms w_j v_j, with weights from
    scores of d_head terms each, and the tiled one rescales its sums once per key tile (a rounding each).
    A score error e changes its exponential by a factor of about 1 + e, hence the score scale below."""
    n_k, d_head = k.shape[-2], k.shape[-1]
    n_terms = d_head + n_k + math.ceil(n_k / block_k) + 8
    score_scale = float((np.abs(q) @ np.swapaxes(np.abs(k), -1, -2)).max()) / math.sqrt(d_head) if n_k else 0.0
    u = U64 if dtype == np.float64 else U32
    return rounding_tolerance(n_terms, float(np.abs(v).max(initial=0)) * (1 + score_scale), u)


SHAPES = [  # n_q, n_k, d_head, block_q, block_k
    (1, 1, 4, 1, 1),
    (1, 1, 4, 64, 64),
    (7, 7, 8, 3, 2),
    (10, 10, 4, 4, 4),
    (17, 17, 16, 5, 7),
    (33, 33, 8, 64, 8),
    (32, 32, 32, 8, 8),
    (40, 40, 8, 1, 13),
    (3, 12, 8, 2, 5),  # three new queries at the end of twelve positions (a decode step with a cache)
    (1, 20, 8, 1, 6),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_equals_plain_attention(shape, causal, dtype):
    n_q, n_k, d_head, block_q, block_k = shape
    q = RNG.normal(size=(n_q, d_head)).astype(dtype)
    k, v = RNG.normal(size=(2, n_k, d_head)).astype(dtype)
    out, _ = flash_attention(q, k, v, block_q, block_k, causal=causal)
    plain, _ = scaled_dot_product_attention(q, k, v, causal_mask(n_q, n_k) if causal else None)
    assert out.dtype == dtype and out.shape == plain.shape
    assert_within(out, plain, tolerance(q, k, v, block_k, dtype), "tiled output")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_grouped_query_heads_broadcast(dtype):
    # 2 kv heads shared by 3 query heads each, as llm_core.attention.multi_head_attention groups them
    n_seq, d_head = 19, 8
    q = RNG.normal(size=(2, 3, n_seq, d_head)).astype(dtype)
    k, v = RNG.normal(size=(2, 2, 1, n_seq, d_head)).astype(dtype)
    out, trace = flash_attention(q, k, v, block_q=4, block_k=6)
    plain, _ = scaled_dot_product_attention(q, k, v, causal_mask(n_seq))
    assert out.shape == (2, 3, n_seq, d_head)
    assert_within(out, plain, tolerance(q, k, v, 6, dtype), "grouped-query output")
    # each query head against its own kv head, one at a time
    for h in range(6):
        one, _ = flash_attention(q[h // 3, h % 3], k[h // 3, 0], v[h // 3, 0], 4, 6)
        assert_within(one, out[h // 3, h % 3], tolerance(q, k, v, 6, dtype), f"head {h}")


def test_no_keys_is_refused():
    with pytest.raises(ValueError, match="at least one key"):
        flash_attention(np.ones((2, 4)), np.zeros((0, 4)), np.zeros((0, 4)), 2, 2, causal=False)


def naive_state(scores, v):
    """m, l and acc recomputed from every score seen so far, with math.exp."""
    m = max(scores)
    total = sum(math.exp(s - m) for s in scores if s != -math.inf)
    acc = sum(math.exp(s - m) * v[j] for j, s in enumerate(scores) if s != -math.inf)
    return m, total, acc


@pytest.mark.parametrize("seed", range(5))
def test_online_softmax_steps_against_naive_recomputation(seed):
    rng = np.random.default_rng(seed)
    n_rows, d_head = 3, 5
    widths = rng.integers(1, 5, size=6)
    m, total, acc = np.full(n_rows, -np.inf), np.zeros(n_rows), np.zeros((n_rows, d_head))
    seen, values = [[] for _ in range(n_rows)], []
    for t, width in enumerate(widths):
        scores = rng.normal(scale=3, size=(n_rows, width)) + t * rng.normal(size=(n_rows, 1))
        if t == 0:
            scores[0] = -np.inf  # row 0 sees only masked keys in its first tile
        scores[1, 0] = -np.inf  # a masked key inside a tile
        v = rng.normal(size=(width, d_head))
        m_before = m.copy()
        m, total, acc, rescale = online_softmax_step(m, total, acc, scores, v)
        values.extend(v)
        for r in range(n_rows):
            seen[r].extend(scores[r])
            exp_m, exp_l, exp_acc = naive_state(seen[r], values)
            assert m[r] == exp_m
            if exp_m == -math.inf:
                assert total[r] == 0 and rescale[r] == 0 and not acc[r].any()
                continue
            assert math.isclose(total[r], exp_l, rel_tol=1e-13)
            np.testing.assert_allclose(acc[r], exp_acc, rtol=1e-12, atol=1e-12 * exp_l * np.abs(values).max())
            expected_rescale = 0.0 if m_before[r] == -math.inf else math.exp(m_before[r] - m[r])
            assert math.isclose(rescale[r], expected_rescale, rel_tol=1e-15)
            assert rescale[r] <= 1


def test_watched_row_converges_to_the_exact_output():
    n_seq, d_head, block = 23, 8, 4
    q, k, v = RNG.normal(size=(3, n_seq, d_head))
    k[9] = 4 * q[17]  # key 9 scores high for query 17: the running max jumps when its tile arrives
    out, trace = flash_attention(q, k, v, block, block, watch=17)
    steps = trace["row"]
    assert [s["tile"] for s in steps] == [(4, j) for j in range(5)]  # row 17 is in query tile 4 (16..19)
    assert [s["keys"] for s in steps] == [(0, 4), (4, 8), (8, 12), (12, 16), (16, 20)]
    scores = (q[17] @ k.T) / math.sqrt(d_head)
    previous_m = -math.inf
    for s in steps:
        first, last = s["keys"]
        visible = scores[: min(last, 18)]  # key 18, 19 lie after query 17
        # (scores of a tile and of the whole row are summed in other orders: equal up to float64 rounding)
        assert math.isclose(s["m"], visible.max(), rel_tol=1e-14)
        assert math.isclose(s["tile_max"], scores[first : min(last, 18)].max(), rel_tol=1e-14)
        weights = np.exp(visible - visible.max()) / np.exp(visible - visible.max()).sum()
        assert math.isclose(s["l"], np.exp(visible - visible.max()).sum(), rel_tol=1e-13)
        np.testing.assert_allclose(s["out"], weights @ v[: len(visible)], rtol=1e-12, atol=1e-13)
        assert math.isclose(
            s["rescale"], math.exp(previous_m - s["m"]) if previous_m > -math.inf else 0.0, rel_tol=1e-13
        )
        previous_m = s["m"]
    assert steps[2]["rescale"] < 0.1  # the jump to key 9's score scales everything before it down
    np.testing.assert_allclose(steps[-1]["out"], out[17], rtol=0, atol=0)


@pytest.mark.parametrize(
    "n_q, n_k, block_q, block_k", [(1, 1, 1, 1), (10, 10, 4, 4), (13, 13, 3, 5), (6, 17, 4, 3), (9, 9, 20, 2)]
)
@pytest.mark.parametrize("causal", [True, False])
def test_tile_status_against_the_full_mask(n_q, n_k, block_q, block_k, causal):
    mask = causal_mask(n_q, n_k) if causal else np.ones((n_q, n_k), dtype=bool)
    status = tile_status(n_q, n_k, block_q, block_k, causal)
    assert status.shape == (math.ceil(n_q / block_q), math.ceil(n_k / block_k))
    for i in range(status.shape[0]):
        for j in range(status.shape[1]):
            tile = mask[i * block_q : (i + 1) * block_q, j * block_k : (j + 1) * block_k]
            expected = FULL if tile.all() else SKIPPED if not tile.any() else PARTLY_MASKED
            assert status[i, j] == expected, (i, j)
    _, trace = flash_attention(np.ones((n_q, 2)), np.ones((n_k, 2)), np.ones((n_k, 2)), block_q, block_k, causal)
    # Algorithm 1's order: key tiles outside, query tiles inside; skipped tiles are never visited
    expected_order = [(i, j) for j in range(status.shape[1]) for i in range(status.shape[0]) if status[i, j]]
    assert trace["order"] == expected_order


@pytest.mark.parametrize("n_tiles, block", [(1, 1), (4, 1), (4, 8), (9, 16)])
def test_causal_tile_counts_closed_form(n_tiles, block):
    # square tiles that divide n: T(T-1)/2 skipped, T on the diagonal (in full when a tile is one position)
    status = tile_status(n_tiles * block, n_tiles * block, block, block)
    assert (status == SKIPPED).sum() == n_tiles * (n_tiles - 1) // 2
    on_diagonal = PARTLY_MASKED if block > 1 else FULL
    assert (np.diag(status) == on_diagonal).all()
    assert (status == FULL).sum() == n_tiles * (n_tiles - 1) // 2 + (n_tiles if block == 1 else 0)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="block sizes"):
        tile_status(4, 4, 0, 2)
    with pytest.raises(ValueError, match="n_k >= n_q"):
        tile_status(5, 4, 2, 2)


# --- memory and traffic --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_seq, d_head, block_q, block_k, n_head, nbytes", [(1, 1, 1, 1, 1, 1), (8192, 128, 128, 64, 32, 2)]
)
def test_attention_memory_closed_form(n_seq, d_head, block_q, block_k, n_head, nbytes):
    r = attention_memory(n_seq, d_head, block_q, block_k, n_head, nbytes)
    assert r["scores"] == n_seq**2 * n_head * nbytes
    q_acc, k_v, s_tile, m_l = 2 * block_q * d_head, 2 * block_k * d_head, block_q * block_k, 2 * block_q
    assert r["tiles"] == (q_acc + k_v + s_tile + m_l) * n_head * nbytes
    # the tiles do not grow with the sequence; the scores grow with its square
    assert attention_memory(4 * n_seq, d_head, block_q, block_k, n_head, nbytes)["tiles"] == r["tiles"]
    assert attention_memory(4 * n_seq, d_head, block_q, block_k, n_head, nbytes)["scores"] == 16 * r["scores"]


def test_paper_block_sizes():
    # Algorithm 1, line 1: B_c = ceil(M / 4d), B_r = min(B_c, d)
    assert paper_block_sizes(4 * 64 * 100, 64) == (64, 100)
    assert paper_block_sizes(4 * 128 * 100 + 1, 128) == (101, 101)
    assert paper_block_sizes(128, 128) == (1, 1)


def walk_algorithm_0(n, d):
    """Algorithm 0, step by step: (reads, writes) in numbers."""
    reads = writes = 0
    reads += 2 * n * d  # 1. load Q, K
    writes += n * n  #    write S
    reads += n * n  # 2. read S
    writes += n * n  #    write P
    reads += n * n + n * d  # 3. load P, V
    writes += n * d  #    write O
    return reads, writes


def walk_algorithm_1(n, d, sram):
    """Algorithm 1, block by block (the last blocks may be short): (reads, writes) in numbers."""
    b_c = math.ceil(sram / (4 * d))
    b_r = min(b_c, d)
    reads, writes = 0, n * d + 2 * n  # line 2: O, l, m initialised in HBM
    for k0 in range(0, n, b_c):  # line 5
        cols = min(b_c, n - k0)
        reads += 2 * cols * d  # line 6: K_j, V_j
        for q0 in range(0, n, b_r):  # line 7
            rows = min(b_r, n - q0)
            reads += 2 * rows * d + 2 * rows  # line 8: Q_i, O_i, l_i, m_i
            writes += rows * d + 2 * rows  # lines 12-13: O_i, l_i, m_i
    return reads, writes


@pytest.mark.parametrize("n, d, sram", [(1, 1, 4), (100, 16, 1000), (1024, 64, 100_000), (3000, 128, 116_736)])
def test_hbm_accesses_walk_the_papers_loops(n, d, sram):
    r = hbm_accesses(n, d, sram)
    assert (r["standard_reads"], r["standard_writes"]) == walk_algorithm_0(n, d)
    assert (r["flash_reads"], r["flash_writes"]) == walk_algorithm_1(n, d, sram)
    assert r["standard"] == 4 * n * n + 4 * n * d
    assert r["flash"] == r["flash_reads"] + r["flash_writes"]


def test_hbm_accesses_follow_theorem_2():
    # Theorem 2: standard Theta(N d + N^2); FlashAttention Theta(N^2 d^2 / M): its count is about
    # 3 N d T_c = 3 N^2 d / B_c = 12 N^2 d^2 / M. For long sequences the ratio settles at 4 N^2 over
    # (3 N d + 4 N) N / B_c, which is 4 B_c / (3d + 4), about M / 3d^2.
    d, sram = 64, 100_000
    b_c = paper_block_sizes(sram, d)[1]
    for n in [2**17, 2**20]:
        r = hbm_accesses(n, d, sram)
        assert 11.5 < r["flash"] / (n * n * d * d / sram) < 12.5
        assert 0.99 < (r["standard"] / r["flash"]) / (4 * b_c / (3 * d + 4)) < 1.01
