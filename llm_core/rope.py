"""RoPE: rotary position embedding. Position enters attention by rotating queries and keys.

Split a d_head-vector into d_head/2 pairs and rotate pair i by the angle position * freq_i, with
freq_i = base^(-2i / d_head): the first pairs spin fast, the last ones slowly. A rotation preserves
lengths, and the dot product of a query rotated by angle a with a key rotated by angle b depends only on
a - b; so q_m . k_n depends only on the offset m - n, never on m and n themselves (Su et al. 2021,
"RoFormer", arXiv:2104.09864, eq. 14-16).

Pair convention ("rotate_half", as in Hugging Face transformers' Llama and GPT-NeoX): pair i is the
two coordinates (i, i + d_head/2), so the first half of the vector holds the pairs' first coordinates
and the second half their second ones. Meta's original Llama code pairs neighbours (2i, 2i + 1) instead;
the two differ by a fixed permutation of the weights, not in what they compute. The torch training code
must use this same convention. Training turns gradients back through the same rotation
(rotate_pairs_backward).

Longer contexts than the model was trained on (the angles then reach values never seen in training):
- position interpolation (Chen et al. 2023, arXiv:2306.15595): divide positions by `factor`, which is
  the same as dividing every frequency by `factor`; a longer text is squeezed into the trained range.
- NTK-aware scaling (bloc97, r/LocalLLaMA, June 2023; written up in YaRN, Peng et al. 2023,
  arXiv:2309.00071, section 3.1): raise the base to base * factor^(d_head / (d_head - 2)); the fast
  pairs barely change, while the slowest pair is slowed by exactly `factor`.

>>> rope_frequencies(4)  # base 10000: 10000^0, 10000^(-2/4)
array([1.  , 0.01])
"""

import numpy as np

SCALINGS = (None, "linear", "ntk")


def rope_frequencies(d_head, base=10000.0, scaling=None, factor=1.0):  # -> [d_head // 2]
    """Angular frequency of each pair, freq_i = base^(-2i / d_head), in radians per position.

    scaling: None; "linear" (position interpolation: freq / factor); or "ntk" (NTK-aware: base becomes
    base * factor^(d_head / (d_head - 2))). Llama 3 uses base 500000, Llama 2 and Mistral 10000.
    """
    if d_head < 2 or d_head % 2:
        raise ValueError(f"d_head must be an even number >= 2, got {d_head}")
    if scaling not in SCALINGS:
        raise ValueError(f"scaling must be one of {SCALINGS}, got {scaling!r}")
    if not factor >= 1.0:
        raise ValueError(f"factor must be >= 1 (how many times longer the context gets), got {factor}")
    if scaling == "ntk":
        base = base * factor ** (d_head / (d_head - 2))
    freqs = base ** (-np.arange(0, d_head, 2, dtype=np.float64) / d_head)
    if scaling == "linear":
        freqs = freqs / factor
    return freqs


def rope_angles(positions, freqs):  # [n_seq], [d_head // 2] -> [n_seq, d_head // 2]
    """Rotation angle of every pair at every position: position * freq (an outer product)."""
    return np.outer(np.asarray(positions, dtype=np.float64), freqs)


def rotate_half(x):  # [..., d_head] -> [..., d_head]
    """(x1, x2) -> (-x2, x1), halves of the last axis: each pair (a, b) turned 90 degrees to (-b, a)."""
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def rope_cos_sin(positions, freqs, dtype=np.float64):  # [n_seq], [d_head // 2] -> cos, sin [n_seq, d_head]
    """The cosines and sines apply_rope multiplies by: each pair's angle, written at both its coordinates.

    They depend only on the positions, so a forward pass computes them once for every layer and head.
    """
    angles = rope_angles(positions, freqs)  # [n_seq, d_head // 2]
    angles = np.concatenate([angles, angles], axis=-1)  # [n_seq, d_head // 2] -> [n_seq, d_head]
    return np.cos(angles).astype(dtype), np.sin(angles).astype(dtype)


def rotate_pairs(x, cos, sin):  # [..., n_seq, d_head], cos and sin [n_seq, d_head] -> same as x
    """Per pair the 2x2 rotation (a, b) -> (a cos t - b sin t, a sin t + b cos t), for all pairs at once."""
    return x * cos + rotate_half(x) * sin


