"""llm_core.embeddings: cosine similarity by hand, neighbours by brute force, PCA against eigh."""

import doctest
import math

import numpy as np
import pytest

from llm_core import embeddings
from llm_core.embeddings import analogy, cosine_similarity, embed, nearest_neighbours, pca

RNG = np.random.default_rng(10)
TABLE = RNG.normal(size=(50, 8))


def test_docstring_examples():
    assert doctest.testmod(embeddings).failed == 0


def test_embed_looks_up_rows():
    np.testing.assert_array_equal(embed([3, 0, 3], TABLE), TABLE[[3, 0, 3]])
    with pytest.raises(ValueError, match=r"\[0, 50\)"):
        embed([50], TABLE)


def test_cosine_similarity_by_hand():
    a, b = TABLE[0], TABLE[1]
    expected = sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    assert cosine_similarity(a, b) == pytest.approx(expected, rel=1e-12)
    assert cosine_similarity(a, 3.0 * a) == pytest.approx(1.0) and cosine_similarity(a, -a) == pytest.approx(-1.0)
    sims = cosine_similarity(TABLE, a)
    assert sims.shape == (50,) and np.all(np.abs(sims) <= 1 + 1e-12)
    assert cosine_similarity(np.zeros(8), a) == 0.0  # no direction: 0, not NaN


def test_nearest_neighbours_against_brute_force():
    query = RNG.normal(size=8)
    ids, sims = nearest_neighbours(query, TABLE, k=5)
    brute = sorted(range(50), key=lambda i: -cosine_similarity(TABLE[i], query))[:5]
    assert ids.tolist() == brute
    np.testing.assert_allclose(sims, [cosine_similarity(TABLE[i], query) for i in brute])
    ids, _ = nearest_neighbours(TABLE[7], TABLE, k=3, exclude=[7])
    assert 7 not in ids.tolist() and len(ids) == 3


def test_neighbour_ties_go_to_the_lower_index():
    table = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [1.0, 0.0]])
    assert nearest_neighbours(np.array([1.0, 0.0]), table, k=3)[0].tolist() == [1, 2, 3]


def test_analogy_finds_the_planted_answer():
    table = RNG.normal(size=(20, 6))
    table[9] = table[2] - table[1] + table[3]  # "1 is to 2 as 3 is to 9"
    ids, sims = analogy(table, 1, 2, 3, k=2)
    assert ids[0] == 9 and sims[0] == pytest.approx(1.0)
    assert not {1, 2, 3} & set(ids.tolist())


def test_analogy_never_answers_with_its_inputs():
    # b is a nudge from a, so b - a + c is all but c: without the exclusion c itself would be the answer
    # (similarity ~1), then b or a; with it, the answer is the nearest row that is none of the three
    table = np.array(
        [[1.0, 0.0, 0.0], [1.0, 0.01, 0.0], [0.0, 1.0, 0.0], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    )
    a, b, c = 0, 1, 2
    ids, sims = analogy(table, a, b, c, k=len(table))
    assert cosine_similarity(table[c], table[b] - table[a] + table[c]) > 0.9999  # c would win
    assert ids.tolist() == [3, 5, 4]  # every other row, best first, and nothing else
    assert sims == pytest.approx(cosine_similarity(table[[3, 5, 4]], table[b] - table[a] + table[c]))


@pytest.mark.parametrize("n_components", [2, 3])
def test_pca_against_covariance_eigenvectors(n_components):
    x = RNG.normal(size=(40, 6)) * np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.1])
    projected, components, explained = pca(x, n_components)
    values, vectors = np.linalg.eigh(np.cov(x, rowvar=False))  # ascending
    values, vectors = values[::-1], vectors[:, ::-1]
    np.testing.assert_allclose(explained, values[:n_components] / values.sum(), rtol=1e-10)
    for i in range(n_components):  # the same directions, up to sign
        assert abs(components[i] @ vectors[:, i]) == pytest.approx(1.0, abs=1e-10)
        assert components[i][np.argmax(np.abs(components[i]))] > 0  # the sign convention
    np.testing.assert_allclose(components @ components.T, np.eye(n_components), atol=1e-12)
    np.testing.assert_allclose(projected, (x - x.mean(axis=0)) @ components.T, atol=1e-12)


def test_pca_of_planar_data_keeps_everything():
    plane = RNG.normal(size=(30, 2)) @ RNG.normal(size=(2, 7))
    projected, _, explained = pca(plane, 2)
    assert explained.sum() == pytest.approx(1.0)
    centered = plane - plane.mean(axis=0)
    np.testing.assert_allclose(
        np.linalg.norm(projected[3] - projected[11]), np.linalg.norm(centered[3] - centered[11])
    )  # nothing lost, distances kept


def test_pca_invalid_and_degenerate():
    with pytest.raises(ValueError, match="n_components"):
        pca(TABLE, 9)
    _, _, explained = pca(np.ones((5, 3)), 2)  # no variance at all
    np.testing.assert_array_equal(explained, 0.0)


@pytest.mark.parametrize("n_components", [1, 2, 3])
def test_pca_against_numpys_svd(n_components):
    """The projection is U S of the centred rows' SVD (numpy's), up to each direction's sign."""
    x = np.random.default_rng(3).normal(size=(40, 12)) * np.linspace(3, 0.1, 12)  # [n, d_model]
    projected, components, explained = pca(x, n_components)
    u, s, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    signs = np.sign(np.sum(components * vt[:n_components], axis=1))  # [n_components], each +-1
    np.testing.assert_allclose(components, vt[:n_components] * signs[:, None], atol=1e-12)
    np.testing.assert_allclose(projected, u[:, :n_components] * s[:n_components] * signs, atol=1e-12)
    np.testing.assert_allclose(explained, s[:n_components] ** 2 / np.sum(s**2), rtol=1e-12)


def test_mean_difference_direction_by_hand():
    from llm_core.embeddings import mean_difference_direction

    group = [2, 7, 11]
    rest = [i for i in range(50) if i not in group]
    expected = sum(TABLE[i] for i in group) / 3 - sum(TABLE[i] for i in rest) / len(rest)
    np.testing.assert_allclose(mean_difference_direction(TABLE, group), expected / np.linalg.norm(expected), rtol=1e-12)
    with pytest.raises(ValueError, match="inside the group and one outside"):
        mean_difference_direction(TABLE, range(50))
