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


CHINCHILLA = LossFit(
    e=1.69,
    a=406.4,
    b=410.7,
    alpha=0.34,
    beta=0.28,
    source="Hoffmann et al. 2022, arXiv:2203.15556, section 3.3 (approach 3)",
)


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
    return {
        "n_params": n_params,
        "n_tokens": n_tokens,
        "loss": chinchilla_loss(n_params, n_tokens, fit),
        "tokens_per_param": n_tokens / n_params,
    }


def loss_at_budget(n_params, flops, fit=CHINCHILLA):  # [...], float -> [...]
    """The fitted loss of an N-parameter model trained with `flops` (so on D = C / 6N tokens).

    Plotted against N for a fixed budget this is the paper's IsoFLOP curve (figure 3): too small a model
    is limited by its size, too large a one by the tokens it can afford; the valley is compute_optimal.
    """
    return chinchilla_loss(n_params, flops / (6.0 * np.asarray(n_params, dtype=np.float64)), fit)


TOKENS_PER_PARAM = 20  # the rule of thumb: Chinchilla itself (70B on 1.4T) and approaches 1 and 2 of the paper


def rule_of_thumb(flops, tokens_per_param=TOKENS_PER_PARAM):  # -> dict
    """N and D with D = r N and 6 N D = C: N = sqrt(C / 6r). The same keys as compute_optimal.

    >>> round(rule_of_thumb(5.88e23)["n_params"] / 1e9, 1)  # Chinchilla's budget gives Chinchilla
    70.0
    """
    if not flops > 0:
        raise ValueError(f"flops must be > 0, got {flops!r}")
    n_params = (flops / (6.0 * tokens_per_param)) ** 0.5
    n_tokens = tokens_per_param * n_params
    return {
        "n_params": n_params,
        "n_tokens": n_tokens,
        "loss": chinchilla_loss(n_params, n_tokens),
        "tokens_per_param": float(tokens_per_param),
    }


def tokens_for_loss(loss, n_params, fit=CHINCHILLA):  # float, [...] -> [...]
    """The D at which an N-parameter model reaches `loss` on the fit: an iso-loss contour D(N).

    Solves L = E + A / N^alpha + B / D^beta for D; inf where even infinite data cannot reach `loss`
    (the model is too small: E + A / N^alpha >= loss).
    """
    gap = loss - fit.e - fit.a / np.power(np.asarray(n_params, dtype=np.float64), fit.alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(gap > 0, np.power(fit.b / np.where(gap > 0, gap, 1.0), 1.0 / fit.beta), np.inf)
    return float(d) if np.ndim(d) == 0 else d


def gpu_days(flops, flops_per_s, utilization):  # -> float
    """Days one accelerator takes to do `flops` at a fraction `utilization` of its peak `flops_per_s`.

    `utilization` is the model FLOPs utilization (MFU): large training runs reach about 0.4 to 0.5 of
    peak (PaLM: 46.2%, Chowdhery et al. 2022, arXiv:2204.02311, table 3).
    >>> gpu_days(86400e15, 1e15, 0.5)  # a day's work at 1 PFLOP/s peak, half used: two days
    2.0
    """
    if not (flops_per_s > 0 and 0 < utilization <= 1):
        raise ValueError("need flops_per_s > 0 and 0 < utilization <= 1")
    return flops / (flops_per_s * utilization * 86400.0)


@dataclass(frozen=True)
class TrainedModel:
    """A published model: its parameter count and the tokens it was trained on."""

    name: str
    n_params: float  # parameters, as published
    n_tokens: float  # training tokens, as published
    source: str  # where the two numbers are stated
    url: str  # the paper or model card ("" for Glassbox's own model)


TRAINED_MODELS = (
    TrainedModel(
        "GPT-3", 175e9, 300e9, "Brown et al. 2020, table 2.1 and section 2.2", "https://arxiv.org/abs/2005.14165"
    ),
    TrainedModel(
        "Gopher",
        280e9,
        300e9,
        "Rae et al. 2021, table 1; Hoffmann et al. 2022, table 1",
        "https://arxiv.org/abs/2112.11446",
    ),
    TrainedModel("Chinchilla", 70e9, 1.4e12, "Hoffmann et al. 2022, table 1", "https://arxiv.org/abs/2203.15556"),
    TrainedModel("Llama 2 7B", 7e9, 2e12, "Touvron et al. 2023, table 1", "https://arxiv.org/abs/2307.09288"),
    TrainedModel(
        "Llama 3 8B",
        8e9,
        15e12,
        'Meta-Llama-3-8B model card ("over 15T tokens")',
        "https://huggingface.co/meta-llama/Meta-Llama-3-8B",
    ),
    TrainedModel("Glassbox tiny", 1_705_600, 17_039_360, "models/tiny/REPORT.md (4,160 steps)", ""),
)
