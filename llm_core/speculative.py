"""Speculative decoding: a small draft model guesses k tokens, the big target model checks them in one pass.

Decoding a large model is limited by reading its weights, once per token, not by arithmetic: a forward
pass over k + 1 positions costs about as much as over one. Speculative decoding (Leviathan, Kalman and
Matias 2023, "Fast Inference from Transformers via Speculative Decoding", arXiv:2211.17192; Chen et al.
2023, "Accelerating Large Language Model Decoding with Speculative Sampling", arXiv:2302.01318) uses that:

    1. draft:  the small model q samples k tokens x_1..x_k, one pass each (cheap);
    2. verify: the target p reads prompt + x_1..x_k in one pass: p's distribution at every drafted
               position, and one more after x_k;
    3. accept x_i with probability min(1, p(x_i) / q(x_i)), left to right; at the first rejection,
               emit a token drawn from norm(max(0, p - q)) instead and stop; if all k are accepted,
               emit a bonus token drawn from p after x_k.

Every round emits between 1 and k + 1 tokens for one target pass, and the tokens have exactly the
target's distribution (Leviathan et al., Theorem 3.5): for one position,

    P(x) = q(x) min(1, p(x)/q(x)) + (1 - sum_y min(p(y), q(y))) norm(max(0, p - q))(x)
         = min(p(x), q(x)) + max(0, p(x) - q(x)) = p(x).

With alpha = sum_y min(p(y), q(y)), the chance that one drafted token is accepted, and acceptances
independent, a round emits on average (1 - alpha^(k+1)) / (1 - alpha) tokens (their eq. 1); if a draft
token costs c target passes, the expected speed-up over plain decoding is that divided by (k c + 1).

Temperature applies to both models before the test (their section 3.5: any sampling method that turns
logits into a distribution works, if both use it). At temperature 0 both distributions are one-hot:
a drafted token is kept exactly when it is the target's greedy choice, and a rejected one is replaced by
that choice, so the output is the target's greedy text, token for token.

>>> p, q = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
>>> acceptance_probability(p, q).tolist(), residual_distribution(p, q).tolist()
([1.0, 1.0, 0.4], [1.0, 0.0, 0.0])
>>> round(acceptance_rate(p, q), 3), round(expected_tokens_per_pass(0.7, k=4), 4)
(0.7, 2.7731)
"""

import numpy as np

from .sampling import apply_temperature, as_generator, check_logits, draw


