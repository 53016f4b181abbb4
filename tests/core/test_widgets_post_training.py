"""The post-training chapter's widgets, computed in CPython: dpo_loss and reward_ranking.

Checked against closed forms (sigmoid, -log sigmoid, ln 2 when policy = reference), against
llm_core.preference, and against the tiny model's own log-probabilities computed token by token; plus
clamping and bad-input messages.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from llm_core.activations import softmax
from llm_core.model_files import load_model
from tests.tolerances import logprob_tolerance
from widgetlib.fmt import fixed, percent, signed
from widget_loader import load_widget, run
from llm_core.models import tiny_model
from widgetlib.model import TINY_FILES

ROOT = Path(__file__).resolve().parents[2]


dpo_loss = load_widget("dpo_loss")
reward_ranking = load_widget("reward_ranking")
ALL = [dpo_loss, reward_ranking]


def sig(x):
    return 1 / (1 + math.exp(-x))


def naive_logprob(prompt: str, answer: str) -> float:
    """log p(answer | prompt) by one forward pass per answer token and an explicit softmax."""
    tiny = tiny_model()
    ids, total = tiny.encoding.encode(prompt), 0.0
    for token in tiny.encoding.encode(answer):
        logits, _ = tiny.forward(ids)
        total += math.log(float(softmax(logits[-1].astype(np.float64))[token]))
        ids.append(token)
    return total


def naive_tolerance(prompt: str, answer: str) -> float:
    """How far naive_logprob may be from the widget's one pass over the whole text (other summation orders)."""
    tiny = tiny_model()
    ids, answer_ids = tiny.encoding.encode(prompt), tiny.encoding.encode(answer)
    logits, _ = tiny.forward(ids + answer_ids[:-1])
    return logprob_tolerance(tiny.cfg, logits, len(answer_ids))


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
def test_declares_its_data_files(widget):
    assert widget.DATA  # the tiny model's files, which the page loads before calling compute


# -- dpo_loss ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pc, pr, rc, rr, beta",
    [(-12, -15, -13, -14, 0.1), (-30, -5, -13, -14, 0.5), (0, -60, -60, 0, 1.0), (-7.5, -7.5, -7.5, -7.5, 0.3)],
)
def test_dpo_matches_the_closed_form(pc, pr, rc, rr, beta):
    r = run(dpo_loss, policy_chosen=pc, policy_rejected=pr, ref_chosen=rc, ref_rejected=rr, beta=beta)
    margin = beta * (pc - rc) - beta * (pr - rr)
    assert math.isclose(r["reward_chosen"], beta * (pc - rc), abs_tol=1e-12)
    assert math.isclose(r["reward_rejected"], beta * (pr - rr), abs_tol=1e-12)
    assert math.isclose(r["margin"], margin, abs_tol=1e-12)
    assert math.isclose(r["loss"], math.log1p(math.exp(-margin)), rel_tol=1e-12)
    assert math.isclose(r["grad_weight"], sig(-margin), rel_tol=1e-12)
    assert math.isclose(r["p_chosen"], sig(margin), rel_tol=1e-9)
    assert math.isclose(r["grad_step"], beta * sig(-margin), rel_tol=1e-12)
    assert r["off_chart"] == (abs(margin) > dpo_loss.MARGIN_RANGE)


def test_dpo_defaults_quoted_in_the_chapter():
    r = run(dpo_loss)
    assert (round(r["reward_chosen"], 3), round(r["reward_rejected"], 3), round(r["margin"], 3)) == (0.1, -0.1, 0.2)
    assert (round(r["loss"], 3), round(r["grad_weight"], 3), round(100 * r["p_chosen"], 1)) == (0.598, 0.45, 55.0)


def test_dpo_text_is_widgetlib_fmt_of_the_values():
    r = run(dpo_loss, policy_chosen=-30, policy_rejected=-5, beta=0.5)
    assert r["readouts"] == {
        "policy_chosen": "−30.0",
        "policy_rejected": "−5.0",
        "ref_chosen": "−13.0",
        "ref_rejected": "−14.0",
        "beta": "0.50",
    }
    assert r["rows"] == [
        {"name": "chosen", "cells": ["−30.00", "−13.00", "−17.00", signed(r["reward_chosen"], 3)]},
        {"name": "rejected", "cells": ["−5.00", "−14.00", "+9.00", signed(r["reward_rejected"], 3)]},
    ]
    assert r["margin_text"] == signed(r["margin"], 3) == "−13.000" and r["off_chart"]
    assert r["loss_text"] == fixed(r["loss"], 3) and r["p_chosen_text"] == percent(r["p_chosen"]) == "<0.1%"
    assert r["grad_weight_text"] == fixed(r["grad_weight"], 3) and r["grad_step_text"] == fixed(r["grad_step"], 4)
    assert "−13.000 is beyond the chart" in r["off_chart_note"] and "beyond the chart" in r["aria_label"]
    assert run(dpo_loss)["off_chart_note"] is None
    assert [t["label"] for t in r["axes"]["x"]] == ["−6", "−4", "−2", "0", "+2", "+4", "+6"]
    assert r["curve_points"] == " ".join(f"{x:.2f},{y:.2f}" for x, y in r["curve"])


