"""Sampling: from the model's logits to the next token, one filter at a time.

The model outputs one logit per vocabulary entry. `sample` turns them into a token in the order
Hugging Face transformers applies its logits warpers (`GenerationMixin._get_logits_warper`, 4.41):

    1. temperature: probs = softmax(logits / T). T < 1 sharpens, T > 1 flattens; T = 0 means greedy.
    2. top-k (Fan et al. 2018, arXiv:1805.04833): keep the k most likely tokens.
    3. top-p, nucleus (Holtzman et al. 2019, arXiv:1904.09751): keep the smallest set of most likely
       tokens whose probabilities add up to at least p.
    4. min-p (Nguyen et al. 2024, arXiv:2407.01082): keep tokens at least min_p times as likely as
       the most likely one.
    5. draw: renormalise what is kept and draw one token with the given random generator.

After each filter the kept probabilities are renormalised to sum to 1 (transformers does the same by
setting removed logits to -inf before the next softmax). subtle: llama.cpp's default sampler chain
applies temperature last, after its filters; since top-p and min-p look at probabilities, which
temperature changes, the two orders can keep different tokens.

>>> out = sample(np.array([2.0, 1.0, 0.0]), temperature=0)
>>> out["token"], out["probs"].tolist()
(0, [1.0, 0.0, 0.0])
"""

import math
import numbers

import numpy as np

from .activations import softmax


def check_sampling_params(temperature, top_k, top_p, min_p):
    """Raise a ValueError naming the first parameter outside its valid range."""

    def is_number(x):
        return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)

    if not (is_number(temperature) and temperature >= 0):
        raise ValueError(f"temperature must be a number >= 0 (0 means greedy), got {temperature!r}")
    if not (isinstance(top_k, numbers.Integral) and not isinstance(top_k, bool) and top_k >= 0):
        raise ValueError(f"top_k must be an integer >= 0 (0 means no top-k), got {top_k!r}")
    if not (is_number(top_p) and 0 <= top_p <= 1):
        raise ValueError(f"top_p must be a number in [0, 1] (1 means no top-p), got {top_p!r}")
    if not (is_number(min_p) and 0 <= min_p <= 1):
        raise ValueError(f"min_p must be a number in [0, 1] (0 means no min-p), got {min_p!r}")


