"""The reasoning chapter's widgets, computed in CPython: grpo_advantages and pass_at_k.

Checked against llm_core.reasoning and references that share no code with it: the advantages by hand, the
clip's branch by the ratio's side of the band, pass@k by enumerating every k-subset, majority voting by
enumerating every ordered outcome of the votes, the costs by the roofline closed forms worked by hand. The
numbers chapters/21-reasoning.md quotes are recomputed here and looked for, formatted, in its text.
"""

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from llm_core.configs import CONFIGS, parameter_count, weights_bytes
from llm_core.kv_cache import kv_bytes_per_token
from llm_core.reasoning import group_advantages, majority_vote
from llm_core.serving import HARDWARE
from widgetlib.fmt import fixed, percent, signed
from widget_loader import load_widget, run

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = (ROOT / "chapters" / "21-reasoning.md").read_text(encoding="utf-8")
PROSE = " ".join(CHAPTER.split())  # the chapter's text with its line breaks as spaces

grpo = load_widget("grpo_advantages")
pass_at_k = load_widget("pass_at_k")


def quoted(text: str) -> bool:
    return text in PROSE


# -- grpo_advantages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rewards", ["1, 0, 0, 1, 0, 0, 0, 1", "0.9 0.2 0.5 0.5", "1;0", "3, -1, 2, 2, 7, 0, 0, 1"])
def test_advantages_by_hand(rewards):
    r = run(grpo, rewards=rewards)
    values = [float(x) for x in rewards.replace(",", " ").replace(";", " ").split()]
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    assert r["mean"] == pytest.approx(mean) and r["std"] == pytest.approx(std)
    assert r["advantages"] == pytest.approx([(v - mean) / std for v in values], rel=1e-12)
    assert [row["cells"][1] for row in r["rows"]] == [signed((v - mean) / std, 3) for v in values]
    for row, a in zip(r["rows"], r["advantages"]):
        assert row["bar"]["side"] == ("up" if a > 0 else "down" if a < 0 else "none")


@pytest.mark.parametrize(
    "rewards, tail",
    [("1 1 1 1 1 1 1 1", "already gets it right"), ("0,0,0,0", "until the model"), ("0.5 0.5", "no learning signal.")],
)
def test_equal_rewards_say_no_signal(rewards, tail):
    r = run(grpo, rewards=rewards)
    assert r["all_equal"] and r["advantages"] == [0.0] * len(r["rows"])
    assert "no learning signal" in r["summary"] and tail in r["summary"]
    assert all(row["verdict"] == "no signal" and row["push"] == 0 for row in r["rows"]) and r["objective"] == 0


@pytest.mark.parametrize("step, eps", [(0.1, 0.2), (0.5, 0.1), (0.3, 0.3), (0.0, 0.05), (0.25, 0.25)])
def test_clip_by_the_ratios_side_of_the_band(step, eps):
    r = run(grpo, rewards="0.9 0.2 0.5 0.5 1", step=step, clip_eps=eps, beta=0.04)
    for row in r["rows"]:
        a, ratio = row["advantage"], row["ratio"]
        assert ratio == pytest.approx(math.exp(step * np.sign(a)))
        assert row["clipped"] == ((a > 0 and ratio > 1 + eps) or (a < 0 and ratio < 1 - eps))
        kl_push = 0.04 * (1 / ratio - 1)  # d/d log pi of -beta (pi_ref/pi - log(pi_ref/pi) - 1), pi_ref = pi_old
        assert row["push"] == pytest.approx((0 if row["clipped"] else ratio * a) + kl_push, abs=1e-12)
        assert row["kl"] == pytest.approx(1 / ratio + math.log(ratio) - 1, abs=1e-15)
    assert r["n_clipped"] == sum(row["clipped"] for row in r["rows"])


def test_grpo_numbers_quoted_in_the_chapter():
    r = run(grpo)
    assert (fixed(r["mean"], 3), fixed(r["std"], 3)) == ("0.375", "0.484")
    up, down = r["rows"][0]["cells"][1], r["rows"][1]["cells"][1]
    assert (up, down) == ("+1.291", "−0.775") and r["objective_text"] == "+0.0968"
    lone = run(grpo, rewards="1 0 0 0 0 0 0 0")
    assert (lone["rows"][0]["cells"][1], lone["rows"][1]["cells"][1]) == ("+2.646", "−0.378")
    assert lone["advantages"][0] == pytest.approx(math.sqrt(7))
    assert run(grpo, step=0)["objective"] == pytest.approx(0, abs=1e-15)
    for text in (
        "mean reward is 0.375",
        "deviation 0.484",
        "advantage +1.291",
        "wrong one −0.775",
        "gets +2.646",
        "only −0.378",
        "objective is +0.0968",
        "(with ε = 0.2 and β = 0.04)",
    ):
        assert quoted(text), text


