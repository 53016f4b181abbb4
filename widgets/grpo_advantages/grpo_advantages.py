"""GRPO's group-relative advantages: which answers to one question get pushed up, which down, and by how much.

The reader types the rewards of a group of sampled answers (1 right, 0 wrong, or grades). `llm_core.reasoning
.group_advantages` turns them into advantages A_i = (r_i - mean) / std; then one small step of the policy is
imagined: every token of answer i has moved by the same log-ratio, `step` nats in the direction of its
advantage, from the policy that sampled the group (which is also the reference here, as at the start of
training). `grpo_objective` gives each answer's ratio, whether PPO's clip has stopped it, the KL penalty, and
the push its tokens still get (the per-token derivative of the objective); and the group's objective J.
"""

import re

import numpy as np

from llm_core.controls import as_number, as_text
from llm_core.reasoning import group_advantages, grpo_objective
from widgetlib.fmt import fixed, signed

MAX_ANSWERS, MIN_ANSWERS = 16, 2
REWARD_LIMIT = 100.0
LOGP_OLD = -1.0  # each answer's token log-probability under the sampling policy; only differences matter

DEFAULTS = {"rewards": "1, 0, 0, 1, 0, 0, 0, 1", "step": 0.1, "clip_eps": 0.2, "beta": 0.04}
EXAMPLES = [
    {"rewards": "1 1 1 1 1 1 1 1"},
    {"rewards": "0.9, 0.2, 0.5, 0.5", "step": 0.5, "clip_eps": 0.1, "beta": 0.2},
    {"rewards": "1,0", "step": 0, "beta": 0},
]
DATA: list[str] = []
CODE = ["llm_core.reasoning.group_advantages", "llm_core.reasoning.grpo_objective"]


def parse_rewards(text: str) -> list:
    """'1, 0, 0.5' (commas, spaces or semicolons between) -> [1.0, 0.0, 0.5], checked."""
    text, _ = as_text("rewards", text, 400)
    parts = [s for s in re.split(r"[\s,;]+", text.strip()) if s]
    if len(parts) < MIN_ANSWERS:
        raise ValueError(f"Type the rewards of at least {MIN_ANSWERS} answers, e.g. 1, 0, 0, 1 (1 right, 0 wrong).")
    if len(parts) > MAX_ANSWERS:
        raise ValueError(f"A group here holds at most {MAX_ANSWERS} answers; you typed {len(parts)} rewards.")
    rewards = []
    for s in parts:
        try:
            value = float(s.replace("\u2212", "-"))
        except ValueError:
            raise ValueError(f"{s[:20]!r} is not a number: type rewards like 1, 0, 0.5.") from None
        if not abs(value) <= REWARD_LIMIT:  # also catches nan and inf
            raise ValueError(f"Rewards must lie between −{REWARD_LIMIT:g} and {REWARD_LIMIT:g}; got {s[:20]!r}.")
        rewards.append(value)
    return rewards


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    return {
        "rewards": parse_rewards(p["rewards"]),
        "rewards_text": p["rewards"],
        "step": as_number("step", p["step"], 0.0, 0.5),
        "clip_eps": as_number("clip ε", p["clip_eps"], 0.05, 0.5),
        "beta": as_number("β", p["beta"], 0.0, 0.2),
    }


def bar(a: float, scale: float) -> dict:
    """A diverging bar from the middle of its track: CSS left and width for advantage a."""
    half = 50 * min(abs(a) / scale, 1.0)
    return {
        "left": f"{50 - half if a < 0 else 50:.1f}%",
        "width": f"{half:.1f}%",
        "side": "up" if a > 0 else "down" if a < 0 else "none",
    }


def compute(params: dict) -> dict:
    p = read_params(params)
    r = np.array(p["rewards"])
    g = r.size
    adv = group_advantages(r)
    # Every token of answer i moved step nats towards its advantage's sign; old policy = reference.
    old = np.full((g, 1), LOGP_OLD)
    new = old + p["step"] * np.sign(adv)[:, None]
    out = grpo_objective(new, old, old, adv, clip_eps=p["clip_eps"], beta=p["beta"])
    push = out["grad"][:, 0] * g  # dJ / d log pi of a token, without the group's 1/G (answers of one token)
    scale = max(1.0, float(np.max(np.abs(adv))))
    equal = bool(np.all(r == r[0]))
    rows = []
    for i in range(g):
        clipped = bool(out["clipped"][i, 0])
        verdict = (
            ("pushed up" if push[i] > 0 else "pushed down" if push[i] < 0 else "unchanged")
            if not equal
            else "no signal"
        )
        if clipped:  # the surrogate is flat here: only the KL term still acts, pulling towards the reference
            verdict = "clipped: " + ("the KL term pulls it back" if p["beta"] > 0 else "no push left")
        rows.append(
            {
                "name": f"#{i + 1}",
                "reward": float(r[i]),
                "advantage": float(adv[i]),
                "ratio": float(out["ratio"][i, 0]),
                "clipped": clipped,
                "kl": float(out["kl"][i, 0]),
                "surrogate": float(out["surrogate"][i, 0]),
                "push": float(push[i]),
                "cells": [
                    fixed(r[i], 2),
                    signed(adv[i], 3),
                    fixed(out["ratio"][i, 0], 3),
                    signed(out["surrogate"][i, 0], 3),
                    fixed(out["kl"][i, 0], 4),
                    signed(push[i], 3),
                ],
                "verdict": verdict,
                "bar": bar(float(adv[i]), scale),
            }
        )
    mean, std = float(r.mean()), float(r.std())
    n_up, n_down = int(np.sum(adv > 0)), int(np.sum(adv < 0))
    if equal:
        summary = (
            f"All {g} answers got the same reward, {fixed(r[0], 2)}: the standard deviation is 0, every "
            "advantage is 0, and nothing in the answers tells the model which way to move. This question "
            "gives no learning signal"
            + (
                " until the model sometimes gets it right."
                if r[0] <= 0
                else " (the model already gets it right every time)."
                if r[0] >= 1
                else "."
            )
        )
    else:
        summary = (
            f"Group of {g}: mean reward {fixed(mean, 3)}, standard deviation {fixed(std, 3)}. "
            f"{n_up} answer{'' if n_up == 1 else 's'} above the mean pushed up, {n_down} below it pushed down"
            + (f", {g - n_up - n_down} at the mean left alone." if g - n_up - n_down else ".")
        )
    return {
        "params": {"rewards": p["rewards_text"], "step": p["step"], "clip_eps": p["clip_eps"], "beta": p["beta"]},
        "readouts": {"step": fixed(p["step"], 2), "clip_eps": fixed(p["clip_eps"], 2), "beta": fixed(p["beta"], 2)},
        "rewards": p["rewards"],
        "advantages": [float(a) for a in adv],
        "mean": mean,
        "std": std,
        "all_equal": equal,
        "summary": summary,
        "rows": rows,
        "objective": out["objective"],
        "objective_text": signed(out["objective"], 4),
        "n_clipped": int(np.sum(out["clipped"])),
        "step_text": (
            f"Each answer’s tokens have moved {fixed(p['step'], 2)} nats towards their advantage (ratio "
            f"{fixed(np.exp(p['step']), 3)} or {fixed(np.exp(-p['step']), 3)}); PPO’s clip stops the push "
            f"outside {fixed(1 - p['clip_eps'], 2)}–{fixed(1 + p['clip_eps'], 2)}."
        ),
    }
