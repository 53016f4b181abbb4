"""Scaling laws: how loss falls with parameters and data, and how to split a compute budget.

Training a dense transformer of N parameters on D tokens costs about C = 6 N D floating-point operations
(2 N per token for the forward pass, 4 N for the backward; Kaplan et al. 2020, arXiv:2001.08361,
section 2.1). Hoffmann et al. 2022 ("Chinchilla", arXiv:2203.15556, section 3.3, "approach 3") fit
the final loss of their 400+ training runs with

    L(N, D) = E + A / N^alpha + B / D^beta,    E = 1.69, A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28

E is the loss no model can beat (the entropy of text); the other terms are what a finite model and a
finite dataset add. Minimising L subject to C = 6 N D has a closed form (their eq. 4):

    N_opt = G (C / 6)^(beta / (alpha + beta)),  D_opt = (C / 6)^(alpha / (alpha + beta)) / G,
    G = (alpha A / (beta B))^(1 / (alpha + beta))

so parameters and tokens should grow about equally with compute (exponents 0.45 and 0.55 here; the
paper's other two approaches give ~0.5 each, and the "about 20 tokens per parameter" rule of thumb).
subtle: these constants are one fit to one family of models and one dataset; they are not universal
(Besiroglu et al. 2024, arXiv:2404.10102, refit the same data and got different values).

>>> round(chinchilla_loss(70e9, 1.4e12), 3)  # Chinchilla itself
1.937
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LossFit:
    """L(N, D) = e + a / N^alpha + b / D^beta."""
    e: float  # irreducible loss (nats per token)
    a: float  # size of the finite-parameters term
    b: float  # size of the finite-data term
    alpha: float  # how fast the parameters term falls with N
    beta: float  # how fast the data term falls with D
    source: str


CHINCHILLA = LossFit(e=1.69, a=406.4, b=410.7, alpha=0.34, beta=0.28,
                     source="Hoffmann et al. 2022, arXiv:2203.15556, section 3.3 (approach 3)")


def training_flops(n_params, n_tokens):  # -> float
    """C ~ 6 N D: training compute in FLOPs for N parameters and D tokens."""
    return 6.0 * n_params * n_tokens


def chinchilla_loss(n_params, n_tokens, fit=CHINCHILLA):  # [...], [...] -> [...]
    """The fitted final training loss (nats per token) for N parameters trained on D tokens."""
    loss = fit.e + fit.a / np.power(n_params, fit.alpha) + fit.b / np.power(n_tokens, fit.beta)
    return float(loss) if np.ndim(loss) == 0 else loss


def compute_optimal(flops, fit=CHINCHILLA):  # -> dict
    """The N and D that minimise the fitted loss for a budget of `flops` (C = 6 N D), closed form.

    Returns n_params, n_tokens, loss, and tokens_per_param (D / N).
    """
    if not flops > 0:
        raise ValueError(f"flops must be > 0, got {flops!r}")
    g = (fit.alpha * fit.a / (fit.beta * fit.b)) ** (1.0 / (fit.alpha + fit.beta))
    n_params = g * (flops / 6.0) ** (fit.beta / (fit.alpha + fit.beta))
    n_tokens = (flops / 6.0) ** (fit.alpha / (fit.alpha + fit.beta)) / g
    return {"n_params": n_params, "n_tokens": n_tokens, "loss": chinchilla_loss(n_params, n_tokens, fit),
            "tokens_per_param": n_tokens / n_params}


def loss_at_budget(n_params, flops, fit=CHINCHILLA):  # [...], float -> [...]
    """The fitted loss of an N-parameter model trained with `flops` (so on D = C / 6N tokens).

    Plotted against N for a fixed budget this is the paper's IsoFLOP curve (figure 3): too small a model
    is limited by its size, too large a one by the tokens it can afford; the valley is compute_optimal.
    """
    return chinchilla_loss(n_params, flops / (6.0 * np.asarray(n_params, dtype=np.float64)), fit)
