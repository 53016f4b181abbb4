"""llm_core.rope: a naive per-pair 2x2 rotation, the relative-offset property, norms, and scalings."""

import math

import numpy as np
import pytest

from llm_core.rope import (
    apply_rope,
    pair_dots,
    rope_angles,
    rope_frequencies,
    rope_wavelengths,
    rotate_half,
    unseen_angle_pairs,
)

RNG = np.random.default_rng(3)


def naive_rope(x, positions, d_head, base=10000.0):
    """One explicit 2x2 rotation per (position, pair), pair i = coordinates (i, i + d_head/2)."""
    out = np.array(x, dtype=np.float64)
    half = d_head // 2
    for t, pos in enumerate(positions):
        for i in range(half):
            theta = pos * base ** (-2 * i / d_head)
            rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
            out[t, [i, i + half]] = rotation @ np.array([x[t, i], x[t, i + half]])
    return out


def test_frequencies_by_hand():
    np.testing.assert_allclose(rope_frequencies(8), [1.0, 0.1, 0.01, 0.001], rtol=1e-14)
    np.testing.assert_allclose(rope_frequencies(4, base=100.0), [1.0, 0.1], rtol=1e-14)


@pytest.mark.parametrize("d_head", [2, 8, 64])
def test_matches_naive_rotation(d_head):
    x = RNG.normal(size=(7, d_head))
    positions = np.array([0, 1, 2, 5, 17, 100, 4095])
    np.testing.assert_allclose(
        apply_rope(x, positions, rope_frequencies(d_head)), naive_rope(x, positions, d_head), rtol=1e-12, atol=1e-12
    )


def test_heads_axis_rotates_each_head_alike():
    x = RNG.normal(size=(3, 5, 16))  # [n_head, n_seq, d_head]
    positions = np.arange(10, 15)
    out = apply_rope(x, positions, rope_frequencies(16))
    for h in range(3):
        np.testing.assert_allclose(out[h], naive_rope(x[h], positions, 16), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("base", [10000.0, 500000.0])
def test_dot_product_depends_only_on_offset(base):
    d_head = 32
    freqs = rope_frequencies(d_head, base=base)
    q, k = RNG.normal(size=(1, d_head)), RNG.normal(size=(1, d_head))
    for offset in [0, 1, 7, -3, 250]:
        dots = []
        for m in [0, 5, 40, 1000, 12345]:
            n = m - offset
            dots.append((apply_rope(q, [m], freqs) @ apply_rope(k, [n], freqs).T).item())
        np.testing.assert_allclose(dots, dots[0], rtol=1e-9, atol=1e-9)


def test_score_matrix_is_toeplitz():
    # the same q and k at every position: score[m, n] = f(m - n), constant along each diagonal
    d_head, n = 16, 12
    freqs = rope_frequencies(d_head)
    q = apply_rope(np.tile(RNG.normal(size=d_head), (n, 1)), np.arange(n), freqs)
    k = apply_rope(np.tile(RNG.normal(size=d_head), (n, 1)), np.arange(n), freqs)
    scores = q @ k.T
    for diag in range(-n + 1, n):
        values = np.diagonal(scores, offset=diag)
        np.testing.assert_allclose(values, values[0], rtol=1e-10, atol=1e-10)


def test_preserves_norms_and_position_zero_is_identity():
    x = RNG.normal(size=(6, 24))
    out = apply_rope(x, np.arange(6) * 37, rope_frequencies(24))
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-12)
    np.testing.assert_array_equal(apply_rope(x[:1], [0], rope_frequencies(24)), x[:1])


def test_rotate_half():
    np.testing.assert_array_equal(rotate_half(np.array([1.0, 2.0, 3.0, 4.0])), [-3.0, -4.0, 1.0, 2.0])


def test_angles_outer_product():
    np.testing.assert_allclose(rope_angles([0, 2], [1.0, 0.5]), [[0.0, 0.0], [2.0, 1.0]])


def test_linear_scaling_is_dividing_positions():
    x, positions, factor = RNG.normal(size=(5, 16)), np.arange(100, 105), 4.0
    scaled = apply_rope(x, positions, rope_frequencies(16, scaling="linear", factor=factor))
    np.testing.assert_allclose(scaled, apply_rope(x, positions / factor, rope_frequencies(16)), rtol=1e-12)


def test_ntk_scaling_raises_the_base():
    d_head, base, factor = 64, 10000.0, 8.0
    ntk = rope_frequencies(d_head, base, scaling="ntk", factor=factor)
    np.testing.assert_allclose(ntk, rope_frequencies(d_head, base * factor ** (d_head / (d_head - 2))), rtol=1e-12)
    assert ntk[0] == 1.0  # the fastest pair is untouched
    plain = rope_frequencies(d_head, base)
    assert ntk[-1] == pytest.approx(plain[-1] / factor, rel=1e-12)  # the slowest is slowed by `factor`


def test_factor_one_changes_nothing():
    for scaling in ("linear", "ntk"):
        np.testing.assert_allclose(rope_frequencies(16, scaling=scaling, factor=1.0), rope_frequencies(16))


