"""llm_core.scaling: the published Chinchilla constants, the closed form against a brute-force search."""

import doctest

import numpy as np
import pytest

from llm_core import scaling
from llm_core.scaling import CHINCHILLA, chinchilla_loss, compute_optimal, loss_at_budget, training_flops


def test_docstring_examples():
    assert doctest.testmod(scaling).failed == 0


def test_published_constants():
    # Hoffmann et al. 2022, arXiv:2203.15556, section 3.3
    fit = (CHINCHILLA.e, CHINCHILLA.a, CHINCHILLA.b, CHINCHILLA.alpha, CHINCHILLA.beta)
    assert fit == (1.69, 406.4, 410.7, 0.34, 0.28)
    assert "2203.15556" in CHINCHILLA.source


def test_loss_by_hand():
    expected = 1.69 + 406.4 / 1e9 ** 0.34 + 410.7 / 2e10 ** 0.28
    assert chinchilla_loss(1e9, 2e10) == pytest.approx(expected, rel=1e-14)
    grid = chinchilla_loss(np.array([1e8, 1e9, 1e10]), 1e11)
    assert grid.shape == (3,) and np.all(np.diff(grid) < 0) and np.all(grid > CHINCHILLA.e)


def test_training_flops():
    assert training_flops(70e9, 1.4e12) == pytest.approx(5.88e23)


@pytest.mark.parametrize("flops", [1e18, 5.76e23, 1e26])
def test_closed_form_matches_brute_force(flops):
    best = compute_optimal(flops)
    assert 6 * best["n_params"] * best["n_tokens"] == pytest.approx(flops, rel=1e-12)
    n_grid = np.logspace(np.log10(best["n_params"]) - 2, np.log10(best["n_params"]) + 2, 40001)
    losses = loss_at_budget(n_grid, flops)
    assert n_grid[np.argmin(losses)] == pytest.approx(best["n_params"], rel=1e-3)
    assert best["loss"] <= losses.min() + 1e-12
    assert best["tokens_per_param"] == pytest.approx(best["n_tokens"] / best["n_params"])


def test_scaling_exponents():
    a, b = compute_optimal(1e22), compute_optimal(1e23)
    ratio_n, ratio_d = b["n_params"] / a["n_params"], b["n_tokens"] / a["n_tokens"]
    assert ratio_n == pytest.approx(10 ** (0.28 / 0.62), rel=1e-12)  # N grows as C^(beta / (alpha + beta))
    assert ratio_d == pytest.approx(10 ** (0.34 / 0.62), rel=1e-12)


def test_invalid_budget():
    with pytest.raises(ValueError, match="flops"):
        compute_optimal(0)