@pytest.mark.parametrize(
    "rewards, message",
    [
        ("", "at least 2"),
        ("1", "at least 2"),
        ("1 " * 17, "at most 16"),
        ("1, x", "not a number"),
        ("1 nan", "between"),
        ("1 1e9", "between"),
        ("<img src=x>", "not a number"),
        (5, "text"),
    ],
)
def test_grpo_rejects_bad_rewards(rewards, message):
    with pytest.raises(ValueError, match=message):
        grpo.compute({"rewards": rewards})


def test_grpo_clamps_sliders():
    r = run(grpo, step=9, clip_eps=0, beta=-1)
    assert (r["params"]["step"], r["params"]["clip_eps"], r["params"]["beta"]) == (0.5, 0.05, 0.0)
    assert r["readouts"] == {"step": "0.50", "clip_eps": "0.05", "beta": "0.00"}
    assert run(grpo, rewards="1 −1")["advantages"] == [1.0, -1.0]  # a typed true minus sign


# -- pass_at_k -----------------------------------------------------------------------------------------


def brute_pass(n, c, k):
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(i < c for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n, c", [(1, 0), (1, 1), (4, 1), (6, 2), (8, 3), (8, 8)])
def test_pass_curve_equals_enumerated_subsets(n, c):
    for k in range(1, n + 1):
        r = run(pass_at_k, n=n, c=c, k=k)
        assert r["pass_at_k"] == pytest.approx(brute_pass(n, c, k), rel=1e-12, abs=1e-15)
        assert r["plug_in"] == pytest.approx(1 - (1 - c / n) ** k) and r["plug_in"] <= r["pass_at_k"] + 1e-12
        assert r["pass_text"].startswith(f"pass@{k} = {percent(r['pass_at_k'])}")


def enumerated_vote(p, m, n_wrong):
    """Every ordered outcome of m votes, with its probability, decided by majority_vote."""
    labels = ["right"] + [f"wrong {w}" for w in range(n_wrong)]
    probs = [p] + [(1 - p) / n_wrong] * n_wrong
    return sum(
        math.prod(probs[v] for v in votes) * (majority_vote([labels[v] for v in votes])["answer"] == "right")
        for votes in itertools.product(range(n_wrong + 1), repeat=m)
    )


@pytest.mark.parametrize("p, wrong", [(0.4, 3), (0.55, 1), (0.2, 3), (1.0, 1)])
def test_vote_curve_equals_enumerated_outcomes(p, wrong):
    r = run(pass_at_k, p=p, wrong=wrong, m=5)
    values = [float(xy.split(",")[1]) for xy in r["vote_plot"]["lines"][0]["points"].split()]
    for m in range(1, 6):
        exact = enumerated_vote(p, m, wrong)
        y = pass_at_k.to_svg(0, 2, exact)[1]
        assert values[m - 1] == pytest.approx(y, abs=0.006)  # the plotted point, to its 2 decimals
    assert r["majority"] == pytest.approx(enumerated_vote(p, 5, wrong), rel=1e-12, abs=1e-15)
    assert r["any_right"] == pytest.approx(1 - (1 - p) ** 5)


def roofline_seconds(model, hardware, n_out, batch, prompt=pass_at_k.PROMPT_TOKENS):
    """Prefill plus n_out - 1 decode steps, by hand: max(bytes / bandwidth, FLOPs / FLOP/s) each."""
    cfg, hw = CONFIGS[model], HARDWARE[hardware]
    n, w, kv = parameter_count(cfg)["total"], weights_bytes(cfg, bits=16), kv_bytes_per_token(cfg, 2)
    t = max(2 * n * prompt * batch / hw.flops_per_s, w / hw.bandwidth)
    for j in range(1, n_out):
        t += max((w + kv * (prompt + j) * batch) / hw.bandwidth, 2 * n * batch / hw.flops_per_s)
    return t


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"model": "llama-3-70b", "hardware": "a100-80gb", "m": 64, "tokens": 300},
        {"model": "qwen2.5-7b", "hardware": "laptop-m2", "m": 3, "tokens": 50, "price": 7},
    ],
)
def test_costs_by_the_roofline(params):
    r = run(pass_at_k, **params)
    p = {**pass_at_k.DEFAULTS, **params}
    one, rows = roofline_seconds(p["model"], p["hardware"], p["tokens"], 1), r["cost"]["rows"]
    assert rows[0]["seconds"] == pytest.approx(one, rel=1e-9)
    assert rows[1]["seconds"] == pytest.approx(p["m"] * one, rel=1e-9)
    batched = roofline_seconds(p["model"], p["hardware"], p["tokens"], p["m"])
    assert rows[2]["seconds"] == pytest.approx(batched, rel=1e-9)
    assert [row["tokens"] for row in rows] == [p["tokens"], p["m"] * p["tokens"], p["m"] * p["tokens"]]
    for row in rows:
        assert row["dollars"] == pytest.approx(row["seconds"] * p["price"] / 3600, rel=1e-12)


