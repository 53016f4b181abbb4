"""llm_core.reasoning against references: subsets enumerated for pass@k, every outcome enumerated for
majority voting (and a seeded simulation), exact binomial arithmetic, a loop-by-loop GRPO objective from
DeepSeekMath's eq. 3, and finite differences for its gradient."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from llm_core.reasoning import group_advantages, grpo_objective, majority_accuracy, majority_vote, pass_at_k


# -- group-relative advantages ---------------------------------------------------------------------


@pytest.mark.parametrize("rewards", [[1, 0, 0, 1, 0, 0, 0, 1], [0.2, 0.9, 0.5], [1, 0], [3, -1, 2, 2, 7]])
def test_advantages_are_standardised_rewards(rewards):
    a = group_advantages(rewards)
    r = np.array(rewards, dtype=float)
    mean, std = sum(rewards) / len(rewards), math.sqrt(sum((x - r.mean()) ** 2 for x in r) / len(r))
    assert a == pytest.approx([(x - mean) / std for x in rewards], rel=1e-12)
    assert abs(a.mean()) < 1e-12 and a.std() == pytest.approx(1.0, rel=1e-12)
    # only the ranking within the group counts: shifting or scaling every reward changes nothing
    assert group_advantages(5 * r + 3) == pytest.approx(a, rel=1e-12)
    # the sample std (TRL's choice, without its 1e-4) scales every advantage by sqrt((G - 1) / G)
    g = len(rewards)
    assert group_advantages(rewards, ddof=1) == pytest.approx(a * math.sqrt((g - 1) / g), rel=1e-12)


@pytest.mark.parametrize("rewards", [[1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0], [0.1, 0.1, 0.1], [7]])
def test_all_equal_rewards_give_no_signal(rewards):
    assert group_advantages(rewards).tolist() == [0.0] * len(rewards)


def test_one_right_of_eight():
    a = group_advantages([1, 0, 0, 0, 0, 0, 0, 0])
    assert a[0] == pytest.approx(math.sqrt(7)) and a[1] == pytest.approx(-1 / math.sqrt(7))


@pytest.mark.parametrize("bad", [[], [[1, 0], [0, 1]]])
def test_advantages_reject_bad_groups(bad):
    with pytest.raises(ValueError):
        group_advantages(bad)


# -- the GRPO objective ------------------------------------------------------------------------------


def naive_grpo(new, old, ref, adv, lengths, eps, beta):
    """DeepSeekMath eq. 3 as written, one answer and one token at a time (Python floats)."""
    total = 0.0
    for i, n in enumerate(lengths):
        inner = 0.0
        for t in range(n):
            rho = math.exp(new[i][t] - old[i][t])
            surrogate = min(rho * adv[i], min(max(rho, 1 - eps), 1 + eps) * adv[i])
            x = math.exp(ref[i][t] - new[i][t])
            inner += surrogate - beta * (x - math.log(x) - 1)
        total += inner / n
    return total / len(lengths)


def random_group(seed, g=4, t=6):
    rng = np.random.default_rng(seed)
    old = -rng.uniform(0.1, 4, size=(g, t))
    new = old + rng.normal(0, 0.3, size=(g, t))
    ref = old + rng.normal(0, 0.2, size=(g, t))
    lengths = rng.integers(1, t + 1, size=g)
    mask = np.arange(t)[None, :] < lengths[:, None]
    adv = group_advantages(rng.integers(0, 2, size=g).astype(float) + rng.uniform(0, 0.1, size=g))
    return new, old, ref, adv, mask, lengths


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("eps, beta", [(0.2, 0.04), (0.1, 0.0), (0.3, 0.5)])
def test_objective_matches_the_loop(seed, eps, beta):
    new, old, ref, adv, mask, lengths = random_group(seed)
    out = grpo_objective(new, old, ref, adv, mask, clip_eps=eps, beta=beta)
    assert out["objective"] == pytest.approx(naive_grpo(new, old, ref, adv, lengths, eps, beta), rel=1e-12, abs=1e-14)
    assert np.all(out["kl"] >= 0)


@pytest.mark.parametrize("seed", range(6))
def test_gradient_matches_finite_differences(seed):
    new, old, ref, adv, mask, _ = random_group(seed)
    out = grpo_objective(new, old, ref, adv, mask)
    h = 1e-6
    for i, t in itertools.product(range(new.shape[0]), range(new.shape[1])):
        up, down = new.copy(), new.copy()
        up[i, t] += h
        down[i, t] -= h
        ratio = math.exp(new[i, t] - old[i, t])
        if min(abs(ratio - 0.8), abs(ratio - 1.2)) < 1e-4:
            continue  # at the clip's corner the objective has no derivative
        fd = (
            grpo_objective(up, old, ref, adv, mask)["objective"]
            - grpo_objective(down, old, ref, adv, mask)["objective"]
        ) / (2 * h)
        assert out["grad"][i, t] == pytest.approx(fd, rel=1e-5, abs=1e-9), (i, t)
        if not mask[i, t]:
            assert out["grad"][i, t] == 0.0


def test_clipping_stops_the_push():
    # One answer pushed up (A > 0), one down; the policy has already moved their tokens' probabilities.
    old = np.zeros((2, 3)) - 1.0
    new = old + np.array([[0.1, 0.3, -0.3], [-0.1, -0.3, 0.3]])  # ratios e^0.1 = 1.105, e^0.3 = 1.35, 0.74
    out = grpo_objective(new, old, old, [1.0, -1.0], clip_eps=0.2, beta=0.0)
    assert out["clipped"].tolist() == [[False, True, False], [False, True, False]]
    assert out["grad"][0, 1] == 0.0 and out["grad"][1, 1] == 0.0
    assert out["surrogate"][0, 1] == pytest.approx(1.2) and out["surrogate"][1, 1] == pytest.approx(-0.8)
    # moved against its advantage, a token is never clipped: the min keeps the worse, unclipped value
    assert out["surrogate"][0, 2] == pytest.approx(math.exp(-0.3)) and out["grad"][0, 2] > 0


def test_at_the_start_the_objective_is_the_mean_advantage():
    # First step: new = old = ref. Ratios 1, KL 0; J = mean advantage = 0, the gradient A / (G |o_i|).
    adv = group_advantages([1, 0, 0, 1, 0, 0, 0, 1])
    logp = -np.ones((8, 5))
    out = grpo_objective(logp, logp, logp, adv)
    assert out["objective"] == pytest.approx(0.0, abs=1e-15) and np.all(out["kl"] == 0)
    assert out["grad"] == pytest.approx(np.repeat(adv[:, None], 5, axis=1) / (8 * 5))


def test_objective_rejects_bad_shapes():
    with pytest.raises(ValueError):
        grpo_objective(np.zeros((2, 3)), np.zeros((2, 2)), np.zeros((2, 3)), [1, -1])
    with pytest.raises(ValueError):
        grpo_objective(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)), [1, -1], mask=[[1, 1, 1], [0, 0, 0]])


# -- pass@k ------------------------------------------------------------------------------------------


def brute_pass_at_k(n, c, k):
    """The share of all k-subsets of n samples (the first c right) that hold at least one right sample."""
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(i < c for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_equals_enumerated_subsets(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_pass_at_k(n, c, k), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "n, c, k",
    [(200, 1, 1), (200, 1, 100), (10_000, 3, 10), (10**6, 2, 7), (1000, 990, 5), (500, 17, 250), (100_000, 99_990, 50)],
)
def test_pass_at_k_equals_exact_fractions(n, c, k):
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    got = pass_at_k(n, c, k)
    assert got == pytest.approx(float(exact), rel=1e-12)
    assert 0.0 <= got <= 1.0


def test_pass_at_k_special_cases():
    assert pass_at_k(10, 0, 10) == 0.0 and pass_at_k(10, 10, 1) == 1.0
    assert str(pass_at_k(10, 0, 3)) == "0.0"  # not -0.0, which a view would print as a minus zero
    assert pass_at_k(50, 7, 1) == pytest.approx(7 / 50)  # k = 1: the share right
    # rises with k until every draw of k must hold a right sample (k > n - c)
    values = [pass_at_k(40, 5, k) for k in range(1, 41)]
    assert all(a < b for a, b in zip(values, values[1:36])) and values[35:] == [1.0] * 5


@pytest.mark.parametrize("n, c, k", [(5, 6, 1), (5, 2, 0), (5, 2, 6), (5, -1, 1), (5.5, 2, 1), (5, True, 1)])
def test_pass_at_k_rejects_bad_counts(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


# -- majority voting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers, winner, tied",
    [
        (["a"], "a", False),
        (["b", "a", "a"], "a", False),
        (["b", "a", "a", "b"], "b", True),
        (["x", "y", "z"], "x", True),
        ([3, 4, 4, 3, 4], 4, False),
    ],
)
def test_majority_vote(answers, winner, tied):
    out = majority_vote(answers)
    assert out["answer"] == winner and out["tied"] == tied
    assert out["votes"] == answers.count(winner) and sum(n for _, n in out["counts"]) == len(answers)
    assert [a for a, _ in out["counts"]] == list(dict.fromkeys(answers))


def test_majority_vote_needs_answers():
    with pytest.raises(ValueError):
        majority_vote([])


def enumerated_accuracy(p, m, n_wrong):
    """Every ordered outcome of m votes (right, or wrong answer w), its probability, majority_vote's pick."""
    if n_wrong is None:  # mistakes never agree: wrong vote number i is an answer of its own
        total = 0.0
        for votes in itertools.product([True, False], repeat=m):
            prob = math.prod(p if v else 1 - p for v in votes)
            answers = ["right" if v else f"wrong {i}" for i, v in enumerate(votes)]
            total += prob * (majority_vote(answers)["answer"] == "right")
        return total
    labels = ["right"] + [f"wrong {w}" for w in range(n_wrong)]
    probs = [p] + [(1 - p) / n_wrong] * n_wrong
    total = 0.0
    for votes in itertools.product(range(n_wrong + 1), repeat=m):
        prob = math.prod(probs[v] for v in votes)
        total += prob * (majority_vote([labels[v] for v in votes])["answer"] == "right")
    return total