def test_dpo_curve_is_minus_log_sigmoid_and_falls():
    r = run(dpo_loss)
    ys = [y for _, y in r["curve"]]
    xs = [x for x, _ in r["curve"]]
    assert xs == sorted(xs) and len(xs) == dpo_loss.N_POINTS
    assert all(a <= b for a, b in zip(ys, ys[1:]))  # SVG y grows downwards: the loss falls with the margin
    assert r["marker"] == dpo_loss.to_svg(0.2, r["loss"])


def test_model_mode_uses_the_tiny_models_log_probabilities():
    r = run(dpo_loss, mode="model")
    p = dpo_loss.DEFAULTS
    chosen, rejected = naive_logprob(p["prompt"], p["chosen"]), naive_logprob(p["prompt"], p["rejected"])
    assert math.isclose(r["logp"]["policy_chosen"], chosen, abs_tol=naive_tolerance(p["prompt"], p["chosen"]))
    assert math.isclose(r["logp"]["policy_rejected"], rejected, abs_tol=naive_tolerance(p["prompt"], p["rejected"]))
    assert (
        r["logp"]["ref_chosen"] == r["logp"]["policy_chosen"]
        and r["logp"]["ref_rejected"] == r["logp"]["policy_rejected"]
    )
    assert math.isclose(
        sum(t["logp"] for t in r["text"]["chosen"]["tokens"]), r["text"]["chosen"]["logp"], rel_tol=1e-9
    )
    tokens = r["text"]["chosen"]["tokens"]
    assert [t["colour"] for t in tokens] == [i % 5 for i in range(len(tokens))]
    assert all(t["logp_text"] == fixed(t["logp"], 2) for t in tokens)
    assert r["text"]["rejected"]["logp_text"] == fixed(r["text"]["rejected"]["logp"], 3)
    # Policy = reference: the starting point of DPO. Rewards 0, margin 0, loss ln 2, weight 1/2.
    assert r["reward_chosen"] == r["reward_rejected"] == r["margin"] == 0
    assert math.isclose(r["loss"], math.log(2)) and r["grad_weight"] == 0.5
    assert rejected < chosen  # the repetitive answer is the less likely one here


@pytest.mark.parametrize("chosen, rejected", [("", " War"), ("🙂 مرحبا \u202e\x00", "\ud800"), ("x" * 5000, "")])
def test_model_mode_odd_answers(chosen, rejected):
    r = run(dpo_loss, mode="model", prompt="", chosen=chosen, rejected=rejected)
    assert math.isclose(r["loss"], math.log(2))
    assert "empty" in (r["note"] or "") or len(r["text"]["chosen"]["tokens"]) <= dpo_loss.MAX_CONTINUATION_TOKENS
    if chosen == "":
        assert r["logp"]["policy_chosen"] == 0.0


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"beta": 0}, "beta", 0.01),
        ({"beta": 50}, "beta", 1.0),
        ({"policy_chosen": 3}, "policy_chosen", 0.0),
        ({"ref_rejected": -1e9}, "ref_rejected", -60.0),
        ({"policy_rejected": "-2.5"}, "policy_rejected", -2.5),
    ],
)
def test_dpo_clamps(params, key, expected):
    assert run(dpo_loss, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"beta": ""}, "beta must be a number"),
        ({"mode": "ppo"}, "mode must be one of"),
        ({"ref_chosen": float("inf")}, "finite"),
        ({"chosen": None}, "chosen must be text"),
    ],
)
def test_dpo_bad_input(params, message):
    with pytest.raises(ValueError, match=message):
        dpo_loss.compute(params)


# -- reward_ranking ------------------------------------------------------------------------------


