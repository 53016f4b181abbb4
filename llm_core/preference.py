"""Preferences: turning "answer A is better than answer B" into a number a model can be trained on.

After pre-training, models are tuned on comparisons: for a prompt x, a person (or a rule) marks one
answer y_w as preferred to another y_l. Three formulas carry almost all of that stage:

Bradley-Terry (Bradley & Terry 1952): give every answer a score r; the chance that a is preferred to b is

    P(a > b) = sigmoid(r_a - r_b)

so only score differences matter, and a difference of 0 means a coin flip.

Reward-model loss (Ouyang et al. 2022, arXiv:2203.02155, eq. 1): a reward model r(x, y) is fitted to the
labelled pairs by maximising the Bradley-Terry likelihood of the human choices,

    loss = -mean log sigmoid(r(x, y_w) - r(x, y_l)).

DPO (Rafailov et al. 2023, arXiv:2305.18290, eq. 7) skips the reward model: with pi_theta the model being
tuned, pi_ref the frozen model it started from and beta > 0 how far it may move,

    r_hat(x, y) = beta * (log pi_theta(y | x) - log pi_ref(y | x))          (the "implicit reward")
    loss = -log sigmoid(r_hat(x, y_w) - r_hat(x, y_l))

Its gradient (their section 4, "What does the DPO update do?") raises log pi_theta(y_w | x), lowers
log pi_theta(y_l | x), and weights each pair by sigmoid(-margin), margin = r_hat(x, y_w) - r_hat(x, y_l):
pairs the model already orders correctly by a wide margin barely count, wrongly ordered ones count fully.

    d loss / d log pi_theta(y_w | x) = -beta * sigmoid(-margin) = -(d loss / d log pi_theta(y_l | x))

Worked example: the policy gives the chosen answer log-probability -12 (the reference -13) and the
rejected one -15 (the reference -14); with beta = 0.1 the rewards are +0.1 and -0.1, the margin 0.2:

>>> out = dpo_loss(-12.0, -15.0, -13.0, -14.0, beta=0.1)
>>> [round(float(out[k]), 4) for k in ("reward_chosen", "reward_rejected", "margin", "loss", "grad_weight")]
[0.1, -0.1, 0.2, 0.5981, 0.4502]
>>> round(float(bradley_terry(1.0, 0.0)), 4)   # a score 1 higher: preferred 73% of the time
0.7311
"""

import numpy as np

from .loss import log_softmax


def log_sigmoid(x):  # [...] -> [...]
    """log sigmoid(x) = -log(1 + e^-x), without overflow for large |x|."""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def sigmoid(x):  # [...] -> [...]
    """1 / (1 + e^-x), computed as exp(log_sigmoid(x)) so it is exact near 0 and 1 and never overflows."""
    return np.exp(log_sigmoid(x))


def bradley_terry(r_a, r_b):  # [...], [...] -> [...]
    """P(a is preferred to b) for scores r_a, r_b: sigmoid(r_a - r_b)."""
    return sigmoid(np.asarray(r_a, dtype=np.float64) - np.asarray(r_b, dtype=np.float64))


def preference_matrix(scores):  # [n] -> [n, n]
    """P[i, j] = P(answer i is preferred to answer j); P[i, j] + P[j, i] = 1 and the diagonal is 0.5."""
    scores = np.asarray(scores, dtype=np.float64)
    return bradley_terry(scores[:, None], scores[None, :])  # [n, 1] - [1, n] -> [n, n]


def reward_model_loss(r_chosen, r_rejected):  # [n_pairs], [n_pairs] -> float
    """Mean -log sigmoid(r_chosen - r_rejected) over labelled pairs (Ouyang et al. 2022, eq. 1)."""
    diff = np.asarray(r_chosen, dtype=np.float64) - np.asarray(r_rejected, dtype=np.float64)
    if diff.size == 0:
        raise ValueError("reward_model_loss needs at least one pair")
    return float(-np.mean(log_sigmoid(diff)))


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):  # 4 x [...] -> dict
    """The DPO loss of preference pairs from the four sequence log-probabilities (Rafailov et al. 2023, eq. 7).

    Returns a dict: loss (the mean over pairs, a float), and per pair [...]: losses, reward_chosen and
    reward_rejected (the implicit rewards beta * log(pi_theta / pi_ref)), margin (their difference) and
    grad_weight = sigmoid(-margin), the factor the gradient puts on that pair.
    """
    if not beta > 0:
        raise ValueError(f"beta must be > 0, got {beta!r}")
    policy_chosen, policy_rejected, ref_chosen, ref_rejected = (
        np.asarray(a, dtype=np.float64) for a in (policy_chosen, policy_rejected, ref_chosen, ref_rejected)
    )
    reward_chosen = beta * (policy_chosen - ref_chosen)
    reward_rejected = beta * (policy_rejected - ref_rejected)
    margin = reward_chosen - reward_rejected
    losses = -log_sigmoid(margin)
    return {
        "loss": float(np.mean(losses)),
        "losses": losses,
        "reward_chosen": reward_chosen,
        "reward_rejected": reward_rejected,
        "margin": margin,
        "grad_weight": sigmoid(-margin),
    }


def sequence_logprob(model, prompt_ids, continuation_ids):  # [n_prompt], [n_cont] -> float, [n_cont]
    """log pi(continuation | prompt): the sum of the model's log-probabilities of each continuation token.

    One forward pass over prompt + continuation (minus its last token): position t's logits predict
    token t + 1, so the continuation's k-th token is scored at position n_prompt - 1 + k. Returns the
    total (what DPO and RLHF call log pi(y | x)) and the per-token log-probabilities.
    """
    prompt_ids, continuation_ids = [int(i) for i in prompt_ids], [int(i) for i in continuation_ids]
    if not prompt_ids:
        raise ValueError("the prompt must hold at least one token")
    if not continuation_ids:  # the empty continuation is certain: log 1 = 0
        return 0.0, np.zeros(0)
    ids = prompt_ids + continuation_ids
    if len(ids) - 1 > model.cfg.n_ctx:
        raise ValueError(
            f"prompt and continuation are {len(ids)} tokens; the model reads at most {model.cfg.n_ctx + 1} here"
        )
    logits, _ = model.forward(ids[:-1])  # [n_prompt + n_cont - 1, n_vocab]
    start = len(prompt_ids) - 1
    log_probs = log_softmax(logits[start:].astype(np.float64))  # [n_cont, n_vocab]
    per_token = log_probs[np.arange(len(continuation_ids)), continuation_ids]  # [n_cont]
    return float(per_token.sum()), per_token
