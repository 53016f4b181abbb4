"""llm_core.superposition: the gradient against central finite differences, the measures against naive loops
and closed forms, and the toy model's two regimes (Elhage et al. 2022, arXiv:2209.10652): dense features keep
m of them as an orthogonal basis; sparse ones crowd in, five at the corners of a pentagon in two dimensions."""

import doctest
import math

import numpy as np
import pytest

from llm_core import superposition
from llm_core.backprop import numerical_gradient
from llm_core.superposition import (
    ToyConfig,
    dimensions_per_feature,
    feature_norms,
    importances,
    interference,
    loss_and_grads,
    reconstruct,
    sample_features,
    train_toy_model,
)

PENTAGON = np.array(
    [[math.cos(2 * math.pi * k / 5) for k in range(5)], [math.sin(2 * math.pi * k / 5) for k in range(5)]]
)


def test_docstring_examples():
    assert doctest.testmod(superposition).failed == 0


def test_config_rejects_impossible_shapes():
    with pytest.raises(ValueError, match="d_hidden < n_features"):
        ToyConfig(n_features=2, d_hidden=2)
    with pytest.raises(ValueError, match="sparsity"):
        ToyConfig(sparsity=1.0)
    with pytest.raises(ValueError, match="sparsity"):
        ToyConfig(importance_decay=0.0)


def test_importances_decay_geometrically():
    assert importances(ToyConfig(n_features=4, d_hidden=2, importance_decay=0.5)).tolist() == [1, 0.5, 0.25, 0.125]


@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9])
def test_features_are_present_with_probability_one_minus_s(sparsity):
    x = sample_features(np.random.default_rng(1), 20000, 10, sparsity)
    assert x.shape == (20000, 10) and x.min() >= 0 and x.max() < 1
    present = np.mean(x > 0)
    assert abs(present - (1 - sparsity)) < 4 * math.sqrt(sparsity * (1 - sparsity) / x.size) + 1e-9
    assert np.mean(x[x > 0]) == pytest.approx(0.5, abs=0.01)  # uniform in [0, 1] when present


def test_reconstruct_by_a_naive_loop():
    rng = np.random.default_rng(2)
    x, w, b = rng.random((3, 5)), rng.normal(size=(2, 5)), rng.normal(size=5)
    out, h = reconstruct(x, w, b)
    for s in range(3):
        for k in range(2):
            assert h[s, k] == pytest.approx(sum(w[k, i] * x[s, i] for i in range(5)))
        for i in range(5):
            assert out[s, i] == pytest.approx(max(0.0, sum(w[k, i] * h[s, k] for k in range(2)) + b[i]))


def test_loss_by_a_naive_loop_and_gradients_by_central_differences():
    rng = np.random.default_rng(3)
    x = sample_features(rng, 64, 6, 0.5)
    w, b, imp = rng.normal(size=(3, 6)), rng.normal(0, 0.3, size=6), importances(ToyConfig(6, 3, importance_decay=0.8))
    loss, grad_w, grad_b = loss_and_grads(x, w, b, imp)
    out, _ = reconstruct(x, w, b)
    naive = sum(imp[i] * (out[s, i] - x[s, i]) ** 2 for s in range(64) for i in range(6)) / 64
    assert loss == pytest.approx(naive, rel=1e-12)
    num_w = numerical_gradient(lambda v: loss_and_grads(x, v, b, imp)[0], w)
    num_b = numerical_gradient(lambda v: loss_and_grads(x, w, v, imp)[0], b)
    np.testing.assert_allclose(grad_w, num_w, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grad_b, num_b, rtol=1e-6, atol=1e-8)