def check_logits(logits):  # [n_vocab] -> [n_vocab] float64
    """Logits as float64; raise a ValueError for a wrong shape, NaN, +inf, or nothing finite."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 1 or logits.size == 0:
        raise ValueError(f"logits must be a non-empty 1-D array [n_vocab], got shape {logits.shape}")
    if np.isfinite(logits).all():  # the usual case, one pass; the checks below say what is wrong
        return logits
    if np.isnan(logits).any():
        raise ValueError(f"logits must not contain NaN (first at index {int(np.argmax(np.isnan(logits)))})")
    if np.isposinf(logits).any():
        raise ValueError("logits must not contain +inf (-inf is allowed: probability 0)")
    if np.isneginf(logits).all():
        raise ValueError("logits must have at least one finite value (all are -inf)")
    return logits


def apply_temperature(logits, temperature):  # [n_vocab] -> [n_vocab]
    """softmax(logits / temperature); temperature 0 gives all probability to the greedy token.

    subtle: the maximum is subtracted before dividing, so a tiny temperature cannot overflow to
    inf / inf = NaN (softmax(x / T) = softmax((x - max) / T)).
    """
    if temperature == 0:
        one_hot = np.zeros(len(logits))
        one_hot[greedy(logits)] = 1.0
        return one_hot
    return softmax((logits - logits.max()) / temperature)


def greedy(logits):  # [n_vocab] -> int
    """The most likely token; ties go to the lowest index."""
    return int(np.argmax(logits))


def top_k_mask(logits, k):  # [n_vocab], int -> bool [n_vocab]
    """Keep tokens whose logit is at least the k-th largest; k = 0 keeps every token.

    subtle: tokens tied with the k-th largest are all kept, so ties can keep more than k (as
    transformers' TopKLogitsWarper does).
    """
    finite = np.isfinite(logits)
    if k == 0 or k >= finite.sum():
        return finite
    kth_largest = np.partition(logits, len(logits) - k)[len(logits) - k]
    return logits >= kth_largest


def top_p_mask(probs, top_p):  # [n_vocab], float -> bool [n_vocab]
    """Keep the most likely tokens until their mass reaches top_p (the nucleus).

    A token is kept if the tokens ranked above it hold less than top_p of the mass, so the most likely
    token is always kept (top_p = 0 keeps just it) and top_p = 1 keeps every token. Tokens of equal
    probability rank higher id first, so where ties straddle the cut the highest ids are kept, as in
    transformers' TopPLogitsWarper: it sorts ascending and removes from the least likely end while the
    mass removed is at most 1 - top_p, so of tied tokens the lowest ids go first.
    subtle: transformers sorts with torch.sort(stable=False), which promises no order among ties (on a
    CPU, a long vector's ties come back in no id order); this is its rule with the sort made stable.
    >>> top_p_mask(np.array([0.25, 0.25, 0.5]), 0.6).tolist()  # 0.5 + one 0.25: the higher id
    [False, True, True]
    """
    if top_p >= 1:
        return np.ones(len(probs), dtype=bool)
    sorted_probs = np.sort(probs)[::-1]  # most likely first
    mass_above = np.cumsum(sorted_probs) - sorted_probs  # nondecreasing: the kept tokens come first
    n_keep = max(1, int(np.count_nonzero(mass_above < top_p)))
    cut = sorted_probs[n_keep - 1]  # the least likely kept probability
    keep = probs > cut
    # tokens tied at the cut fill the remaining places, highest id first
    keep[np.flatnonzero(probs == cut)[::-1][: n_keep - int(keep.sum())]] = True
    return keep


def top_tokens(probs, n):  # [n_vocab], int -> [min(n, n_vocab)] token ids, most likely first
    """The n most likely tokens in order, ties to the lower index: argsort(-probs, stable)[:n] without
    sorting the whole vocabulary (partition finds the n-th largest, then only the candidates are sorted).

    >>> top_tokens(np.array([0.1, 0.4, 0.1, 0.4]), 3).tolist()
    [1, 3, 0]
    """
    n = min(int(n), len(probs))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    nth_largest = np.partition(probs, len(probs) - n)[len(probs) - n]
    candidates = np.flatnonzero(probs >= nth_largest)  # ascending ids, at least n of them
    return candidates[np.argsort(-probs[candidates], kind="stable")][:n]


def min_p_mask(probs, min_p):  # [n_vocab], float -> bool [n_vocab]
    """Keep tokens with probability >= min_p * (the largest probability); 0 keeps every token."""
    return probs >= min_p * probs.max()


def renormalise(probs, keep):  # [n_vocab], bool [n_vocab] -> [n_vocab]
    """Zero the removed tokens and rescale the rest to sum to 1."""
    kept = np.where(keep, probs, 0.0)
    return kept / kept.sum()


def draw(probs, rng):  # [n_vocab], Generator -> (int, float)
    """Inverse-CDF draw: u uniform in [0, 1), the token whose cumulative-probability interval holds u.

    Returns (token, u). A token with probability 0 owns an empty interval and is never drawn.
    """
    u = float(rng.random())
    token = int(np.searchsorted(np.cumsum(probs), u, side="right"))
    # subtle: the cumulative sum can end a rounding error below 1, with u above it; the draw then
    # belongs to the last token that has any probability, not to the last index.
    return min(token, int(np.flatnonzero(probs > 0)[-1])), u


def as_generator(rng):
    """A numpy Generator from a Generator, an integer seed, or None (fresh entropy from the OS)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0):
        return np.random.default_rng(rng)
    raise ValueError(f"rng must be a numpy Generator, an integer seed >= 0 or None, got {rng!r}")


def sample(logits, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, rng=None):
    """Pick the next token from logits [n_vocab]: temperature, top-k, top-p, min-p, then a random draw.

    Returns a dict: token (int); probs, the final renormalised distribution [n_vocab]; kept, the tokens
    that survived every filter (bool [n_vocab]); stages, the distribution after each step ("softmax"
    at temperature 1, then "temperature", "top_k", "top_p", "min_p"); u, the uniform number drawn
    (None when greedy). Same logits, parameters and seed give the same token.

    >>> sample(np.array([1.0, 1.0, -np.inf]), top_k=1, rng=0)["kept"].tolist()  # ties are kept
    [True, True, False]
    """
    check_sampling_params(temperature, top_k, top_p, min_p)
    logits = check_logits(logits)
    rng = as_generator(rng)
    stages = {"softmax": softmax(logits - logits.max())}
    # dividing by 1 changes nothing: at temperature 1 the distribution is the softmax already computed
    probs = stages["softmax"] if temperature == 1 else apply_temperature(logits, temperature)
    stages["temperature"] = probs
    if temperature == 0:
        kept = probs > 0
        stages.update(top_k=probs, top_p=probs, min_p=probs)
        return {"token": greedy(logits), "probs": probs, "kept": kept, "stages": stages, "u": None}

    # a filter that is off keeps every token: its stage is the previous one, nothing to renormalise
    kept = top_k_mask(logits, top_k)
    if top_k:
        probs = renormalise(probs, kept)
    stages["top_k"] = probs
    if top_p < 1:
        kept &= top_p_mask(probs, top_p)
        probs = renormalise(probs, kept)
    stages["top_p"] = probs
    if min_p > 0:
        kept &= min_p_mask(probs, min_p)
        probs = renormalise(probs, kept)
    stages["min_p"] = probs
    token, u = draw(probs, rng)
    return {"token": token, "probs": probs, "kept": kept, "stages": stages, "u": u}


def entropy(probs, base=math.e):  # [..., n_vocab] -> [...]
    """-sum p log p: how uncertain a distribution is (nats; base=2 for bits). 0 log 0 counts as 0.

    exp(entropy) is the distribution's perplexity: the number of equally likely tokens that would be
    as uncertain (4 equally likely tokens: entropy log 4, perplexity 4).
    """
    p = np.asarray(probs, dtype=np.float64)
    logp = np.log(np.where(p > 0, p, 1.0))
    return -np.sum(p * logp, axis=-1) / math.log(base)