def test_ranking_table_is_bradley_terry():
    r = run(reward_ranking, score_a=1.0, score_b=-2.0, score_c=3.5, score_d=0.0)
    scores = [a["score"] for a in r["answers"]]
    assert scores == [1.0, -2.0, 3.5, 0.0]
    for i in range(4):
        for j in range(4):
            assert math.isclose(r["prefs"][i][j], sig(scores[i] - scores[j]), rel_tol=1e-12)
    assert r["ranking"] == ["C", "A", "D", "B"] and [a["rank"] for a in r["answers"]] == [2, 4, 1, 3]
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    expected = sum(-math.log(sig(scores[i] - scores[j])) for i, j in pairs) / 6
    assert math.isclose(r["listed_loss"], expected, rel_tol=1e-12) and r["n_pairs"] == 6
    assert math.isclose(r["tie_loss"], math.log(2))


def test_ranking_text_is_widgetlib_fmt_of_the_values():
    r = run(reward_ranking, score_a=1.0, score_b=-2.0, score_c=5, score_d=-5)
    assert r["readouts"] == {"score_a": "1.0", "score_b": "−2.0", "score_c": "5.0", "score_d": "−5.0"}
    assert [a["name"] for a in r["ranked"]] == r["ranking"] == ["C", "A", "B", "D"]
    assert [a["rank"] for a in r["ranked"]] == [1, 2, 3, 4]
    assert [a["score_text"] for a in r["answers"]] == ["1.000", "−2.000", "5.000", "−5.000"]
    for i, row in enumerate(r["pref_cells"]):
        for j, cell in enumerate(row):
            assert cell["text"] == percent(r["prefs"][i][j])
            assert cell["cls"] == ("rr-diag" if i == j else "rr-win" if r["prefs"][i][j] > 0.5 else None)
    assert r["pref_cells"][2][3]["text"] == ">99.9%" and r["pref_cells"][3][2]["text"] == "<0.1%"
    assert r["listed_loss_text"] == fixed(r["listed_loss"], 3) and r["tie_loss_text"] == "0.693"


def test_ranking_defaults_quoted_in_the_chapter():
    r = run(reward_ranking)
    assert r["ranking"] == ["A", "B", "C", "D"] and not r["stand_in"]
    assert round(100 * r["prefs"][0][1], 1) == 81.8 and round(100 * r["prefs"][0][3], 1) == 99.3
    assert round(r["listed_loss"], 3) == 0.099


def test_ties_keep_the_listed_order():
    r = run(reward_ranking, score_a=0, score_b=0, score_c=0, score_d=0)
    assert r["ranking"] == ["A", "B", "C", "D"] and all(p == 0.5 for row in r["prefs"] for p in row)
    assert math.isclose(r["listed_loss"], math.log(2))


def test_stand_in_scores_are_mean_log_probabilities():
    r = run(reward_ranking, mode="model")
    p = reward_ranking.DEFAULTS
    tiny = tiny_model()
    for a, name in zip(r["answers"], "abcd"):
        n = len(tiny.encoding.encode(p[name]))
        assert a["n_tokens"] == n
        assert math.isclose(
            a["score"], naive_logprob(p["prompt"], p[name]) / n, abs_tol=naive_tolerance(p["prompt"], p[name]) / n
        )
    assert r["stand_in"] and r["ranking"][0] == "C"  # the repetitive answer is the most "likely", not the best


def test_empty_answer_scores_zero_with_a_note():
    r = run(reward_ranking, mode="model", b="")
    assert r["answers"][1]["score"] == 0.0 and r["answers"][1]["n_tokens"] == 0 and "empty" in r["note"]
    assert r["ranking"][0] == "B"


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"score_a": 99}, "score_a", 5.0),
        ({"score_d": -99}, "score_d", -5.0),
        ({"score_b": "1.5"}, "score_b", 1.5),
    ],
)
def test_ranking_clamps(params, key, expected):
    assert run(reward_ranking, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"score_c": ""}, "score of C must be a number"),
        ({"mode": "oracle"}, "mode must be one of"),
        ({"a": 7}, "answer A must be text"),
    ],
)
def test_ranking_bad_input(params, message):
    with pytest.raises(ValueError, match=message):
        reward_ranking.compute(params)


def test_huge_answers_are_cut():
    r = run(reward_ranking, mode="model", a="the " * 300_000, prompt="🙂" * 10_000)
    assert len(r["params"]["a"]) == reward_ranking.MAX_TEXT_CHARS and r["answers"][0]["n_tokens"] <= 64
    assert all(math.isfinite(a["score"]) for a in r["answers"])


def test_same_model_file_as_the_rest_of_the_book():
    assert dpo_loss.DATA == reward_ranking.DATA == TINY_FILES and TINY_FILES[0] == "models/tiny/config.json"
    assert load_model(ROOT / "models" / "tiny").cfg.n_vocab == 4096