def test_measures_by_naive_loops():
    w = np.random.default_rng(4).normal(size=(2, 6))
    norms = feature_norms(w)
    gram = interference(w)
    sup = superposition.superposition(w)
    for i in range(6):
        assert norms[i] == pytest.approx(math.sqrt(w[0, i] ** 2 + w[1, i] ** 2))
        for j in range(6):
            assert gram[i, j] == pytest.approx(w[0, i] * w[0, j] + w[1, i] * w[1, j])
        expected = sum((w[:, i] @ w[:, j]) ** 2 for j in range(6) if j != i) / norms[i] ** 2
        assert sup[i] == pytest.approx(expected)
    assert dimensions_per_feature(w) == pytest.approx(2 / sum(n**2 for n in norms))


def test_measures_closed_forms():
    basis = np.eye(2, 3)  # two features on the axes, the third dropped
    assert feature_norms(basis).tolist() == [1, 1, 0]
    assert superposition.superposition(basis).tolist() == [0, 0, 0]
    assert dimensions_per_feature(basis) == 1.0
    # a regular pentagon of unit vectors: each feature sees two at 72° and two at 144°
    expected = 2 * math.cos(math.radians(72)) ** 2 + 2 * math.cos(math.radians(144)) ** 2
    np.testing.assert_allclose(superposition.superposition(PENTAGON), expected, rtol=1e-12)
    assert expected == pytest.approx(1.5)
    assert dimensions_per_feature(PENTAGON) == pytest.approx(2 / 5)


def test_training_is_deterministic_and_the_seed_matters():
    cfg = ToyConfig(steps=50)
    w1, b1, l1 = train_toy_model(cfg, np.random.default_rng(7))
    w2, b2, l2 = train_toy_model(cfg, np.random.default_rng(7))
    w3, _, _ = train_toy_model(cfg, np.random.default_rng(8))
    assert np.array_equal(w1, w2) and np.array_equal(b1, b2) and np.array_equal(l1, l2)
    assert not np.array_equal(w1, w3)


def sorted_angles(w):  # [2, n] -> gaps between neighbouring directions, degrees
    angles = np.sort(np.degrees(np.arctan2(w[1], w[0])))
    return np.diff(np.concatenate([angles, angles[:1] + 360]))


def test_dense_features_keep_m_of_them_as_an_orthogonal_basis():
    """S = 0, decaying importance: the two most important features get orthogonal unit directions, the rest none
    (the paper's figure 2, left: with dense features the toy model behaves like PCA)."""
    cfg = ToyConfig(n_features=5, d_hidden=2, sparsity=0.0, importance_decay=0.9, steps=1500)
    w, _, _ = train_toy_model(cfg, np.random.default_rng(0))
    norms = feature_norms(w)
    np.testing.assert_allclose(norms[:2], 1.0, atol=0.05)
    assert np.all(norms[2:] < 0.1)
    assert abs(w[:, 0] @ w[:, 1]) < 0.05
    assert dimensions_per_feature(w) == pytest.approx(1.0, abs=0.05)


def test_sparse_features_crowd_into_a_pentagon():
    """S = 0.95, equal importance: all five features represented, 72° apart (the paper's figure 2, right)."""
    cfg = ToyConfig(n_features=5, d_hidden=2, sparsity=0.95, importance_decay=1.0, steps=1500)
    w, _, _ = train_toy_model(cfg, np.random.default_rng(0))
    assert np.all(feature_norms(w) > 0.9)
    np.testing.assert_allclose(sorted_angles(w), 72.0, atol=5.0)
    assert dimensions_per_feature(w) < 0.45  # 2 dimensions shared by 5 features: 2/5 for unit norms


def test_middle_sparsity_stores_antipodal_pairs():
    """S = 0.8: four features in two opposite pairs (superposition 1: each shares its line with one other)."""
    cfg = ToyConfig(n_features=5, d_hidden=2, sparsity=0.8, importance_decay=0.9, steps=1500)
    w, _, _ = train_toy_model(cfg, np.random.default_rng(0))
    norms = feature_norms(w)
    kept = norms > 0.5
    assert kept.sum() == 4
    np.testing.assert_allclose(superposition.superposition(w)[kept], 1.0, atol=0.1)
