"""The attention chapter's widget, computed in CPython: attention_head.

Checked against the model itself: the widget's q, k, weights and output must be the ones the float32
forward pass used (its trace), and against a naive loop: dot products, the sqrt(d_head) scaling and a
softmax written out by hand. Plus the causal mask switch, clamping and bad-input messages.
"""

import math

import numpy as np
import pytest
from widgetlib.fmt import css_percent, fixed, percent
from tests.tolerances import (
    assert_within,
    assert_within_rounding,
    forward_terms,
    probability_tolerance,
    rounding_tolerance,
)
from widget_loader import load_widget, run as run_widget
from llm_core.models import tiny_model


attention_head = load_widget("attention_head")


def run(**params):  # this file's one widget
    return run_widget(attention_head, **params)


def model_trace(prompt: str):
    tiny = tiny_model()
    ids, _ = attention_head.sentence_ids(prompt)
    _, trace = tiny.forward(ids, trace=True)  # the real model: float32
    return ids, trace


def test_declares_its_data_files():
    assert attention_head.DATA  # the tiny model's files, which the page loads before calling compute


CASES = [
    {},
    {"layer": 0, "head": 1, "query": 3},
    {"layer": 5, "head": 3, "query": 9},
    {"prompt": "The tariff is a tax. The tariff is paid by the people.", "layer": 2, "head": 2, "query": 13},
]


@pytest.mark.parametrize("params", CASES)
def test_weights_and_output_are_the_models_own(params):
    r = run(**params)
    p = {**attention_head.DEFAULTS, **params}
    ids, trace = model_trace(p["prompt"])
    attn = trace["layers"][p["layer"]]["attn"]
    h, i = p["head"], r["query"]
    assert [t["id"] for t in r["tokens"]] == [int(x) for x in ids]
    assert r["kv_head"] == h // 2  # 4 query heads share 2 kv heads
    # q and every k, after RoPE, as the model computed them (float64 here vs float32 there: the float32
    # pass's rounding up to this layer's attention)
    n_terms = forward_terms(tiny_model().cfg, len(ids), 2 * p["layer"] + 1)
    for got, expected, what in [
        (r["q"], attn["q"][h, i], "q"),
        ([k["k"] for k in r["rows"]], attn["k"][r["kv_head"]], "k"),
        (r["out_head"], attn["heads"][h, i, : r["n_shown"]], "out_head"),
        ([k["score"] for k in r["rows"][: i + 1]], attn["scores"][h, i, : i + 1], "score"),
    ]:
        assert_within_rounding(got, expected, n_terms, np.abs(expected).max(), what=what)
    # the softmax weights the forward pass used
    score_tol = rounding_tolerance(n_terms, np.abs(attn["scores"][h, i, : i + 1]).max())
    assert_within(
        [k["weight"] for k in r["rows"]],
        attn["weights"][h, i],
        probability_tolerance(attn["weights"][h, i], score_tol),
        "weight",
    )


