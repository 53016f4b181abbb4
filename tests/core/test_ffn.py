"""llm_core.ffn against element-by-element loops written from the formulas."""

import math

import numpy as np

from llm_core import ffn
from llm_core.ffn import gelu_mlp, linear, swiglu

RNG = np.random.default_rng(9)


def naive_matmul(a, b):
    return np.array(
        [[sum(a[i, k] * b[k, j] for k in range(a.shape[1])) for j in range(b.shape[1])] for i in range(a.shape[0])]
    )


def test_swiglu_matches_naive():
    x = RNG.normal(size=(3, 4))
    w_gate, w_up, w_down = RNG.normal(size=(4, 6)), RNG.normal(size=(4, 6)), RNG.normal(size=(6, 4))
    gate, up = naive_matmul(x, w_gate), naive_matmul(x, w_up)
    hidden = np.array([[g / (1 + math.exp(-g)) * u for g, u in zip(grow, urow)] for grow, urow in zip(gate, up)])
    out, trace = swiglu(x, w_gate, w_up, w_down)
    np.testing.assert_allclose(trace["gate"], gate, rtol=1e-12)
    np.testing.assert_allclose(trace["up"], up, rtol=1e-12)
    np.testing.assert_allclose(trace["hidden"], hidden, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out, naive_matmul(hidden, w_down), rtol=1e-12, atol=1e-14)
    assert out.shape == (3, 4) and trace["hidden"].shape == (3, 6)


def test_swiglu_gate_closed_means_no_output():
    x = np.ones((1, 2))
    out, trace = swiglu(x, np.full((2, 3), -50.0), np.ones((2, 3)), np.ones((3, 2)))  # silu(-100) ~ -4e-42
    np.testing.assert_allclose(out, 0.0, atol=1e-38)


def test_gelu_mlp_matches_naive():
    x = RNG.normal(size=(2, 4))
    w_fc, b_fc = RNG.normal(size=(4, 8)), RNG.normal(size=8)
    w_proj, b_proj = RNG.normal(size=(8, 4)), RNG.normal(size=4)
    pre = naive_matmul(x, w_fc) + b_fc
    hidden = 0.5 * pre * (1 + np.tanh(math.sqrt(2 / math.pi) * (pre + 0.044715 * pre**3)))
    out, trace = gelu_mlp(x, w_fc, b_fc, w_proj, b_proj)
    np.testing.assert_allclose(trace["hidden"], hidden, rtol=1e-12)
    np.testing.assert_allclose(out, naive_matmul(hidden, w_proj) + b_proj, rtol=1e-12)


def test_linear_and_float32():
    x, w = RNG.normal(size=(2, 3)).astype(np.float32), RNG.normal(size=(3, 5)).astype(np.float32)
    np.testing.assert_allclose(linear(x, w), x @ w)
    assert swiglu(x, w, w, w.T)[0].dtype == np.float32


def test_linear_terms_sum_to_linear():
    x, w = RNG.normal(size=5), RNG.normal(size=(5, 3))
    terms = ffn.linear_terms(x, w)
    assert terms.shape == (5, 3)
    for i in range(5):
        for j in range(3):
            assert terms[i, j] == x[i] * w[i, j]
    np.testing.assert_allclose(terms.sum(axis=0), naive_matmul(x[None, :], w)[0], rtol=1e-12)


def test_top_neurons_by_magnitude_ties_to_lower_index():
    hidden = np.array([0.5, -3.0, 2.0, -2.0, 0.0, 3.0])
    assert ffn.top_neurons(hidden, 3).tolist() == [1, 5, 2]  # |-3| = |3|: index 1 first; then |2| at 2
    assert ffn.top_neurons(hidden, 10).tolist() == [1, 5, 2, 3, 0, 4]