def rotate_pairs_backward(d_y, cos, sin):  # [..., n_seq, d_head], cos and sin [n_seq, d_head] -> same as d_y
    """The gradient through rotate_pairs: each pair turned back, (a, b) -> (a cos t + b sin t, b cos t - a sin t).

    rotate_pairs is linear, y = R_t x, so dL/dx = R_t^T dL/dy; a rotation's transpose is the rotation by
    -t, its inverse: rotate_pairs(d_y, cos, -sin). RoPE has no weights, so this is its whole backward;
    what the forward saves is only the cos and sin tables of the positions.

    >>> cos, sin = rope_cos_sin([1.0], np.array([0.5]))
    >>> d_y = np.array([[0.3, -1.2]])
    >>> bool(np.allclose(rotate_pairs_backward(rotate_pairs(d_y, cos, sin), cos, sin), d_y))  # R^T R = I
    True
    """
    return rotate_pairs(d_y, cos, -sin)


def apply_rope(x, positions, freqs):  # [..., n_seq, d_head], [n_seq], [d_head // 2] -> same as x
    """Rotate each pair (x_i, x_{i + d_head/2}) of each position by the angle position * freq_i.

    x is [n_seq, d_head] (one head) or [n_head, n_seq, d_head]; positions may be fractional (as after
    interpolation). Per pair this is the 2x2 rotation
        (a, b) -> (a cos t - b sin t, a sin t + b cos t),
    written for all pairs at once as x * cos + rotate_half(x) * sin.
    """
    n_seq, d_head = x.shape[-2], x.shape[-1]
    if d_head != 2 * len(freqs):
        raise ValueError(f"x has d_head = {d_head} but freqs has {len(freqs)} pairs (need d_head / 2)")
    if len(positions) != n_seq:
        raise ValueError(f"positions has {len(positions)} entries but x has n_seq = {n_seq}")
    return rotate_pairs(x, *rope_cos_sin(positions, freqs, x.dtype))


def rope_wavelengths(freqs):  # [d_head // 2] -> [d_head // 2]
    """Tokens it takes each pair to turn a full circle: 2 pi / freq.

    >>> rope_wavelengths(rope_frequencies(4)).round(1)  # 2 pi and 200 pi
    array([  6.3, 628.3])
    """
    return 2 * np.pi / np.asarray(freqs, dtype=np.float64)


def pair_dots(q, k, m, n, freqs):  # [d_head], [d_head], position, position, [d_head // 2] -> [d_head // 2]
    """Each pair's share of the dot product of q rotated to position m with k rotated to position n.

    The shares add up to the full q_m . k_n. Pair i contributes |q_i| |k_i| cos(phi_q - phi_k + (m - n) freq_i),
    phi being the pair's angle before rotation: only m - n appears (RoFormer, eq. 16).
    """
    q, k = np.asarray(q, dtype=np.float64), np.asarray(k, dtype=np.float64)
    q_m = apply_rope(q[None, :], [m], freqs)[0]  # [d_head] -> [1, d_head] -> [d_head]
    k_n = apply_rope(k[None, :], [n], freqs)[0]
    half = len(freqs)
    products = q_m * k_n  # [d_head]: coordinate i and coordinate i + d_head/2 belong to pair i
    return products[:half] + products[half:]


def unseen_angle_pairs(freqs_trained, freqs_new, n_ctx_trained, n_ctx_new, rtol=1e-9):  # -> bool [d_head // 2]
    """Which pairs reach angles at positions below n_ctx_new that they never reached in training.

    In training, pair i saw the angles 0 .. n_ctx_trained * freq_i. If that is a full turn (2 pi) or
    more, it has seen every direction and nothing is new; otherwise angles beyond it are new to the
    model. With new frequencies (after scaling) and a longer context the pair reaches
    n_ctx_new * freq_new_i. rtol absorbs rounding: position interpolation lands exactly on the old
    largest angle.
    """
    seen = n_ctx_trained * np.asarray(freqs_trained, dtype=np.float64)
    reached = n_ctx_new * np.asarray(freqs_new, dtype=np.float64)
    return (seen < 2 * np.pi) & (reached > seen * (1 + rtol))