def acceptance_probability(p, q):  # [n_vocab] x 2 -> [n_vocab]
    """min(1, p(x) / q(x)): the chance a token x drawn from q is kept. Where q(x) = 0 (never drafted): 1."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    ratio = np.divide(p, q, out=np.ones_like(p), where=q > 0)
    return np.minimum(1.0, ratio)


def residual_distribution(p, q):  # [n_vocab] x 2 -> [n_vocab]
    """norm(max(0, p - q)): what a rejected token is replaced by, the mass p has where q has too little.

    subtle: if p equals q no draft is ever rejected and the residual is 0 / 0; p is returned then (a
    rounding error can still reach here, and p is the distribution the output must follow).
    """
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    rest = np.maximum(0.0, p - q)
    total = rest.sum()
    return rest / total if total > 0 else p


def acceptance_rate(p, q):  # [n_vocab] x 2 -> float
    """alpha = sum_x min(p(x), q(x)) = E_{x~q}[min(1, p/q)]: the chance one drafted token is accepted."""
    return float(np.minimum(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)).sum())


def expected_tokens_per_pass(alpha, k):  # float, int -> float
    """Tokens one round emits on average: 1 + alpha + ... + alpha^k = (1 - alpha^(k+1)) / (1 - alpha).

    >>> expected_tokens_per_pass(1.0, 4), expected_tokens_per_pass(0.0, 4)
    (5.0, 1.0)
    """
    if alpha >= 1:
        return float(k + 1)
    return float((1 - alpha ** (k + 1)) / (1 - alpha))


def expected_speedup(alpha, k, cost_ratio):  # float, int, float -> float
    """Leviathan et al.'s expected improvement in time: tokens per round over the round's cost, k c + 1,
    in target passes (c: one draft pass over one target pass).

    >>> round(expected_speedup(0.8, 4, 0.05), 3)
    2.801
    """
    return expected_tokens_per_pass(alpha, k) / (k * cost_ratio + 1)


def verify(p_rows, q_rows, drafted, rng):  # [k+1, n_vocab], [k, n_vocab], [k] -> dict
    """Accept or reject the drafted tokens against the target's distributions; one round's outcome.

    p_rows[i] is the target's distribution for drafted[i] (p_rows[k], after the last one, gives the
    bonus token), q_rows[i] the draft's, from which drafted[i] was drawn. Returns n_accepted, tokens
    (the accepted drafts, then the replacement or the bonus: n_accepted + 1 of them), replaced (whether
    the last token replaced a rejected draft), and per drafted token its p, q, acceptance probability and
    u (the uniform number drawn; None after the first rejection, where nothing is tested).

    >>> rng = np.random.default_rng(0)
    >>> p = np.array([[0.9, 0.1], [0.5, 0.5]]); q = np.array([[0.9, 0.1]])
    >>> verify(p, q, [0], rng)["tokens"][0]        # p(0) / q(0) = 1: always accepted
    0
    """
    k = len(drafted)
    p_rows, q_rows = np.asarray(p_rows, dtype=np.float64), np.asarray(q_rows, dtype=np.float64)
    if p_rows.shape[0] != k + 1 or q_rows.shape[0] != k:
        raise ValueError(
            f"need k + 1 target rows and k draft rows for k = {k} drafts, got {len(p_rows)}, {len(q_rows)}"
        )
    checks, tokens = [], []
    for i, x in enumerate(int(t) for t in drafted):
        p, q = p_rows[i, x], q_rows[i, x]
        accept = float(acceptance_probability(p, q))
        u = float(rng.random())
        checks.append({"token": x, "p": float(p), "q": float(q), "accept_prob": accept, "u": u, "accepted": u < accept})
        if u >= accept:  # rejected: the token comes from the residual instead, and the round ends
            token, _ = draw(residual_distribution(p_rows[i], q_rows[i]), rng)
            checks += [
                {"token": int(t), "p": None, "q": None, "accept_prob": None, "u": None, "accepted": None}
                for t in drafted[i + 1 :]
            ]
            return {"n_accepted": i, "tokens": tokens + [token], "replaced": True, "checks": checks}
        tokens.append(x)
    token, _ = draw(p_rows[k], rng)  # every draft accepted: the target's pass already gives one more token
    return {"n_accepted": k, "tokens": tokens + [token], "replaced": False, "checks": checks}


def distribution(logits, temperature):  # [n_rows, n_vocab] -> [n_rows, n_vocab] float64
    """Each row's probabilities at this temperature (0: one-hot on the greedy token)."""
    return np.stack([apply_temperature(check_logits(row), temperature) for row in np.atleast_2d(logits)])


def speculative_round(target, draft, ids, k, temperature, rng, target_cache, draft_cache):  # -> dict
    """One draft-and-verify round after the committed tokens ids; both caches are extended and cropped.

    Each cache holds a prefix of ids (at first nothing; then every committed token but the last, which
    no pass has read yet). The draft reads what its cache lacks and samples k tokens, one pass each; the
    target reads what its cache lacks plus the k drafts in one pass, unembedding only the last k + 1
    positions (logits_to_keep). Afterwards both caches are cropped to the tokens that stay.
    Returns verify's dict plus drafted [k], p_rows [k + 1, n_vocab], q_rows [k, n_vocab], alphas (the
    acceptance rate sum min(p, q) at each drafted position), draft_passes (k) and fed (tokens the target's
    pass read).
    """
    drafted, q_rows = [], []
    feed = list(ids[draft_cache.n_seq :])
    for _ in range(k):
        logits, _ = draft.forward(feed, cache=draft_cache, lens=False, logits_to_keep=1)
        q = distribution(logits[-1], temperature)[0]
        token, _ = draw(q, rng)
        drafted.append(token)
        q_rows.append(q)
        feed = [token]
    fed = list(ids[target_cache.n_seq :]) + drafted
    logits, _ = target.forward(fed, cache=target_cache, lens=False, logits_to_keep=k + 1)
    p_rows = distribution(logits, temperature)
    q_rows = np.array(q_rows).reshape(k, -1)
    out = verify(p_rows, q_rows, drafted, rng)
    keep = len(ids) + out["n_accepted"]  # every committed token but the new last one is in the cache
    target_cache.crop(keep)
    draft_cache.crop(min(draft_cache.n_seq, keep))
    alphas = [acceptance_rate(p_rows[i], q_rows[i]) for i in range(k)]
    return {
        **out,
        "drafted": drafted,
        "p_rows": p_rows,
        "q_rows": q_rows,
        "alphas": alphas,
        "draft_passes": k,
        "fed": len(fed),
    }


def speculative_generate(target, draft, prompt_ids, max_new_tokens, k=4, temperature=1.0, rng=None):  # -> dict
    """Continue prompt_ids by max_new_tokens tokens with draft-and-verify rounds of k drafts.

    The two models must share their vocabulary. The last round drafts fewer tokens when fewer are left
    to make (k' = remaining - 1, so it never overshoots). Returns new_ids, rounds (each
    speculative_round's dict, without the probability rows), target_passes (one per round), draft_passes,
    drafted and accepted (counts over every round).

    >>> from llm_core.model import Model, ModelConfig, random_weights
    >>> cfg = ModelConfig(n_vocab=16, n_ctx=32, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)
    >>> big, small = Model(cfg, random_weights(cfg, 0)), Model(cfg, random_weights(cfg, 1))
    >>> out = speculative_generate(big, small, [1, 2, 3], 10, k=3, temperature=0)
    >>> out["new_ids"] == big.generate([1, 2, 3], 10, temperature=0)["new_ids"]
    True
    """
    if target.cfg.n_vocab != draft.cfg.n_vocab:
        raise ValueError(f"the models must share a vocabulary: {target.cfg.n_vocab} and {draft.cfg.n_vocab} tokens")
    if not (isinstance(k, int) and not isinstance(k, bool) and k >= 1):
        raise ValueError(f"k (tokens drafted per round) must be an integer >= 1, got {k!r}")
    ids = [int(i) for i in prompt_ids]
    if not ids:
        raise ValueError("prompt_ids must hold at least one token")
    n_ctx = min(target.cfg.n_ctx, draft.cfg.n_ctx)
    if len(ids) + max_new_tokens > n_ctx:
        raise ValueError(f"prompt ({len(ids)}) + new tokens ({max_new_tokens}) exceed the context of {n_ctx}")
    rng = as_generator(rng)
    target_cache, draft_cache = target.new_cache(), draft.new_cache()
    n_prompt, rounds = len(ids), []
    while len(ids) - n_prompt < max_new_tokens:
        k_round = min(k, max_new_tokens - (len(ids) - n_prompt) - 1)
        if k_round == 0:  # one token left: a plain target step (no draft to check)
            n_cached = target_cache.n_seq
            logits, _ = target.forward(ids[target_cache.n_seq :], cache=target_cache, lens=False, logits_to_keep=1)
            token, _ = draw(distribution(logits, temperature)[0], rng)
            out = {
                "n_accepted": 0,
                "tokens": [token],
                "replaced": False,
                "checks": [],
                "drafted": [],
                "alphas": [],
                "draft_passes": 0,
                "fed": len(ids) - n_cached,
            }
        else:
            out = speculative_round(target, draft, ids, k_round, temperature, rng, target_cache, draft_cache)
            out = {key: v for key, v in out.items() if key not in ("p_rows", "q_rows")}
        ids += out["tokens"]
        rounds.append(out)
    return {
        "new_ids": ids[n_prompt:],
        "rounds": rounds,
        "target_passes": len(rounds),
        "draft_passes": sum(r["draft_passes"] for r in rounds),
        "drafted": sum(len(r["drafted"]) for r in rounds),
        "accepted": sum(r["n_accepted"] for r in rounds),
    }