@pytest.mark.parametrize("causal", [True, False])
def test_scores_and_weights_against_a_naive_loop(causal):
    r = run(query=6, causal=causal)
    q, keys = r["q"], r["rows"]
    dots = [sum(a * b for a, b in zip(q, k["k"])) for k in keys]
    scores = [d / math.sqrt(32) for d in dots]
    visible = [j for j in range(len(keys)) if not causal or j <= 6]
    top = max(scores[j] for j in visible)
    exps = {j: math.exp(scores[j] - top) for j in visible}
    total = sum(exps.values())
    for j, k in enumerate(keys):
        assert math.isclose(k["dot"], dots[j], rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(k["score"], scores[j], rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(k["weight"], exps.get(j, 0.0) / total, rel_tol=1e-9, abs_tol=1e-12)
        assert k["masked"] == (j not in visible)
    assert r["n_visible"] == len(visible) and math.isclose(r["weight_sum"], 1.0, rel_tol=1e-12)
    assert r["sqrt_d"] == math.sqrt(32) and r["d_head"] == 32


def test_the_output_is_the_weighted_mix_of_the_values():
    r = run()
    p = attention_head.DEFAULTS
    ids, _ = attention_head.sentence_ids(p["prompt"])
    trace = attention_head.run(tuple(ids))
    _, _, v, _ = attention_head.head_projections(trace, p["layer"], p["head"])
    weights = np.array([k["weight"] for k in r["rows"]])
    mix = sum(w * v[j] for j, w in enumerate(weights))
    np.testing.assert_allclose(r["out_head"], mix[: r["n_shown"]], rtol=1e-12, atol=1e-12)
    assert math.isclose(r["out_norm"], float(np.linalg.norm(mix)), rel_tol=1e-12)
    top = r["top"][0]
    np.testing.assert_allclose(top["v"], v[top["pos"], : r["n_shown"]], rtol=1e-12)


@pytest.mark.parametrize("params", [{}, {"query": 5, "causal": False}])
def test_the_figure_text_is_computed_here(params):
    r = run(**params)
    assert r["q_text"] == [fixed(x, 2) for x in r["q"]] and r["q_norm_text"] == fixed(r["q_norm"], 2)
    assert [c["neg"] for c in r["q_cells"]] == [x < 0 for x in r["q"]]
    assert [c["opacity"] for c in r["q_cells"]] == [f"{min(1, abs(x) / r['scale']):.2f}" for x in r["q"]]
    assert "1.00" in [
        c["opacity"] for row in r["rows"] for c in row["k_cells"] + r["q_cells"]
    ]  # the scale's own number
    for k in r["rows"]:
        assert (k["dot_text"], k["score_text"]) == (fixed(k["dot"], 2), fixed(k["score"], 2))
        assert k["weight_text"] == percent(k["weight"]) and k["bar"] == css_percent(k["weight"])
        assert k["k_text"] == [fixed(x, 2) for x in k["k"]]
    assert [t["mark"] for t in r["tokens"]] == [
        "ah-q" if j == r["query"] else "ah-hidden" if row["masked"] else None for j, row in enumerate(r["rows"])
    ]
    assert r["n_after"] == r["n_tokens"] - 1 - r["query"] and r["max_query"] == r["n_tokens"] - 1
    assert [t["after"] for t in r["top"]] == [") + "] * (len(r["top"]) - 1) + [")"]
    assert all(
        t["weight_text"] == fixed(t["weight"], 3) and t["v_text"] == [fixed(x, 2) for x in t["v"]] for t in r["top"]
    )
    assert r["n_more"] == r["n_visible"] - len(r["top"]) and r["weight_sum_text"] == "1.000"
    assert r["out_text"] == [fixed(x, 2) for x in r["out_head"]] and r["sqrt_d_text"] == "5.66"


def test_default_head_looks_at_the_previous_token():
    # The chapter's claim: layer 4, head 0 puts almost all of " now"'s attention on " act" before it.
    r = run()
    assert r["query"] == 14 and r["top"][0]["pos"] == 13 and r["top"][0]["weight"] > 0.9


def test_causal_mask_off_lets_the_query_see_later_tokens():
    on, off = run(query=3), run(query=3, causal=False)
    assert sum(k["weight"] for k in on["rows"][4:]) == 0 and all(k["masked"] for k in on["rows"][4:])
    assert sum(k["weight"] for k in off["rows"][4:]) > 0 and not any(k["masked"] for k in off["rows"])
    assert on["q"] == off["q"] and [k["k"] for k in on["rows"]] == [k["k"] for k in off["rows"]]
    assert off["n_visible"] == off["n_tokens"] and on["n_visible"] == 4


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"layer": -3}, "layer", 0),
        ({"layer": 99}, "layer", 5),
        ({"head": "2"}, "head", 2),
        ({"head": 17}, "head", 3),
        ({"query": -1}, "query", 0),
        ({"query": 500}, "query", 15),  # clamped to the last of the default sentence's 16 tokens
        ({"causal": "false"}, "causal", False),
    ],
)
def test_clamping(params, key, expected):
    assert run(**params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"layer": ""}, "layer must be a number"),
        ({"head": 1.5}, "head must be a whole number"),
        ({"query": float("nan")}, "query must be a finite number"),
        ({"causal": "maybe"}, "causal must be on or off"),
        ({"prompt": 3}, "prompt must be text"),
    ],
)
def test_bad_input_is_rejected_with_a_message(params, message):
    with pytest.raises(ValueError, match=message):
        attention_head.compute(params)


@pytest.mark.parametrize("prompt", ["", "🙂" * 300, "x" * 1_000_000, "مرحبا بالعالم \u202e\x00\x07 hi", "\ud800 lone"])
def test_strange_prompts_give_a_figure(prompt):
    r = run(prompt=prompt, query=63)
    assert 1 <= r["n_tokens"] <= attention_head.MAX_TOKENS
    assert r["query"] == r["n_tokens"] - 1 and len(r["rows"]) == r["n_tokens"]
    if len(prompt) > attention_head.MAX_PROMPT_CHARS:
        assert "characters" in r["note"]
