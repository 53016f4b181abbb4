"""llm_core.preference against closed forms, finite differences and a naive token-by-token model loop."""

import math

import numpy as np
import pytest

from llm_core.activations import softmax
from llm_core.model_files import load_model
from llm_core.preference import (
    bradley_terry,
    dpo_loss,
    log_sigmoid,
    preference_matrix,
    reward_model_loss,
    sequence_logprob,
    sigmoid,
)
from tests.tolerances import logprob_tolerance

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("x", [-800.0, -30.0, -1.0, 0.0, 0.5, 30.0, 800.0])
def test_log_sigmoid_is_stable_and_exact(x):
    expected = -math.log1p(math.exp(-x)) if x > -30 else x - math.log1p(math.exp(x))
    assert math.isclose(float(log_sigmoid(x)), expected, rel_tol=1e-12, abs_tol=1e-300)
    assert np.isfinite(log_sigmoid(x)) and 0.0 <= float(sigmoid(x)) <= 1.0


def test_bradley_terry_closed_form():
    assert float(bradley_terry(0.0, 0.0)) == 0.5
    assert math.isclose(float(bradley_terry(1.0, 0.0)), 1 / (1 + math.exp(-1)))
    assert math.isclose(float(bradley_terry(3.0, 1.0)), float(bradley_terry(12.0, 10.0)))  # differences only
    a, b = RNG.normal(size=8), RNG.normal(size=8)
    assert np.allclose(bradley_terry(a, b) + bradley_terry(b, a), 1.0)


def test_preference_matrix():
    scores = np.array([2.0, 0.5, 0.0, -1.5])
    p = preference_matrix(scores)
    assert p.shape == (4, 4) and np.allclose(np.diag(p), 0.5) and np.allclose(p + p.T, 1.0)
    for i in range(4):
        for j in range(4):
            assert math.isclose(p[i, j], 1 / (1 + math.exp(scores[j] - scores[i])), rel_tol=1e-12)


def test_reward_model_loss_closed_form_and_gradient():
    rc, rr = RNG.normal(size=5), RNG.normal(size=5)
    expected = np.mean([-math.log(1 / (1 + math.exp(-(c - r)))) for c, r in zip(rc, rr)])
    assert math.isclose(reward_model_loss(rc, rr), expected, rel_tol=1e-12)
    # d loss / d r_chosen[i] = -sigmoid(-(rc[i] - rr[i])) / n, checked by central differences
    h = 1e-6
    for i in range(5):
        up, down = rc.copy(), rc.copy()
        up[i] += h
        down[i] -= h
        numeric = (reward_model_loss(up, rr) - reward_model_loss(down, rr)) / (2 * h)
        assert math.isclose(numeric, -float(sigmoid(-(rc[i] - rr[i]))) / 5, rel_tol=1e-6)
    assert math.isclose(reward_model_loss([0.0], [0.0]), math.log(2))
    with pytest.raises(ValueError, match="at least one pair"):
        reward_model_loss([], [])


def test_dpo_loss_closed_form():
    out = dpo_loss(-12.0, -15.0, -13.0, -14.0, beta=0.1)
    assert math.isclose(float(out["reward_chosen"]), 0.1) and math.isclose(float(out["reward_rejected"]), -0.1)
    assert math.isclose(float(out["margin"]), 0.2)
    assert math.isclose(out["loss"], math.log(1 + math.exp(-0.2)), rel_tol=1e-12)
    assert math.isclose(float(out["grad_weight"]), 1 / (1 + math.exp(0.2)), rel_tol=1e-12)


def test_dpo_starts_at_log_2_when_the_policy_is_the_reference():
    logp = RNG.normal(-20, 5, size=(2, 6))
    out = dpo_loss(logp[0], logp[1], logp[0], logp[1], beta=0.5)
    assert np.all(out["margin"] == 0) and np.allclose(out["grad_weight"], 0.5)
    assert math.isclose(out["loss"], math.log(2))


def test_dpo_is_the_reward_model_loss_on_implicit_rewards():
    pc, pr, rc, rr = RNG.normal(-20, 4, size=(4, 7))
    out = dpo_loss(pc, pr, rc, rr, beta=0.3)
    assert math.isclose(out["loss"], reward_model_loss(out["reward_chosen"], out["reward_rejected"]), rel_tol=1e-12)
    assert math.isclose(out["loss"], float(np.mean(out["losses"])))