@pytest.mark.parametrize("n_wrong", [1, 2, 3, None])
@pytest.mark.parametrize("m", range(1, 7))
@pytest.mark.parametrize("p", [0.0, 0.15, 0.4, 0.5, 0.62, 1.0])
def test_majority_accuracy_equals_every_outcome_enumerated(p, m, n_wrong):
    assert majority_accuracy(p, m, n_wrong) == pytest.approx(enumerated_accuracy(p, m, n_wrong), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("m", [1, 2, 5, 16, 51, 150])
@pytest.mark.parametrize("p", [0.3, 0.5, 0.55, 0.9])
def test_one_wrong_answer_is_the_binomial_tail(p, m):
    tail = sum(math.comb(m, j) * p**j * (1 - p) ** (m - j) for j in range(m // 2 + 1, m + 1))
    if m % 2 == 0:
        tail += 0.5 * math.comb(m, m // 2) * (p * (1 - p)) ** (m // 2)
    assert majority_accuracy(p, m, 1) == pytest.approx(tail, rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("p, m, n_wrong", [(0.4, 9, 2), (0.3, 12, 4), (0.55, 7, 1), (0.2, 10, None)])
def test_majority_accuracy_matches_a_seeded_simulation(p, m, n_wrong):
    rng = np.random.default_rng(20240205)
    trials, wins = 20_000, 0
    for _ in range(trials):
        right = rng.random(m) < p
        if n_wrong is None:
            answers = ["right" if r else f"wrong {i}" for i, r in enumerate(right)]
        else:
            wrong = rng.integers(0, n_wrong, size=m)
            answers = ["right" if r else f"wrong {w}" for r, w in zip(right, wrong)]
        wins += majority_vote(answers)["answer"] == "right"
    exact = majority_accuracy(p, m, n_wrong)
    assert abs(wins / trials - exact) < 4 * math.sqrt(exact * (1 - exact) / trials)


def test_voting_helps_only_when_the_right_answer_is_the_most_likely():
    assert majority_accuracy(0.6, 31, 1) > 0.85 and majority_accuracy(0.4, 31, 1) < 0.15
    # with mistakes spread over 3 answers, 0.4 beats each wrong answer's 0.2: voting helps
    assert majority_accuracy(0.4, 31, 3) > 0.8
    assert majority_accuracy(0.4, 1, 3) == pytest.approx(0.4)


@pytest.mark.parametrize("p, m, n_wrong", [(1.5, 3, 1), (0.5, 0, 1), (0.5, 151, 1), (0.5, 3, 0), (0.5, 2.5, 1)])
def test_majority_accuracy_rejects_bad_input(p, m, n_wrong):
    with pytest.raises(ValueError):
        majority_accuracy(p, m, n_wrong)
