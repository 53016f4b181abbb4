"""llm_core.attention against naive loops over heads, queries and keys, and torch when installed."""

import math

import numpy as np
import pytest

from llm_core import attention
from llm_core.attention import (
    attention_scores,
    attention_weights,
    causal_mask,
    multi_head_attention,
    scaled_dot_product_attention,
)
from llm_core.rope import apply_rope, rope_frequencies
from tests.tolerances import U64, assert_within, probability_tolerance, rounding_tolerance

RNG = np.random.default_rng(11)


def naive_attention(q, k, v, mask=None):
    """Attention one query at a time, one key at a time, with math.exp."""
    n_q, n_k = len(q), len(k)
    out, weights = np.zeros((n_q, v.shape[1])), np.zeros((n_q, n_k))
    for i in range(n_q):
        allowed = [j for j in range(n_k) if mask is None or mask[i][j]]
        scores = {j: sum(q[i, c] * k[j, c] for c in range(q.shape[1])) / math.sqrt(q.shape[1]) for j in allowed}
        if not scores:
            continue
        top = max(scores.values())
        total = sum(math.exp(s - top) for s in scores.values())
        for j, s in scores.items():
            weights[i, j] = math.exp(s - top) / total
            out[i] += weights[i, j] * v[j]
    return out, weights


def naive_multi_head(x, w_q, w_k, w_v, w_o, n_head, n_kv_head, freqs, causal):
    """Head by head: query head h slices w_q, and reads kv head h // (n_head // n_kv_head)."""
    d_head = w_q.shape[1] // n_head
    n_seq = len(x)
    heads, all_weights = [], []
    for h in range(n_head):
        g = h // (n_head // n_kv_head)
        q = x @ w_q[:, h * d_head : (h + 1) * d_head]
        k = x @ w_k[:, g * d_head : (g + 1) * d_head]
        v = x @ w_v[:, g * d_head : (g + 1) * d_head]
        if freqs is not None:
            q, k = apply_rope(q, np.arange(n_seq), freqs), apply_rope(k, np.arange(n_seq), freqs)
        mask = [[j <= i or not causal for j in range(n_seq)] for i in range(n_seq)]
        out, weights = naive_attention(q, k, v, mask)
        heads.append(out)
        all_weights.append(weights)
    return np.concatenate(heads, axis=1) @ w_o, np.array(all_weights)


@pytest.mark.parametrize("causal", [False, True])
def test_single_head_matches_naive(causal):
    q, k, v = RNG.normal(size=(5, 8)), RNG.normal(size=(5, 8)), RNG.normal(size=(5, 3))
    mask = causal_mask(5) if causal else None
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    ref_out, ref_weights = naive_attention(q, k, v, mask)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weights, ref_weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)


def test_causal_mask_shapes():
    np.testing.assert_array_equal(causal_mask(2, 5), [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])  # last 2 of 5
    np.testing.assert_array_equal(causal_mask(1, 4), [[1, 1, 1, 1]])  # decode: the new token sees all
    np.testing.assert_array_equal(causal_mask(2, 4, offset=0), [[1, 0, 0, 0], [1, 1, 0, 0]])
    with pytest.raises(ValueError):
        causal_mask(5, 3)


def test_causal_output_ignores_the_future():
    q, k, v = RNG.normal(size=(6, 4)), RNG.normal(size=(6, 4)), RNG.normal(size=(6, 4))
    out, _ = scaled_dot_product_attention(q, k, v, causal_mask(6))
    k2, v2 = k.copy(), v.copy()
    k2[4:], v2[4:] = 100.0, -100.0  # change positions 4 and 5 only
    out2, _ = scaled_dot_product_attention(q, k2, v2, causal_mask(6))
    np.testing.assert_array_equal(out[:4], out2[:4])


def test_fully_masked_row_is_zero_not_nan():
    q, k, v = RNG.normal(size=(2, 4)), RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    mask = np.array([[False, False, False], [True, False, True]])
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    np.testing.assert_array_equal(weights[0], 0.0)
    np.testing.assert_array_equal(out[0], 0.0)
    assert weights[1].sum() == pytest.approx(1.0) and weights[1, 1] == 0.0


def test_scores_are_scaled_by_sqrt_d_head():
    q, k = np.ones((1, 16)), np.ones((2, 16))
    np.testing.assert_allclose(attention_scores(q, k), [[4.0, 4.0]])  # 16 / sqrt(16)
    np.testing.assert_allclose(attention_weights(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])


