"""llm_core.scaling: the published Chinchilla constants, the closed form against a brute-force search."""

import doctest
from pathlib import Path

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
    expected = 1.69 + 406.4 / 1e9**0.34 + 410.7 / 2e10**0.28
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


@pytest.mark.parametrize("flops", [1e15, 5.88e23, 1e26])
def test_rule_of_thumb_spends_the_budget_at_twenty_tokens_per_parameter(flops):
    r = scaling.rule_of_thumb(flops)
    assert 6 * r["n_params"] * r["n_tokens"] == pytest.approx(flops, rel=1e-12)
    assert r["n_tokens"] / r["n_params"] == pytest.approx(20, rel=1e-12) and r["tokens_per_param"] == 20
    assert r["loss"] == pytest.approx(chinchilla_loss(r["n_params"], r["n_tokens"]), rel=1e-14)
    assert r["loss"] >= compute_optimal(flops)["loss"] - 1e-12  # the fit's optimum is the fit's best
    with pytest.raises(ValueError, match="flops"):
        scaling.rule_of_thumb(-1)


@pytest.mark.parametrize("loss", [1.9, 2.2, 3.0, 6.0])
def test_tokens_for_loss_is_on_the_iso_loss_contour(loss):
    n = np.logspace(6, 12, 61)
    d = scaling.tokens_for_loss(loss, n)
    reachable = np.isfinite(d)
    assert reachable.any()
    assert chinchilla_loss(n[reachable], d[reachable]) == pytest.approx(np.full(reachable.sum(), loss), rel=1e-12)
    # unreachable exactly where the model-size term alone already exceeds the target
    assert np.array_equal(~reachable, CHINCHILLA.e + CHINCHILLA.a / n**CHINCHILLA.alpha >= loss)
    assert np.all(np.diff(d[reachable]) < 0)  # a bigger model needs fewer tokens for the same loss
    assert isinstance(scaling.tokens_for_loss(loss, 1e9), float)


def test_gpu_days_by_hand():
    # 1e23 FLOPs on a 989e12 FLOP/s chip at 40% utilisation
    assert scaling.gpu_days(1e23, 989e12, 0.4) == pytest.approx(1e23 / (989e12 * 0.4) / 86400, rel=1e-14)
    with pytest.raises(ValueError):
        scaling.gpu_days(1e23, 989e12, 0)


# Parameters and training tokens as each model's source states them, written out from the sources.
PUBLISHED_TRAINING = {
    "GPT-3": (175e9, 300e9),  # Brown et al. 2020: table 2.1 "175.0B"; section 2.2 "300 billion tokens"
    "Gopher": (280e9, 300e9),  # Hoffmann et al. 2022, table 1: 280 billion parameters, 300 billion tokens
    "Chinchilla": (70e9, 1.4e12),  # Hoffmann et al. 2022, table 1: 70 billion, 1.4 trillion
    "Llama 2 7B": (7e9, 2e12),  # Touvron et al. 2023, table 1: 7B, 2.0T tokens
    "Llama 3 8B": (8e9, 15e12),  # Meta-Llama-3-8B model card: "over 15T tokens"
}


def test_trained_models_are_their_sources_numbers():
    published = {m.name: (m.n_params, m.n_tokens) for m in scaling.TRAINED_MODELS if m.name != "Glassbox tiny"}
    assert published == PUBLISHED_TRAINING


def test_glassbox_tiny_is_its_training_report():
    # the report's first line and its checkpoint table (the final row: step, tokens seen)
    report = (Path(__file__).parents[2] / "models" / "tiny" / "REPORT.md").read_text()
    tiny = next(m for m in scaling.TRAINED_MODELS if m.name == "Glassbox tiny")
    assert f"Model: {tiny.n_params:,} parameters" in report
    assert f"| 4,160 | {tiny.n_tokens:,} |" in report and "4,160 steps" in tiny.source


def test_rule_of_thumb_is_chinchillas_own_ratio():
    assert scaling.TOKENS_PER_PARAM == 1.4e12 / 70e9 == 20  # Hoffmann et al. 2022, table 1 (and table 3)


def test_trained_models_are_sourced():
    names = {m.name for m in scaling.TRAINED_MODELS}
    assert {"Chinchilla", "Gopher", "GPT-3", "Llama 2 7B", "Llama 3 8B", "Glassbox tiny"} <= names
    for m in scaling.TRAINED_MODELS:
        assert m.source and m.n_params > 0 and m.n_tokens > 0
        assert m.url.startswith(("https://arxiv.org/", "https://huggingface.co/")) or m.name == "Glassbox tiny"
    chinchilla = next(m for m in scaling.TRAINED_MODELS if m.name == "Chinchilla")
    assert chinchilla.n_tokens / chinchilla.n_params == pytest.approx(20)
