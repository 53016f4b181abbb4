"""Normalisation: rescale each token's vector before a sub-layer so its size stays under control.

Deep stacks of residual additions let vector sizes drift; normalising the input of every sub-layer
("pre-norm") keeps the numbers in a range where training is stable. Both functions act on the last axis
(one token's d_model numbers) and have a learned per-feature gain.

- layer_norm (Ba et al. 2016, arXiv:1607.06450; GPT-2): subtract the mean, divide by the standard
  deviation, then scale by `weight` and shift by `bias`.
- rms_norm (Zhang & Sennrich 2019, arXiv:1910.07467; Llama): skip the mean, divide by the root mean
  square, scale by `weight`. One reduction instead of two, no bias, and it works as well in practice.

>>> rms_norm(np.array([3.0, 4.0]), np.ones(2), eps=0.0)  # rms = sqrt((9 + 16) / 2)
array([0.84852814, 1.13137085])
"""

import numpy as np


def rms(x, eps=1e-5):  # [..., d_model] -> [..., 1]
    """Root mean square of each vector, sqrt(mean(x^2) + eps); what rms_norm divides by."""
    # the mean of the squares, written as sum / n: the same float value as np.mean, with less call overhead
    return np.sqrt(np.sum(x * x, axis=-1, keepdims=True) / x.shape[-1] + eps)


def rms_norm(x, weight, eps=1e-5):  # [..., d_model], [d_model] -> [..., d_model]
    """x / rms(x) * weight.

    eps keeps an all-zero vector from dividing by zero; Llama 2 and 3 use 1e-5 (their config.json's
    `rms_norm_eps`). The output vector has root mean square 1 before the gain is applied.
    """
    return x / rms(x, eps) * weight


def layer_norm(x, weight, bias, eps=1e-5):  # [..., d_model], [d_model], [d_model] -> [..., d_model]
    """(x - mean) / sqrt(var + eps) * weight + bias, mean and variance over the last axis.

    subtle: the variance is the biased one (divide by d_model, not d_model - 1), as in the paper and
    torch.nn.LayerNorm; eps = 1e-5 is GPT-2's `layer_norm_epsilon`.
    """
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias
