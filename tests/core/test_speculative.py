"""llm_core.speculative against references: the output distribution equals the target's (exactly, in closed
form, for one position; by Monte Carlo over many seeds for whole rounds of two small models), greedy
speculative decoding is the target's greedy decoding token for token, the tokens per round match the closed
form (1 - alpha^(k+1)) / (1 - alpha), and the caches are cropped so that every round's target probabilities
are those of a full pass over the committed text."""

import doctest
import math

import numpy as np
import pytest

from llm_core import speculative
from llm_core.model import Model, ModelConfig, forward, random_weights
from llm_core.sampling import apply_temperature
from llm_core.speculative import (
    acceptance_probability,
    acceptance_rate,
    expected_speedup,
    expected_tokens_per_pass,
    residual_distribution,
    speculative_generate,
    speculative_round,
    verify,
)

TOY = ModelConfig(n_vocab=6, n_ctx=32, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)


def test_doctests():
    assert doctest.testmod(speculative).failed == 0


def toy_model(seed, scale):
    """A random model whose next-token distributions are far from uniform (weights scaled up)."""
    weights = {
        name: (w * scale if w.ndim == 2 else w).astype(np.float32) for name, w in random_weights(TOY, seed).items()
    }
    return Model(TOY, weights)


def random_pair(seed, n_vocab=6):  # two distributions, with some zeros in each
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(n_vocab)), rng.dirichlet(np.ones(n_vocab))
    p[rng.integers(n_vocab)] = 0
    q[rng.integers(n_vocab)] = 0
    return p / p.sum(), q / q.sum()


@pytest.mark.parametrize("seed", range(8))
def test_one_position_gives_exactly_the_target_distribution(seed):
    """P(x) = q(x) min(1, p(x)/q(x)) + P(reject) norm(max(0, p - q))(x) = p(x), in closed form."""
    p, q = random_pair(seed)
    accept = acceptance_probability(p, q)
    p_reject = 1 - float(np.sum(q * accept))
    np.testing.assert_allclose(q * accept + p_reject * residual_distribution(p, q), p, atol=1e-15)
    assert math.isclose(1 - p_reject, acceptance_rate(p, q), rel_tol=1e-12)  # alpha = sum min(p, q)


def test_identical_models_accept_everything():
    p = np.array([0.1, 0.2, 0.7])
    assert acceptance_probability(p, p).tolist() == [1.0, 1.0, 1.0]
    assert math.isclose(acceptance_rate(p, p), 1.0)
    assert residual_distribution(p, p).tolist() == p.tolist()  # never used, but still a distribution


def draft_and_verify(p, q, k, rng):  # one round with the same p, q at every position (context-free models)
    drafted = [int(rng.choice(len(q), p=q)) for _ in range(k)]
    return verify(np.tile(p, (k + 1, 1)), np.tile(q, (k, 1)), drafted, rng)


def test_first_token_monte_carlo_matches_the_target():
    """20,000 rounds of k = 3: the first emitted token's frequencies within 5 standard errors of p."""
    p, q = random_pair(3)
    rng, n = np.random.default_rng(0), 20_000
    counts = np.bincount([draft_and_verify(p, q, 3, rng)["tokens"][0] for _ in range(n)], minlength=len(p))
    sigma = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(counts / n - p) <= 5 * sigma + 1e-12)


@pytest.mark.parametrize("k", [1, 3, 8])
def test_tokens_per_round_match_the_closed_form(k):
    """Mean tokens per round over 10,000 rounds within 5 standard errors of (1 - alpha^(k+1)) / (1 - alpha)."""
    p, q = random_pair(5)
    alpha = acceptance_rate(p, q)
    closed = expected_tokens_per_pass(alpha, k)
    assert math.isclose(closed, sum(alpha**i for i in range(k + 1)), rel_tol=1e-12)
    rng, n = np.random.default_rng(k), 10_000
    tokens = np.array([len(draft_and_verify(p, q, k, rng)["tokens"]) for _ in range(n)])
    # exact distribution of the count: i + 1 tokens with probability alpha^i (1 - alpha), k + 1 with alpha^k
    probs = np.array([alpha**i * (1 - alpha) for i in range(k)] + [alpha**k])
    values = np.arange(1, k + 2)
    assert math.isclose(float(probs @ values), closed, rel_tol=1e-12)
    sd = math.sqrt(float(probs @ (values - closed) ** 2))
    assert abs(tokens.mean() - closed) <= 5 * sd / math.sqrt(n)


def test_expected_speedup_is_tokens_over_cost():
    assert math.isclose(expected_speedup(0.6, 3, 0.1), (1 - 0.6**4) / 0.4 / 1.3, rel_tol=1e-12)
    assert expected_speedup(0.0, 5, 0.0) == 1.0  # nothing accepted, drafts free: plain decoding
    assert expected_tokens_per_pass(1.0, 7) == 8.0


def exact_two_token_distribution(model, prompt, temperature):  # -> [n_vocab, n_vocab] P(x1, x2)
    p1 = apply_temperature(forward(model.weights, model.cfg, prompt)[0][-1].astype(np.float64), temperature)
    joint = np.zeros((TOY.n_vocab, TOY.n_vocab))
    for x1 in range(TOY.n_vocab):
        logits = forward(model.weights, model.cfg, prompt + [x1])[0][-1].astype(np.float64)
        joint[x1] = p1[x1] * apply_temperature(logits, temperature)
    return joint


def test_two_models_monte_carlo_matches_the_target_joint_distribution():
    """3,000 seeds of speculative_generate (k = 2, three new tokens) on two different random models: the first
    two tokens' 36 joint frequencies against the target's exact P(x1) P(x2 | x1), by Pearson's chi-square with
    35 degrees of freedom; the bound 90 has a p-value below 1e-6. The draft differs enough that about half
    of its drafts are rejected, so both the replacement and the bonus token are exercised."""
    target, draft = toy_model(0, 12.0), toy_model(1, 12.0)
    prompt, n = [1, 2], 3_000
    expected = exact_two_token_distribution(target, prompt, 1.0) * n
    counts = np.zeros_like(expected)
    drafted = accepted = 0
    for seed in range(n):
        out = speculative_generate(target, draft, prompt, 3, k=2, temperature=1.0, rng=seed)
        counts[out["new_ids"][0], out["new_ids"][1]] += 1
        drafted, accepted = drafted + out["drafted"], accepted + out["accepted"]
    assert 0.2 < 1 - accepted / drafted < 0.9  # the test is not trivial: many drafts are rejected
    assert expected.min() > 5  # chi-square's usual condition
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert chi2 < 90, chi2


def test_greedy_is_the_targets_greedy_output_on_toy_models():
    target, draft = toy_model(0, 40.0), toy_model(1, 40.0)
    for prompt in ([1], [3, 1, 4, 1, 5]):
        greedy = target.generate(prompt, 20, temperature=0)["new_ids"]
        for k in range(1, 9):
            out = speculative_generate(target, draft, prompt, 20, k=k, temperature=0, rng=k)
            assert out["new_ids"] == greedy


def test_rounds_see_what_a_full_pass_sees():
    """The caches are cropped right: each round's target and draft rows equal a pass over the committed text
    without any cache."""
    target, draft = toy_model(2, 30.0), toy_model(3, 30.0)
    ids, rng = [4, 0, 2], np.random.default_rng(7)
    t_cache, d_cache = target.new_cache(), draft.new_cache()
    for _ in range(6):
        out = speculative_round(target, draft, ids, 3, 1.0, rng, t_cache, d_cache)
        seq = ids + out["drafted"]
        full_p = forward(target.weights, TOY, seq)[0][-4:].astype(np.float64)
        np.testing.assert_allclose(out["p_rows"], [apply_temperature(r, 1.0) for r in full_p], atol=1e-6)
        full_q = forward(draft.weights, TOY, seq[:-1])[0][-3:].astype(np.float64)
        np.testing.assert_allclose(out["q_rows"], [apply_temperature(r, 1.0) for r in full_q], atol=1e-6)
        ids = ids + out["tokens"]
        assert t_cache.n_seq == len(ids) - 1 and d_cache.n_seq <= len(ids) - 1
    assert len(ids) > 3 + 6


def test_counts_and_the_last_round():
    target, draft = toy_model(0, 40.0), toy_model(1, 40.0)
    out = speculative_generate(target, draft, [1, 2], 10, k=4, temperature=1.0, rng=0)
    assert len(out["new_ids"]) == 10  # never overshoots: the last round drafts only what is left
    assert out["target_passes"] == len(out["rounds"])
    assert out["drafted"] == out["draft_passes"] == sum(len(r["drafted"]) for r in out["rounds"])
    assert sum(len(r["tokens"]) for r in out["rounds"]) == 10
    assert all(len(r["tokens"]) == r["n_accepted"] + 1 for r in out["rounds"])


def test_errors():
    target = toy_model(0, 1.0)
    other = Model(
        ModelConfig(n_vocab=7, n_ctx=32, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8),
        random_weights(ModelConfig(n_vocab=7, n_ctx=32, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)),
    )
    with pytest.raises(ValueError, match="share a vocabulary"):
        speculative_generate(target, other, [1], 3)
    with pytest.raises(ValueError, match="k "):
        speculative_generate(target, target, [1], 3, k=0)
    with pytest.raises(ValueError, match="context"):
        speculative_generate(target, target, [1] * 30, 3)
    with pytest.raises(ValueError, match="rows"):
        verify(np.ones((2, 3)) / 3, np.ones((2, 3)) / 3, [0, 1], np.random.default_rng(0))