@pytest.mark.parametrize("beta", [0.05, 0.1, 1.0])
@pytest.mark.parametrize(
    "point", [(-12.0, -15.0, -13.0, -14.0), (-40.0, -5.0, -20.0, -20.0), (-3.0, -90.0, -3.5, -2.0)]
)
def test_dpo_gradient_matches_finite_differences(beta, point):
    """d loss / d log pi(y_w) = -beta * grad_weight and d loss / d log pi(y_l) = +beta * grad_weight."""
    pc, pr, rc, rr = point
    w = float(dpo_loss(pc, pr, rc, rr, beta)["grad_weight"])
    h = 1e-5
    d_chosen = (dpo_loss(pc + h, pr, rc, rr, beta)["loss"] - dpo_loss(pc - h, pr, rc, rr, beta)["loss"]) / (2 * h)
    d_rejected = (dpo_loss(pc, pr + h, rc, rr, beta)["loss"] - dpo_loss(pc, pr - h, rc, rr, beta)["loss"]) / (2 * h)
    assert math.isclose(d_chosen, -beta * w, rel_tol=1e-5, abs_tol=1e-12)
    assert math.isclose(d_rejected, beta * w, rel_tol=1e-5, abs_tol=1e-12)


def test_dpo_extremes_stay_finite():
    out = dpo_loss(0.0, -1e6, -1e6, 0.0, beta=1.0)
    assert out["loss"] >= 0 and math.isfinite(out["loss"]) and float(out["grad_weight"]) == 0.0
    out = dpo_loss(-1e6, 0.0, 0.0, -1e6, beta=1.0)
    assert math.isclose(out["loss"], 2e6) and float(out["grad_weight"]) == 1.0
    with pytest.raises(ValueError, match="beta"):
        dpo_loss(0, 0, 0, 0, beta=0)


@pytest.fixture(scope="module")
def tiny():
    return load_model("models/tiny")


def naive_logprob(model, prompt_ids, continuation_ids):
    """One forward pass per continuation token, each over the whole prefix; probabilities by softmax."""
    total, ids = 0.0, list(prompt_ids)
    for token in continuation_ids:
        logits, _ = model.forward(ids)
        total += math.log(float(softmax(logits[-1].astype(np.float64))[token]))
        ids.append(token)
    return total


@pytest.mark.parametrize(
    "prompt, continuation",
    [
        ("I ask the Congress to", " provide for the common defense."),
        ("The state of the Union is", " strong"),
        ("Gentlemen", " of the Senate and House of Representatives:\n\n"),
    ],
)
def test_sequence_logprob_matches_a_naive_loop(tiny, prompt, continuation):
    p, c = tiny.encoding.encode(prompt), tiny.encoding.encode(continuation)
    total, per_token = sequence_logprob(tiny, p, c)
    assert per_token.shape == (len(c),) and np.all(per_token <= 0)
    assert math.isclose(total, float(per_token.sum()))
    # one pass over the whole text here, one per token there: the logits' sums in other orders
    logits, _ = tiny.forward(p + c[:-1])
    assert total == pytest.approx(naive_logprob(tiny, p, c), rel=0, abs=logprob_tolerance(tiny.cfg, logits, len(c)))


def test_sequence_logprob_chain_rule(tiny):
    p = tiny.encoding.encode("The revenue of the Government")
    a, b = tiny.encoding.encode(" for the year"), tiny.encoding.encode(" was large.")
    whole, _ = sequence_logprob(tiny, p, a + b)
    first, _ = sequence_logprob(tiny, p, a)
    second, _ = sequence_logprob(tiny, p + a, b)
    logits, _ = tiny.forward(p + a + b[:-1])  # three passes over different lengths: other summation orders
    assert whole == pytest.approx(first + second, rel=0, abs=logprob_tolerance(tiny.cfg, logits, len(a + b)))


def test_sequence_logprob_edges(tiny):
    assert sequence_logprob(tiny, [5], [])[0] == 0.0
    with pytest.raises(ValueError, match="at least one token"):
        sequence_logprob(tiny, [], [5])
    with pytest.raises(ValueError, match="at most"):
        sequence_logprob(tiny, [5] * 200, [6] * 100)
