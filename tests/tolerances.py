"""How far apart the same float may come out when it is computed two ways: the tolerance, derived once.

numpy hands float32 matrix products to BLAS, and OpenBLAS picks its kernel for the CPU at run time; the
kernel, its blocking and the thread count decide the order in which every dot product is summed, and
Pyodide's numpy, without BLAS, sums in yet another order. So a value computed two ways (one row alone
and the whole prompt batched, a cached decoding step and the full pass, float32 and a float64 reference)
agrees only up to rounding, and a test that compares the two more tightly than rounding allows passes on
one machine and fails on the next (issue 17: a relative 1e-6 on a 128-term float32 dot product).

The rule. float32 keeps 24 significant bits: one rounding is off by at most u = 2^-24 ≈ 6.0e-8 of its
result. A sum of n terms, taken in any order and with any blocking, lands within γ_n · Σ|term| of the
exact sum, γ_n = n·u / (1 − n·u) (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.,
§3.1, eq. 3.5). That is the worst case; the error seen in practice grows like √n·u, far below it, so the
worst case needs no safety factor on top. Two float32 evaluations of one sum are within twice the bound
of each other, and so are a float32 value and a float64 evaluation of the same quantity (float64's own
rounding is 2^29 times smaller): rounding_tolerance(n, magnitude) = 2·γ_n·magnitude. The same rule with
float64's u = 2^-53 (u=U64) serves float64 values computed two ways (other shapes, other memory layouts).

A value at the end of a chain of sums (a forward pass: norm, projections, attention, FFN, layer after
layer) gathers the error of every link: n is then the number of terms summed along the chain
(forward_terms), and the magnitude the scale of the values compared (their largest |value|): every
rms_norm rescales the stream, so what one layer hands the next is an error relative to that scale.

Exact comparisons stay exact where the computation is the same: token ids, integers, one call made
twice with the same arguments (the same shapes reach the same BLAS kernel on the same machine). A
discrete choice made from floats computed two ways (the argmax of logits) is checked with the same
tolerance: is_top, are_top; a probability through the softmax with probability_tolerance; two generations
with steps_to_compare.
"""

import numpy as np
import pytest

U32 = 2.0**-24  # float32 unit roundoff: the largest relative error of one rounding
U64 = 2.0**-53  # float64's


def gamma(n_terms: int, u: float = U32) -> float:
    """γ_n = n·u / (1 − n·u): the relative error bound of a sum of n terms, in any order."""
    if n_terms * u >= 1:
        raise ValueError(f"{n_terms} terms: no bound on that sum")
    return n_terms * u / (1 - n_terms * u)


def rounding_tolerance(n_terms: int, magnitude, u: float = U32):
    """The largest |a − b| for two computations of one sum of n_terms terms whose absolute values add up
    to `magnitude` (a number, or an array for elementwise bounds), in float32 (or with unit roundoff u)."""
    return 2 * gamma(n_terms, u) * np.asarray(magnitude, dtype=np.float64)


def abs_matmul(x, w):
    """Σ_i |x_i w_ij| for every output of x @ w, in float64: the magnitude of a product's sums."""
    return np.abs(np.asarray(x, dtype=np.float64)) @ np.abs(np.asarray(w, dtype=np.float64))


def forward_terms(cfg, n_seq: int, sublayers: int | None = None, logits: bool = False) -> int:
    """The number of terms summed along the longest chain of llm_core.model.forward, over n_seq
    positions, up to trace["residual"][sublayers] (the stream after that many sub-layers; all of them by
    default), and through the final norm and the unembedding with logits=True. A value inside a sub-layer
    (its q, gate or hidden activations) is bounded by the count after that sub-layer.

    Attention: its norm (d_model terms), a q, k or v projection (d_model), a score (d_head), the softmax's
    denominator and the mix of values (n_seq each), W_o (n_head·d_head), the add to the stream (1). FFN:
    its norm (d_model), gate or up (d_model), W_down (d_ff), the add (1). Each elementwise step (a square
    root, a division, the gain, RoPE's turn, exp) is one rounding more: 8 per sub-layer covers them.
    """
    if sublayers is None:
        sublayers = 2 * cfg.n_layer
    attention = 2 * cfg.d_model + cfg.d_head + 2 * n_seq + cfg.n_head * cfg.d_head + 1 + 8
    ffn = 2 * cfg.d_model + cfg.d_ff + 1 + 8
    total = (sublayers + 1) // 2 * attention + sublayers // 2 * ffn
    return total + (2 * cfg.d_model + 3 if logits else 0)


