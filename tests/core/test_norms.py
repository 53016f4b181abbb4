"""llm_core.norms against per-row loops written from the papers' formulas, and torch when installed."""

import math

import numpy as np
import pytest

from llm_core.norms import layer_norm, rms, rms_norm
from tests.tolerances import assert_within_rounding

RNG = np.random.default_rng(7)
X = RNG.normal(2.0, 3.0, size=(5, 8))
W = RNG.normal(size=8)
B = RNG.normal(size=8)


def naive_rms_norm(x, weight, eps):
    out = np.empty_like(x)
    for i, row in enumerate(x):
        scale = math.sqrt(sum(v * v for v in row) / len(row) + eps)
        out[i] = [v / scale * g for v, g in zip(row, weight)]
    return out


def naive_layer_norm(x, weight, bias, eps):
    out = np.empty_like(x)
    for i, row in enumerate(x):
        mean = sum(row) / len(row)
        var = sum((v - mean) ** 2 for v in row) / len(row)
        out[i] = [(v - mean) / math.sqrt(var + eps) * g + b for v, g, b in zip(row, weight, bias)]
    return out


@pytest.mark.parametrize("eps", [0.0, 1e-5, 1e-2])
def test_rms_norm_matches_naive(eps):
    np.testing.assert_allclose(rms_norm(X, W, eps), naive_rms_norm(X, W, eps), rtol=1e-12)


@pytest.mark.parametrize("eps", [1e-5, 1e-2])
def test_layer_norm_matches_naive(eps):
    np.testing.assert_allclose(layer_norm(X, W, B, eps), naive_layer_norm(X, W, B, eps), rtol=1e-12, atol=1e-12)


def test_normalised_statistics():
    y = layer_norm(X, np.ones(8), np.zeros(8), eps=0.0)
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1.0, rtol=1e-12)
    z = rms_norm(X, np.ones(8), eps=0.0)
    np.testing.assert_allclose(np.sqrt(np.mean(z**2, axis=-1)), 1.0, rtol=1e-12)
    np.testing.assert_allclose(rms(X, eps=0.0)[:, 0], np.sqrt(np.mean(X**2, axis=-1)))


def test_scale_invariance():
    np.testing.assert_allclose(rms_norm(1000.0 * X, W, eps=0.0), rms_norm(X, W, eps=0.0), rtol=1e-12)
    np.testing.assert_allclose(layer_norm(5.0 * X + 3.0, W, B, eps=0.0), layer_norm(X, W, B, eps=0.0), rtol=1e-9)


def test_zero_vector_gives_zeros_not_nan():
    zero = np.zeros((1, 8))
    np.testing.assert_array_equal(rms_norm(zero, W), 0.0)
    np.testing.assert_array_equal(layer_norm(zero, W, B), B[None])


def test_leading_axes_and_float32():
    x = RNG.normal(size=(2, 3, 8)).astype(np.float32)
    y = rms_norm(x, W.astype(np.float32))
    assert y.shape == x.shape and y.dtype == np.float32
    # all rows at once or one block alone: a sum of 8 squares, then the square root, division and gain
    assert_within_rounding(y[1], rms_norm(x[1], W.astype(np.float32)), 8 + 4, np.abs(y[1]))


def test_against_torch():
    torch = pytest.importorskip("torch", reason="torch not installed; the naive loops above still run")
    t = torch.from_numpy(X)
    expected = torch.nn.functional.layer_norm(t, (8,), torch.from_numpy(W), torch.from_numpy(B), eps=1e-5)
    np.testing.assert_allclose(layer_norm(X, W, B, 1e-5), expected.numpy(), rtol=1e-10, atol=1e-12)
    if hasattr(torch.nn.functional, "rms_norm"):  # torch >= 2.4
        expected = torch.nn.functional.rms_norm(t, (8,), torch.from_numpy(W), eps=1e-5)
        np.testing.assert_allclose(rms_norm(X, W, 1e-5), expected.numpy(), rtol=1e-10, atol=1e-12)