def test_float32_stays_float32():
    x = RNG.normal(size=(4, 8)).astype(np.float32)
    assert apply_rope(x, np.arange(4), rope_frequencies(8)).dtype == np.float32


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"d_head": 7}, "d_head"),
        ({"d_head": 0}, "d_head"),
        ({"d_head": 8, "scaling": "yarn"}, "scaling"),
        ({"d_head": 8, "scaling": "ntk", "factor": 0.5}, "factor"),
    ],
)
def test_invalid_frequencies(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rope_frequencies(**kwargs)


def test_shape_mismatches():
    with pytest.raises(ValueError, match="positions"):
        apply_rope(np.zeros((3, 8)), [0, 1], rope_frequencies(8))
    with pytest.raises(ValueError, match="d_head"):
        apply_rope(np.zeros((3, 8)), [0, 1, 2], rope_frequencies(6))


def test_against_torch_rotate_half():
    torch = pytest.importorskip("torch", reason="torch not installed; the naive rotation above still runs")
    d_head, positions = 16, torch.arange(9, dtype=torch.float64)
    x = torch.from_numpy(RNG.normal(size=(2, 9, d_head)))
    inv_freq = 1.0 / (10000.0 ** (torch.arange(0, d_head, 2, dtype=torch.float64) / d_head))
    emb = torch.cat([torch.outer(positions, inv_freq)] * 2, dim=-1)  # Hugging Face Llama's formulation
    half = d_head // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    expected = (x * emb.cos() + rotated * emb.sin()).numpy()
    np.testing.assert_allclose(
        apply_rope(x.numpy(), np.arange(9), rope_frequencies(d_head)), expected, rtol=1e-12, atol=1e-12
    )


def test_wavelengths_are_tokens_per_turn():
    freqs = rope_frequencies(32)
    waves = rope_wavelengths(freqs)
    np.testing.assert_allclose(waves[0], 2 * math.pi, rtol=1e-15)
    # after one wavelength of positions, every pair is back where it started
    x = RNG.normal(size=(1, 32))
    for i in (0, 5, 15):
        turned = apply_rope(x, [waves[i]], freqs)[0]
        np.testing.assert_allclose(turned[[i, i + 16]], x[0, [i, i + 16]], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("m, n", [(0, 0), (9, 4), (4, 9), (200, 3)])
def test_pair_dots_add_up_and_match_the_closed_form(m, n):
    d_head, freqs = 16, rope_frequencies(16)
    q, k = RNG.normal(size=d_head), RNG.normal(size=d_head)
    shares = pair_dots(q, k, m, n, freqs)
    full = (apply_rope(q[None], [m], freqs) @ apply_rope(k[None], [n], freqs).T).item()
    assert shares.sum() == pytest.approx(full, rel=1e-12, abs=1e-12)
    half = d_head // 2
    for i in range(half):
        phi_q, phi_k = math.atan2(q[i + half], q[i]), math.atan2(k[i + half], k[i])
        expected = (
            math.hypot(q[i], q[i + half]) * math.hypot(k[i], k[i + half]) * math.cos(phi_q - phi_k + (m - n) * freqs[i])
        )
        assert shares[i] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_unseen_angle_pairs():
    d_head, n_ctx, factor = 32, 256, 4.0
    plain = rope_frequencies(d_head)
    long_ctx = int(n_ctx * factor)
    # pairs whose wavelength exceeds the trained context never finished a turn: 7..15 for base 10000
    slow = rope_wavelengths(plain) > n_ctx
    assert slow.nonzero()[0].tolist() == list(range(7, 16))
    # no scaling: every such pair goes past what it saw; position interpolation: none does
    np.testing.assert_array_equal(unseen_angle_pairs(plain, plain, n_ctx, long_ctx), slow)
    linear = rope_frequencies(d_head, scaling="linear", factor=factor)
    assert not unseen_angle_pairs(plain, linear, n_ctx, long_ctx).any()
    # NTK-aware: the slowest pair is slowed by exactly `factor`, the others by less, so they overshoot
    ntk = rope_frequencies(d_head, scaling="ntk", factor=factor)
    assert unseen_angle_pairs(plain, ntk, n_ctx, long_ctx).nonzero()[0].tolist() == list(range(7, 15))
    # the same context as in training reaches nothing new
    assert not unseen_angle_pairs(plain, plain, n_ctx, n_ctx).any()


def test_cos_sin_tables_rotate_like_apply_rope():
    from llm_core.rope import rope_cos_sin, rotate_pairs

    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 5, 8))
    positions, freqs = [0, 1, 7, 30, 2.5], rope_frequencies(8)
    np.testing.assert_array_equal(rotate_pairs(x, *rope_cos_sin(positions, freqs)), apply_rope(x, positions, freqs))
    cos, sin = rope_cos_sin(positions, freqs, np.float32)
    assert cos.dtype == sin.dtype == np.float32 and cos.shape == (5, 8)
    np.testing.assert_allclose(cos**2 + sin**2, 1.0, atol=1e-6)  # one angle per pair, at both coordinates
