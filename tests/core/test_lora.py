"""llm_core.lora: parameter counts, the SVD approximation against Eckart-Young, and the forward pass."""

import numpy as np
import pytest

from llm_core.lora import init_lora, lora_forward, lora_parameter_count, low_rank_approximation, merge_lora

RNG = np.random.default_rng(6)
M = RNG.normal(size=(24, 16))


def test_parameter_count():
    counts = lora_parameter_count(4096, 4096, rank=8)
    assert counts == {"full": 16_777_216, "lora": 65_536, "fraction": 65_536 / 16_777_216}
    assert lora_parameter_count(10, 6, rank=6)["lora"] == 96
    with pytest.raises(ValueError, match="rank"):
        lora_parameter_count(10, 6, rank=7)


def test_exact_rank_matrix_is_recovered():
    low = RNG.normal(size=(24, 3)) @ RNG.normal(size=(3, 16))
    a, b, error = low_rank_approximation(low, rank=3)
    np.testing.assert_allclose(a @ b, low, atol=1e-10)
    assert error["relative"] < 1e-7 and error["energy"] == pytest.approx(1.0)


@pytest.mark.parametrize("rank", [1, 4, 15, 16])
def test_error_formula_matches_the_actual_error(rank):
    a, b, error = low_rank_approximation(M, rank)
    assert a.shape == (24, rank) and b.shape == (rank, 16)
    actual = np.linalg.norm(M - a @ b) / np.linalg.norm(M)
    assert error["relative"] == pytest.approx(actual, abs=1e-12)
    assert error["energy"] == pytest.approx(1 - actual**2, abs=1e-12)


def test_error_falls_with_rank_and_beats_other_factorisations():
    errors = [low_rank_approximation(M, r)[2]["relative"] for r in range(1, 17)]
    assert all(x > y for x, y in zip(errors, errors[1:])) and errors[-1] < 1e-12
    # Eckart-Young: no rank-4 matrix is closer; try projections onto random 4-dimensional subspaces
    best = errors[3]
    for _ in range(20):
        basis, _ = np.linalg.qr(RNG.normal(size=(16, 4)))
        other = M @ basis @ basis.T
        assert np.linalg.norm(M - other) / np.linalg.norm(M) > best


def test_lora_starts_as_the_frozen_model_and_merges():
    x, w = RNG.normal(size=(5, 24)), M
    a, b = init_lora(24, 16, rank=4, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(lora_forward(x, w, a, b, alpha=8.0), x @ w)
    b = RNG.normal(size=b.shape)  # as if trained
    np.testing.assert_allclose(lora_forward(x, w, a, b, alpha=8.0), x @ merge_lora(w, a, b, alpha=8.0), rtol=1e-12)
    np.testing.assert_allclose(merge_lora(w, a, b, alpha=8.0) - w, 2.0 * a @ b)  # alpha / rank = 2


def test_lora_model_parameter_count_matches_a_sum_over_real_matrices():
    from llm_core.configs import CONFIGS
    from llm_core.lora import TARGETS, lora_model_parameter_count
    from llm_core.model import ModelConfig, weight_shapes

    cfg = ModelConfig()  # the tiny model: sum over its actual weight shapes, layer by layer
    for targets, names in TARGETS.items():
        for rank in (1, 8, 64, 500):
            shapes = [s for n, s in weight_shapes(cfg).items() if n.split(".")[-1] in names]
            expected = sum(min(rank, *s) * (s[0] + s[1]) for s in shapes)
            count = lora_model_parameter_count(cfg, rank, targets)
            assert count["lora"] == expected
            assert count["targeted"] == sum(s[0] * s[1] for s in shapes)
    # Llama 2 7B, rank 8 on q and v: 32 layers x 2 x 8 x (4096 + 4096) = 4,194,304 (the well-known PEFT count)
    assert lora_model_parameter_count(CONFIGS["llama-2-7b"], 8, "qv")["lora"] == 4_194_304
    # GPT-2 has a GELU MLP: no gate matrix
    assert "w_gate" not in lora_model_parameter_count(CONFIGS["gpt2"], 4, "all")["per_matrix"]


@pytest.mark.parametrize("rank, targets", [(0, "qv"), (2.5, "qv"), (4, "everything")])
def test_lora_model_parameter_count_rejects_bad_input(rank, targets):
    from llm_core.lora import lora_model_parameter_count
    from llm_core.model import ModelConfig

    with pytest.raises(ValueError):
        lora_model_parameter_count(ModelConfig(), rank, targets)


@pytest.mark.parametrize("rank", [1, 3, 8, 16])
def test_low_rank_error_matches_the_approximation(rank):
    from llm_core.lora import low_rank_error

    a, b, error = low_rank_approximation(M, rank)
    direct = low_rank_error(np.linalg.svd(M, compute_uv=False), rank)
    assert np.isclose(direct["relative"], np.linalg.norm(M - a @ b) / np.linalg.norm(M))
    assert all(np.isclose(direct[k], error[k], rtol=1e-12) for k in ("relative", "energy"))
