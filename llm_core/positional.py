"""Sinusoidal position encodings: how the original Transformer told its layers where each token sits.

"Attention Is All You Need" (Vaswani et al. 2017, arXiv:1706.03762, section 3.5) adds to each token's
embedding a fixed vector that depends only on its position pos:

    PE(pos, 2i) = sin(pos / base^(2i / d_model)),    PE(pos, 2i + 1) = cos(pos / base^(2i / d_model))

with base = 10,000: pair i is a sine and a cosine of the angle pos * omega_i, omega_i = base^(-2i/d_model),
the same geometric ladder of frequencies RoPE later used (llm_core.rope). The dot product of two
encodings depends only on how far apart they are: PE(p) . PE(p + k) = sum_i cos(k omega_i)
(sin a sin b + cos a cos b = cos(a - b)). But the encoding is added to the embedding and then
projected by the learned w_q and w_k, and the projected score keeps terms that depend on p itself; RoPE
rotates q and k instead, and its score depends on the offset alone.

>>> sinusoidal_positions(2, 4).round(4)  # position 0: sin 0 = 0, cos 0 = 1 in every pair
array([[0.    , 1.    , 0.    , 1.    ],
       [0.8415, 0.5403, 0.01  , 1.    ]])
"""

import numpy as np


def sinusoid_frequencies(d_model, base=10000.0):  # -> [d_model // 2]
    """omega_i = base^(-2i / d_model) for pairs i = 0 .. d_model/2 - 1, in radians per position."""
    if d_model < 2 or d_model % 2:
        raise ValueError(f"d_model must be even and at least 2, got {d_model}")
    return base ** (-np.arange(0, d_model, 2) / d_model)


def sinusoidal_positions(n_seq, d_model, base=10000.0):  # -> [n_seq, d_model]
    """The encodings of positions 0 .. n_seq - 1: even columns sin(pos omega_i), odd columns cos(pos omega_i)."""
    angles = np.arange(n_seq)[:, None] * sinusoid_frequencies(d_model, base)[None, :]  # [n_seq, d_model // 2]
    pe = np.empty((n_seq, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def encoding_dot(offset, d_model, base=10000.0):  # -> float
    """PE(p) . PE(p + offset) for any p: sum_i cos(offset omega_i), a function of the offset alone.

    >>> round(encoding_dot(0, 128), 6)  # a position with itself: every pair contributes cos 0 = 1
    64.0
    """
    return float(np.cos(offset * sinusoid_frequencies(d_model, base)).sum())
