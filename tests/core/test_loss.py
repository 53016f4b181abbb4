"""llm_core.loss against -log of an explicitly formed probability, closed forms, and torch when installed."""

import math

import numpy as np
import pytest

from llm_core.loss import bits_per_token, cross_entropy, log_softmax, perplexity, surprise

RNG = np.random.default_rng(4)


def test_matches_naive():
    logits, targets = RNG.normal(0, 2, size=(6, 10)), RNG.integers(0, 10, size=6)
    per_token = [-math.log(math.exp(row[t]) / sum(math.exp(v) for v in row)) for row, t in zip(logits, targets)]
    mean, got = cross_entropy(logits, targets)
    np.testing.assert_allclose(got, per_token, rtol=1e-12)
    assert mean == pytest.approx(sum(per_token) / 6, rel=1e-12)


def test_uniform_prediction():
    mean, _ = cross_entropy(np.zeros((3, 50)), np.array([0, 7, 49]))
    assert mean == pytest.approx(math.log(50)) and perplexity(mean) == pytest.approx(50.0)


def test_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        mean, per_token = cross_entropy(logits, np.array([1]))
    assert mean == pytest.approx(1e4)


def test_minus_infinity():
    _, per_token = cross_entropy(np.array([[0.0, -np.inf], [0.0, -np.inf]]), np.array([0, 1]))
    assert per_token.tolist() == [0.0, float("inf")]


def test_log_softmax_normalises():
    x = RNG.normal(size=(4, 7))
    np.testing.assert_allclose(np.exp(log_softmax(x)).sum(axis=-1), 1.0)


def test_surprise_and_units():
    assert surprise(1.0) == 0.0 and surprise(0.5) == pytest.approx(math.log(2))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert surprise(0.0) == float("inf")
    assert bits_per_token(math.log(2)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "logits,targets,match",
    [
        (np.zeros((2, 3)), np.array([0]), "targets"),
        (np.zeros(3), np.array([0]), "n_seq"),
        (np.zeros((1, 3)), np.array([3]), r"\[0, 3\)"),
        (np.zeros((0, 3)), np.zeros(0, dtype=int), "at least one"),
    ],
)
def test_invalid(logits, targets, match):
    with pytest.raises(ValueError, match=match):
        cross_entropy(logits, targets)


def test_against_torch():
    torch = pytest.importorskip("torch", reason="torch not installed; the naive reference above still runs")
    logits, targets = RNG.normal(size=(5, 9)), RNG.integers(0, 9, size=5)
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(targets)).item()
    assert cross_entropy(logits, targets)[0] == pytest.approx(expected, rel=1e-12)
