"""llm_core.positional against the formula of Vaswani et al. 2017 (arXiv:1706.03762, section 3.5) written as a
naive loop, the offset identity of the encodings' dot product, and the numbers chapters/07-rope.md quotes."""

import math
from pathlib import Path

import numpy as np
import pytest

from llm_core.positional import encoding_dot, sinusoid_frequencies, sinusoidal_positions
from llm_core.rope import rope_frequencies

CHAPTER = Path(__file__).resolve().parents[2] / "chapters" / "07-rope.md"


def naive_positions(n_seq, d_model, base=10000.0):
    """PE(pos, 2i) = sin(pos / base^(2i/d_model)), PE(pos, 2i+1) = cos(pos / base^(2i/d_model)), with math."""
    pe = [[0.0] * d_model for _ in range(n_seq)]
    for pos in range(n_seq):
        for i in range(d_model // 2):
            angle = pos / base ** (2 * i / d_model)
            pe[pos][2 * i] = math.sin(angle)
            pe[pos][2 * i + 1] = math.cos(angle)
    return np.array(pe)


@pytest.mark.parametrize(
    "n_seq, d_model, base", [(1, 2, 10000.0), (7, 4, 10000.0), (50, 128, 10000.0), (20, 16, 500.0)]
)
def test_against_the_papers_formula(n_seq, d_model, base):
    np.testing.assert_allclose(
        sinusoidal_positions(n_seq, d_model, base), naive_positions(n_seq, d_model, base), rtol=0, atol=1e-12
    )


def test_same_frequencies_as_rope():
    # the ladder of frequencies RoPE reuses, with d_model in the place of d_head
    np.testing.assert_allclose(sinusoid_frequencies(32), rope_frequencies(32), rtol=1e-15)


@pytest.mark.parametrize("offset", [0, 1, 5, 37])
def test_dot_product_depends_on_the_offset_only(offset):
    pe = sinusoidal_positions(300, 128)
    expected = encoding_dot(offset, 128)
    for p in [0, 10, 100, 250]:
        assert math.isclose(pe[p] @ pe[p + offset], expected, rel_tol=1e-12, abs_tol=1e-12)


def test_odd_sizes_are_refused():
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positions(4, 3)


def projected_scores(positions, offset, seed=0):
    """(PE(p) w_q) . (PE(p + offset) w_k) with random w_q, w_k of the tiny model's shapes (128 -> 32)."""
    rng = np.random.default_rng(seed)
    w_q, w_k = rng.normal(0, 128**-0.5, (2, 128, 32))
    pe = sinusoidal_positions(max(positions) + offset + 1, 128)
    return [float((pe[p] @ w_q) @ (pe[p + offset] @ w_k)) for p in positions]


def test_chapter_numbers():
    text = " ".join(CHAPTER.read_text().split())
    assert f"{encoding_dot(5, 128):.2f}" == "47.19" and f"{encoding_dot(50, 128):.2f}" == "34.96"
    scores = [f"{s:.2f}".replace("-", "−") for s in projected_scores([10, 100, 250], 5)]
    assert scores == ["−2.73", "3.16", "6.12"]
    for quoted in ["47.19", "34.96", *scores]:
        assert quoted in text, quoted