def test_pass_at_k_numbers_quoted_in_the_chapter():
    r = run(pass_at_k)
    assert (percent(r["pass_at_k"]), percent(r["plug_in"])) == ("60.1%", "55.6%")
    assert (percent(r["majority"]), percent(r["any_right"])) == ("70.8%", ">99.9%")
    assert percent(run(pass_at_k, wrong=1)["majority"]) == "21.3%"
    assert percent(run(pass_at_k, n=200, c=1, k=100)["pass_at_k"]) == "50.0%"
    c = r["cost"]
    assert pass_at_k.seconds(c["ttft"]) == "4.8 ms" and fixed(c["decode_tokens_per_s"], 0) == "207"
    assert [row["cells"][1:] for row in c["rows"]] == [
        ["9.68 s", "$0.0054"],
        ["2.6 min", "$0.086"],
        ["11.1 s", "$0.0062"],
    ]
    assert 2050 / 50 == 41
    for text in (
        "first token after 4.8 ms",
        "at most 207 tokens per second",
        "at least 9.68 s",
        "costs $0.0054",
        "$2.00 an hour",
        "pass@5 = 60.1%",
        "says 55.6%",
        "right 70.8% of the time",
        "fall to 21.3%",
        "take 2.6 min and cost $0.086",
        "take 11.1 s and $0.0062",
        "pass@100 is exactly 50.0%",
        "more than 99.9% of the time",
        "only 70.8% of the time",
        "runs 41 times",
        "writes at most 207 tokens/s",
        "at least 9.68 s, each answer",
    ):
        assert quoted(text), text


def test_pass_at_k_clamps_with_notes():
    r = run(pass_at_k, n=5, c=200, k=200)
    assert (r["params"]["c"], r["params"]["k"]) == (5, 5) and r["pass_at_k"] == 1.0
    assert "c is taken as 5" in r["note"] and "k is taken as 5" in r["note"]
    long = run(pass_at_k, model="gpt2", tokens=16000)
    assert long["cost"]["n_out"] == 1024 - pass_at_k.PROMPT_TOKENS and "at most 1,024 positions" in long["note"]
    big = run(pass_at_k, model="llama-3.1-405b", m=64)
    assert "split across several" in big["note"]
    assert run(pass_at_k, c=0)["pass_text"].startswith("pass@5 = 0%")  # not "−0%"
    assert run(pass_at_k, wrong=3.0)["params"]["wrong"] == 3


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n": 2.5}, "whole"),
        ({"p": "x"}, "number"),
        ({"wrong": 2}, "wrong"),
        ({"model": "gpt-5"}, "model"),
        ({"hardware": "tpu"}, "hardware"),
        ({"tokens": ""}, "number"),
        ({"price": "nan"}, "finite"),
    ],
)
def test_pass_at_k_rejects_bad_values(params, message):
    with pytest.raises(ValueError, match=message):
        pass_at_k.compute(params)


def test_advantage_helper_is_the_librarys():
    assert run(grpo)["advantages"] == group_advantages([1, 0, 0, 1, 0, 0, 0, 1]).tolist()
