"""Normalisation: rescale each token's vector before a sub-layer so its size stays under control.

Deep stacks of residual additions let vector sizes drift; normalising the input of every sub-layer
("pre-norm") keeps the numbers in a range where training is stable. Both functions act on the last axis
(one token's d_model numbers) and have a learned per-feature gain.

- layer_norm (Ba et al. 2016, arXiv:1607.06450; GPT-2): subtract the mean, divide by the standard
  deviation, then scale by `weight` and shift by `bias`.
- rms_norm (Zhang & Sennrich 2019, arXiv:1910.07467; Llama): skip the mean, divide by the root mean
  square, scale by `weight`. One reduction instead of two, no bias, and it works as well in practice.

rms_norm_backward is its gradient, for training (llm_core.train).

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


def rms_norm_backward(d_y, x, weight, eps=1e-5):  # [..., d_model], [..., d_model], [d_model] -> d_x, d_weight
    """The gradients of rms_norm's input and gain, given d_y = dL/dy for y = rms_norm(x, weight, eps).

    -> d_x [..., d_model], d_weight [d_model]. What the forward saves: its input x (rms(x) is recomputed,
    one reduction). With r = rms(x, eps) and x_hat = x / r (so y = x_hat * weight), g = d_y * weight:

        d_weight = sum over every position of d_y * x_hat
        d_x      = (g - x_hat * mean(g * x_hat)) / r

    since dr/dx_j = x_j / (d_model r). The second term takes out g's component along x_hat: at eps = 0,
    scaling x leaves y unchanged, so moving x along itself changes nothing and gets no gradient.

    >>> x, w = np.array([3.0, 4.0]), np.ones(2)
    >>> d_x, _ = rms_norm_backward(x, x, w, eps=0.0)  # d_y along x: y does not change
    >>> np.abs(d_x).max() < 1e-15
    np.True_
    """
    r = rms(x, eps)  # [..., 1]
    x_hat = x / r
    d_weight = (d_y * x_hat).reshape(-1, x.shape[-1]).sum(axis=0)
    g = d_y * weight
    return (g - x_hat * (np.sum(g * x_hat, axis=-1, keepdims=True) / x.shape[-1])) / r, d_weight


def layer_norm(x, weight, bias, eps=1e-5):  # [..., d_model], [d_model], [d_model] -> [..., d_model]
    """(x - mean) / sqrt(var + eps) * weight + bias, mean and variance over the last axis.

    subtle: the variance is the biased one (divide by d_model, not d_model - 1), as in the paper and
    torch.nn.LayerNorm; eps = 1e-5 is GPT-2's `layer_norm_epsilon`.
    """
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias
