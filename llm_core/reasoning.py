"""Reasoning and test-time compute: learning from checked answers, and spending more samples per question.

A model that "thinks" writes extra tokens before its answer; whether the answer is right can often be
checked (a maths result against the known one, code against unit tests). Two ideas use that check.

**GRPO** (group relative policy optimisation; Shao et al. 2024, "DeepSeekMath", arXiv:2402.03300,
section 4.1) trains on it. For one question the model samples a group of G answers, each gets a reward
r_i (1 right, 0 wrong, or a grade), and each answer's advantage is its reward measured against the group:

    A_i = (r_i - mean(r)) / std(r)                                         (their "outcome supervision")

Every token t of answer i gets A_i, and the policy pi_theta is pushed by the clipped PPO objective with a
KL penalty towards the reference model pi_ref (their eq. 3, with the KL estimator of their eq. 4):

    J = 1/G sum_i 1/|o_i| sum_t [ min(rho A_i, clip(rho, 1 - eps, 1 + eps) A_i) - beta KL_t ]
    rho = pi_theta / pi_old (this token),  KL_t = pi_ref / pi_theta - log(pi_ref / pi_theta) - 1

Which variant, exactly: std is the population standard deviation (ddof=0; the paper does not say, and
Hugging Face TRL's GRPOTrainer divides by the sample std plus 1e-4); a group whose rewards are all equal
gets advantage 0 (0 / 0 taken as 0: no learning signal); the sum is normalised per answer (1/|o_i|), then
over the group (1/G), as in eq. 3. DAPO (arXiv:2503.14476) averages over all tokens of the group
instead; Dr. GRPO (arXiv:2503.20783) drops both the 1/|o_i| and the division by std.

**Sampling more** spends compute at inference. pass@k: the chance that at least one of k sampled answers
is right, estimated without bias from n >= k samples of which c are right (Chen et al. 2021,
arXiv:2107.03374, eq. 1): 1 - C(n - c, k) / C(n, k). **Majority voting** (self-consistency; Wang et al.
2022, arXiv:2203.11171): sample m answers, return the most common one, no checker needed.

>>> [round(float(a), 3) for a in group_advantages([1, 0, 0, 1])]
[1.0, -1.0, -1.0, 1.0]
>>> group_advantages([1, 1, 1]).tolist()       # all right: nothing to learn from this question
[0.0, 0.0, 0.0]
>>> round(pass_at_k(10, 3, 1), 3), round(pass_at_k(10, 3, 5), 3), pass_at_k(10, 8, 3)
(0.3, 0.917, 1.0)
>>> majority_vote(["12", "15", "12", "15", "7"])["answer"]   # a tie: the answer seen first wins
'12'
>>> round(majority_accuracy(0.6, 5, n_wrong=1), 4)           # right 60% of the time, 5 votes
0.6826
"""

import math

import numpy as np


def group_advantages(rewards, ddof=0):  # [G] -> [G]
    """GRPO's advantages: each reward minus the group mean, over the group's standard deviation.

    ddof=0 divides by the population std (what this chapter uses), ddof=1 by the sample std. A group
    whose rewards are all equal has std 0: every advantage is 0, and the question teaches nothing.
    """
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim != 1 or r.size < 1 + ddof:
        raise ValueError(f"need a group of at least {1 + ddof} rewards, got shape {r.shape}")
    if np.all(r == r[0]):  # subtle: test the rewards, not the std: the mean of [0.1] * 3 is not 0.1
        return np.zeros_like(r)  # in floats, and the centred 1e-17s would become advantages of -1
    return (r - r.mean()) / r.std(ddof=ddof)