def assert_within(actual, expected, tol, what: str = "value"):
    """Every |actual − expected| within tol (a number, or an array of elementwise tolerances); expected is
    an array of actual's shape or one number for all. The message names the worst element."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if expected.ndim == 0:
        expected = np.broadcast_to(expected, actual.shape)
    assert actual.shape == expected.shape, f"{what}: shapes {actual.shape} and {expected.shape}"
    allowed = np.broadcast_to(np.asarray(tol, dtype=np.float64), expected.shape)
    excess = np.abs(actual - expected) - allowed
    if excess.size and not np.all(excess <= 0):  # also fails on NaN
        i = np.unravel_index(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)), excess.shape)
        raise AssertionError(
            f"{what}{list(i) if excess.ndim else ''}: {actual[i]!r} vs {expected[i]!r}, "
            f"|difference| {abs(actual[i] - expected[i]):.3g} > {allowed[i]:.3g} allowed"
        )


def assert_within_rounding(actual, expected, n_terms: int, magnitude, what: str = "value", u: float = U32):
    """Every |actual − expected| within rounding_tolerance(n_terms, magnitude, u)."""
    assert_within(
        actual,
        expected,
        rounding_tolerance(n_terms, magnitude, u),
        f"{what} (sums of {n_terms} terms, unit roundoff {u:.3g})",
    )


def within_rounding(expected, n_terms: int, magnitude, u: float = U32):
    """pytest.approx(expected) within rounding_tolerance(n_terms, magnitude, u): `got == within_rounding(...)`."""
    return pytest.approx(expected, rel=0, abs=float(rounding_tolerance(n_terms, magnitude, u)))


def probability_tolerance(p, logit_tolerance):
    """How far a softmax probability p may move when no logit moves by more than logit_tolerance: log p,
    a logit minus the log of the sum of all exp(logit), moves by at most twice that, p by p·(e^(2·tol) − 1)."""
    return np.asarray(p, dtype=np.float64) * np.expm1(2 * logit_tolerance)


def logprob_tolerance(cfg, logits, n_tokens: int) -> float:
    """How far a sum of n_tokens log-probabilities, read from the float32 logits [n_seq, n_vocab] of one
    forward pass, may move between two computations of that pass: each is a logit minus the log of a sum
    of exps, so twice the logits' tolerance (the float64 log-softmax after them rounds far less)."""
    logit_tol = rounding_tolerance(forward_terms(cfg, len(logits), logits=True), np.abs(logits).max())
    return float(n_tokens * 2 * logit_tol)


def are_top(values, indices, tol: float) -> bool:
    """indices are the len(indices) largest of values, largest first, up to tol: a near tie (closer than
    tol) may go either way, anything else must be as in values."""
    values, indices = np.asarray(values, dtype=np.float64), [int(i) for i in indices]
    chosen, rest = values[indices], np.delete(values, indices)
    return bool(
        len(set(indices)) == len(indices)
        and np.all(chosen[:-1] >= chosen[1:] - tol)
        and (rest.size == 0 or rest.max() <= chosen.min() + tol)
    )


def is_top(values, index: int, tol: float) -> bool:
    """values[index] is the largest of values up to tol: the argmax, allowing a near tie to go either way."""
    return are_top(values, [index], tol)


def steps_to_compare(tokens, other_tokens) -> int:
    """How many steps of two generations from one prompt, computed two ways, to compare: all of them when
    they chose the same tokens; else up to and including the first step that chose differently. Up to
    that step both read the same tokens, so its logits must still agree within rounding, and a choice
    there that went the other way was a near tie that rounding decided; after it the two read different
    tokens and nothing is left to compare."""
    assert len(tokens) == len(other_tokens), "two generations of the same length"
    return next((k + 1 for k, (a, b) in enumerate(zip(tokens, other_tokens)) if a != b), len(tokens))