@pytest.mark.parametrize("n_head,n_kv_head", [(4, 4), (4, 2), (4, 1), (6, 3), (6, 2)])
@pytest.mark.parametrize("use_rope", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_matches_naive(n_head, n_kv_head, use_rope, causal):
    d_model, d_head, n_seq = 12, 4, 5
    x = RNG.normal(size=(n_seq, d_model))
    w_q = RNG.normal(size=(d_model, n_head * d_head))
    w_k, w_v = RNG.normal(size=(2, d_model, n_kv_head * d_head))
    w_o = RNG.normal(size=(n_head * d_head, d_model))
    freqs = rope_frequencies(d_head) if use_rope else None
    out, trace = multi_head_attention(x, w_q, w_k, w_v, w_o, n_head, n_kv_head, rope_freqs=freqs, causal=causal)
    ref_out, ref_weights = naive_multi_head(x, w_q, w_k, w_v, w_o, n_head, n_kv_head, freqs, causal)
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(trace["weights"], ref_weights, rtol=1e-10, atol=1e-14)
    assert trace["q"].shape == (n_head, n_seq, d_head)
    assert trace["k"].shape == trace["v"].shape == (n_kv_head, n_seq, d_head)
    assert trace["scores"].shape == trace["weights"].shape == (n_head, n_seq, n_seq)
    assert trace["heads"].shape == (n_head, n_seq, d_head)


def test_query_heads_in_a_group_share_keys():
    # two query heads with identical w_q columns reading the same kv head give identical weights
    d_model, d_head = 8, 4
    x = RNG.normal(size=(3, d_model))
    w_q = np.tile(RNG.normal(size=(d_model, d_head)), (1, 2))
    w_k, w_v = RNG.normal(size=(2, d_model, d_head))
    _, trace = multi_head_attention(x, w_q, w_k, w_v, np.eye(2 * d_head, d_model), n_head=2, n_kv_head=1)
    # the two heads' queries are other columns of one product, which BLAS need not sum in the same order
    score_tol = rounding_tolerance(d_model + d_head, np.abs(trace["scores"]).max(), u=U64)
    assert_within(trace["weights"][0], trace["weights"][1], probability_tolerance(trace["weights"][1], score_tol))


@pytest.mark.parametrize("n_head,n_kv_head", [(4, 3), (4, 0), (4, 8)])
def test_kv_heads_must_divide_query_heads(n_head, n_kv_head):
    x = np.zeros((2, 8))
    with pytest.raises(ValueError, match="n_kv_head"):
        multi_head_attention(
            x, np.zeros((8, 8)), np.zeros((8, 4)), np.zeros((8, 4)), np.zeros((8, 8)), n_head, n_kv_head
        )


def test_float32_stays_float32():
    x = RNG.normal(size=(3, 8)).astype(np.float32)
    w = RNG.normal(size=(4, 8, 8)).astype(np.float32)
    out, trace = multi_head_attention(x, *w, n_head=2, rope_freqs=rope_frequencies(4))
    assert out.dtype == np.float32 and trace["weights"].dtype == np.float32


def test_against_torch_sdpa():
    torch = pytest.importorskip("torch", reason="torch not installed; the naive loops above still run")
    q, k, v = (torch.from_numpy(RNG.normal(size=(2, 5, 8))) for _ in range(3))
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).numpy()
    out, _ = scaled_dot_product_attention(q.numpy(), k.numpy(), v.numpy(), causal_mask(5))
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n_q, n_k", [(1, 1), (5, 5), (2, 7)])
def test_attention_distance_matches_a_loop(n_q, n_k):
    rng = np.random.default_rng(n_q * 10 + n_k)
    scores = rng.normal(size=(3, n_q, n_k))
    weights = attention_weights(scores, causal_mask(n_q, n_k))
    expected = np.zeros((3, n_q))
    for h in range(3):
        for i in range(n_q):
            position = n_k - n_q + i
            expected[h, i] = sum(weights[h, i, j] * (position - j) for j in range(n_k))
    np.testing.assert_allclose(attention.attention_distance(weights), expected, rtol=1e-12, atol=1e-12)


def test_attention_distance_of_simple_patterns():
    n = 6
    previous = np.eye(n, k=-1)
    previous[0, 0] = 1.0  # the first token can only look at itself
    assert attention.attention_distance(previous).tolist() == [0, 1, 1, 1, 1, 1]
    assert attention.attention_distance(np.eye(n)).tolist() == [0] * n
    uniform = causal_mask(n) / causal_mask(n).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(attention.attention_distance(uniform), np.arange(n) / 2)


def test_shared_rope_tables_give_the_same_attention():
    from llm_core.rope import rope_cos_sin, rope_frequencies

    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 16))
    w_q, w_k, w_v, w_o = (rng.normal(size=s) for s in [(16, 16), (16, 8), (16, 8), (16, 16)])
    freqs, positions = rope_frequencies(4), np.arange(6)
    a, _ = multi_head_attention(x, w_q, w_k, w_v, w_o, 4, 2, positions=positions, rope_freqs=freqs)
    b, _ = multi_head_attention(x, w_q, w_k, w_v, w_o, 4, 2, positions=positions, rope=rope_cos_sin(positions, freqs))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="rope_freqs"):
        multi_head_attention(x, w_q, w_k, w_v, w_o, 4, 2, positions=positions, rope_freqs=rope_frequencies(8))