def grpo_objective(logp_new, logp_old, logp_ref, advantages, mask=None, clip_eps=0.2, beta=0.04):  # -> dict
    """GRPO's objective J (to maximise) for a group of G answers of up to T tokens (DeepSeekMath eq. 3).

    logp_new, logp_old, logp_ref: [G, T] log-probabilities of each sampled token under the policy being
    trained, the policy that sampled the group, and the frozen reference; advantages: [G] (one per
    answer, given to all its tokens) or [G, T]; mask: [G, T], True where answer i has a token t (answers
    differ in length). Returns a dict of [G, T] arrays: ratio (pi_theta / pi_old), clipped (True where
    the clipped branch is the smaller, so the token's surrogate no longer depends on pi_theta), surrogate
    (min(rho A, clip(rho) A)), kl (the k3 estimate, >= 0), per_token (surrogate - beta kl), grad (dJ /
    d logp_new, with the group's normalisation, for gradient ascent); and objective, the scalar J.
    """
    logp_new, logp_old, logp_ref = (np.asarray(a, dtype=np.float64) for a in (logp_new, logp_old, logp_ref))
    if logp_new.ndim != 2 or logp_old.shape != logp_new.shape or logp_ref.shape != logp_new.shape:
        raise ValueError("logp_new, logp_old and logp_ref must all be [G, T]")
    g, t = logp_new.shape
    mask = np.ones((g, t), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    adv = np.asarray(advantages, dtype=np.float64)
    adv = np.broadcast_to(adv[:, None] if adv.ndim == 1 else adv, (g, t))  # [G] -> [G, T]
    lengths = mask.sum(axis=1)  # [G]: |o_i|
    if mask.shape != (g, t) or np.any(lengths == 0) or not (clip_eps >= 0 and beta >= 0):
        raise ValueError("every answer needs at least one token, and clip_eps, beta must be >= 0")
    ratio = np.exp(logp_new - logp_old)
    clipped_ratio = np.clip(ratio, 1.0 - clip_eps, 1.0 + clip_eps)
    unclipped_term, clipped_term = ratio * adv, clipped_ratio * adv
    clipped = clipped_term < unclipped_term  # the min takes the clipped branch: no gradient through rho
    surrogate = np.minimum(unclipped_term, clipped_term)
    log_ref_over_new = logp_ref - logp_new
    kl = np.exp(log_ref_over_new) - log_ref_over_new - 1.0  # Schulman's k3: unbiased, never negative
    per_token = surrogate - beta * kl
    weight = mask / (g * lengths[:, None])  # [G, T]: 1/G, then 1/|o_i|, 0 on padding
    # d surrogate / d logp_new = rho A where the unclipped branch is taken (d rho / d logp_new = rho);
    # d kl / d logp_new = 1 - pi_ref / pi_theta.
    grad_token = np.where(clipped, 0.0, unclipped_term) - beta * (1.0 - np.exp(log_ref_over_new))
    return {
        "ratio": ratio,
        "clipped": clipped,
        "surrogate": surrogate,
        "kl": kl,
        "per_token": per_token,
        "grad": weight * grad_token,
        "objective": float(np.sum(weight * per_token)),
    }


def pass_at_k(n, c, k):  # -> float
    """The unbiased estimate of pass@k from n samples with c right: 1 - C(n - c, k) / C(n, k).

    The chance that k answers drawn without replacement from the n include a right one (Chen et al.
    2021, eq. 1). Computed as 1 - prod_{i = n-c+1}^{n} (1 - k / i) (their numerically stable form), in
    logs: -expm1(sum log1p(-k / i)), accurate when the answer is near 0 or near 1 and for any n.
    """
    n, c, k = (_whole(name, v) for name, v in (("n", n), ("c", c), ("k", k)))
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:  # fewer wrong answers than draws: every draw of k holds a right one
        return 1.0
    if c == 0:
        return 0.0  # (not -expm1(0.0), which is -0.0)
    i = np.arange(n - c + 1, n + 1, dtype=np.float64)  # [c]
    return float(-np.expm1(np.sum(np.log1p(-k / i))))


def majority_vote(answers):  # [m] -> dict
    """Self-consistency's choice: the most common answer; a tie goes to the tied answer sampled first.

    Answers are compared exactly (normalise them first: "12", "12.0" and " 12" are three answers here).
    Returns answer, votes (its count), counts [(answer, count), ...] in order of first appearance, tied
    (True if another answer had as many votes).
    """
    counts = {}
    for a in answers:
        counts[a] = counts.get(a, 0) + 1  # dicts keep insertion order: first appearance
    if not counts:
        raise ValueError("majority_vote needs at least one answer")
    top = max(counts.values())
    leaders = [a for a, n in counts.items() if n == top]
    return {"answer": leaders[0], "votes": top, "counts": list(counts.items()), "tied": len(leaders) > 1}


def majority_accuracy(p, m, n_wrong=1):  # -> float
    """P(majority vote of m samples is right) when each is right with probability p, independently.

    A wrong sample is one of n_wrong wrong answers, each equally likely (n_wrong=1: every mistake is the
    same mistake, the worst case; n_wrong=None: no two mistakes agree, the best). Ties are broken as
    majority_vote does, by the first sampled, which for independent samples picks each tied answer with
    equal chance: a tie of the right answer with t wrong ones counts 1 / (t + 1).

    Closed form over the multinomial: with j right votes, the m - j wrong ones fall in K = n_wrong cells.
    The right answer wins outright if every cell holds fewer than j; with t cells at exactly j it wins
    with chance 1 / (t + 1). Counting those outcomes is a coefficient of a generating function:

        P = sum_j C(m, j) p^j (1-p)^(m-j) (m-j)! K^-(m-j) sum_t C(K, t) / (j!^t (t+1)) [x^(m-j-tj)] Q_j(x)^(K-t)

    with Q_j(x) = sum_{c < j} x^c / c! (one cell holding fewer than j votes). For K = 1 this is the
    binomial tail (Condorcet's jury theorem): more than m/2 right, plus half of an exact tie.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    m = _whole("m", m)
    if not 1 <= m <= 150:  # subtle: 150! is 5.7e262; much beyond, the factorials overflow float64
        raise ValueError(f"m must be between 1 and 150, got {m}")
    if n_wrong is None:  # every wrong vote alone: right wins with 2+ votes; with 1, an m-way tie if all wrong are 1
        q = 1.0 - p
        return float(1.0 - q**m - (m - 1) * p * q ** (m - 1))
    k_cells = _whole("n_wrong", n_wrong)
    if k_cells < 1:
        raise ValueError(f"n_wrong must be at least 1 (or None), got {n_wrong}")
    total = 0.0
    for j in range(1, m + 1):  # j = 0: the right answer has no vote and cannot win
        r = m - j  # wrong votes
        q = np.array([1.0 / math.factorial(c) for c in range(min(j, r + 1))])  # Q_j, cut at degree r
        powers = [np.array([1.0])]  # Q_j^0 .. Q_j^K, each cut at degree r
        for _ in range(k_cells):
            powers.append(np.convolve(powers[-1], q)[: r + 1])
        ways = 0.0  # sum over wrong-vote outcomes of (outcome's weight) * P(right wins | outcome)
        for t in range(0, min(k_cells, r // j) + 1):
            rest = r - t * j
            poly = powers[k_cells - t]
            if rest < poly.size:
                ways += math.comb(k_cells, t) * poly[rest] / (math.factorial(j) ** t * (t + 1))
        total += math.comb(m, j) * p**j * (1.0 - p) ** r * math.factorial(r) / k_cells**r * ways
    return float(min(total, 1.0))


def _whole(name, value):  # -> int
    if isinstance(value, (bool, np.bool_)) or int(value) != value:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)
