"""The feed-forward chapter's widgets, computed in CPython: dense_layer and swiglu_ffn.

dense_layer is checked against a naive loop over the formula y_j = sum_i x_i W_ij + b_j (and its
products against x_i W_ij one by one); swiglu_ffn against llm_core.ffn.swiglu applied to the traced
forward pass's own FFN input, and against the trace's gate, up and hidden activations; plus the limits,
clamping and bad-input messages.
"""

import math

import numpy as np
import pytest

from llm_core.activations import silu
from llm_core.ffn import swiglu
from llm_core.norms import rms_norm
from llm_core.tokenizer import without_surrogates
from tests.tolerances import (
    abs_matmul,
    are_top,
    assert_within_rounding,
    forward_terms,
    rounding_tolerance,
    within_rounding,
)
from widget_loader import load_widget, run
from widgetlib.fmt import fixed, percent
from llm_core.models import tiny_model
from widgetlib.prompt import prompt_ids


dense_layer = load_widget("dense_layer")
swiglu_ffn = load_widget("swiglu_ffn")


# --- dense_layer -------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, *dense_layer.EXAMPLES, {"x0": 0, "x1": 0, "x2": 0, "seed": 17}])
def test_dense_layer_matches_a_naive_loop(params):
    r = run(dense_layer, **params)
    x, w, b = r["x"], r["w"], r["b"]
    assert len(x) == r["d_in"] == len(w) and len(b) == r["d_out"] == len(w[0])
    for j in range(r["d_out"]):
        total = b[j]
        for i in range(r["d_in"]):
            assert r["terms"][i][j] == pytest.approx(x[i] * w[i][j], abs=1e-12)
            total += x[i] * w[i][j]
        out = r["outputs"][j]
        assert out["y"] == pytest.approx(total, abs=1e-12) == r["y"][j]
        assert out["terms"] == [r["terms"][i][j] for i in range(r["d_in"])]
        expected_h = {"none": total, "relu": max(total, 0.0), "silu": total / (1 + math.exp(-total))}
        assert out["h"] == pytest.approx(expected_h[r["params"]["activation"]], abs=1e-12)
        assert out["line"].startswith(f"y{j + 1} = ") and out["line"].endswith(f"{total:.2f}".replace("-", "−"))
    assert r["n_params"] == r["d_in"] * r["d_out"] + r["d_out"]
    # what the view writes: every number to 2 decimals, subscripts and column labels counted from 1
    assert [row["number"] for row in r["rows"]] == [1, 2, 3] and [o["number"] for o in r["outputs"]] == [1, 2, 3, 4]
    for i, row in enumerate(r["rows"]):
        assert row["x_text"] == fixed(x[i], 2) == r["shown"][f"x{i}"]
        assert [c["w_text"] for c in row["cells"]] == [fixed(v, 2) for v in w[i]]
        assert [c["term_text"] for c in row["cells"]] == [fixed(v, 2) for v in r["terms"][i]]
    assert [c["text"] for c in r["b_cells"]] == [fixed(v, 2) for v in b]
    assert all(o["y_text"] == fixed(o["y"], 2) and o["h_text"] == fixed(o["h"], 2) for o in r["outputs"])
    assert r["columns"][3] == {"j": 3, "label": "column 4"}
    assert r["activation_name"] == {"none": "none", "relu": "ReLU", "silu": "SiLU"}[r["params"]["activation"]]


def test_dense_layer_weights_are_seeded_toy_numbers():
    a, b, c = run(dense_layer, seed=3), run(dense_layer, seed=3), run(dense_layer, seed=4)
    assert a["w"] == b["w"] and a["b"] == b["b"] and a["w"] != c["w"]
    for value in [v for row in a["w"] for v in row] + a["b"]:
        assert round(value, 1) == value  # one decimal, readable by hand


def test_dense_layer_relu_zeroes_the_negative_default_output():
    none, relu = run(dense_layer), run(dense_layer, activation="relu")
    assert none["outputs"][0]["y"] == pytest.approx(-1.60)
    assert relu["outputs"][0]["h"] == 0.0 and relu["outputs"][3]["h"] == pytest.approx(3.50)


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"x0": 9}, "x0", 2.0),
        ({"x1": -9}, "x1", -2.0),
        ({"x2": "0.5"}, "x2", 0.5),
        ({"seed": -4}, "seed", 0),
        ({"seed": 10**9}, "seed", dense_layer.MAX_SEED),
    ],
)
def test_dense_layer_clamps(params, key, expected):
    assert run(dense_layer, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, word",
    [
        ({"x0": "abc"}, "x0"),
        ({"x1": float("nan")}, "x1"),
        ({"x2": None}, "x2"),
        ({"seed": 1.5}, "seed"),
        ({"seed": ""}, "seed"),
        ({"activation": "tanh"}, "activation"),
    ],
)
def test_dense_layer_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        dense_layer.compute(params)


# --- swiglu_ffn --------------------------------------------------------------------------------------


def traced(prompt: str):
    tiny = tiny_model()
    ids, _ = prompt_ids(tiny_model(), prompt, 1, swiglu_ffn.MAX_PROMPT_CHARS, swiglu_ffn.MAX_TOKENS)
    return tiny, ids, tiny.forward(ids, trace=True)[1]


@pytest.mark.parametrize("params", [{}, *swiglu_ffn.EXAMPLES, {"layer": 5, "position": 0}])
def test_swiglu_ffn_equals_llm_core_swiglu_on_the_traced_input(params):
    r = run(swiglu_ffn, **params)
    p = r["params"]
    tiny, ids, trace = traced(p["prompt"])
    cfg, layer, pos = tiny.cfg, p["layer"], p["position"]
    w = {k: tiny.weights[f"layers.{layer}.{k}"] for k in ("ffn_norm", "w_gate", "w_up", "w_down")}
    residual = trace["residual"][2 * layer + 1][pos]
    x = rms_norm(residual[None, :], w["ffn_norm"], cfg.norm_eps)
    out, ref = swiglu(x, w["w_gate"], w["w_up"], w["w_down"])
    # the widget's FFN is the model's own: the trace holds the same activations for this token (the
    # trace's row was computed with the whole prompt at once, this one alone: another float32 order)
    for key in ("gate", "up"):  # the norm's d_model terms, then the projection's d_model terms
        assert_within_rounding(
            ref[key][0],
            trace["layers"][layer]["ffn"][key][pos],
            2 * cfg.d_model + 3,
            abs_matmul(x[0], w[f"w_{key}"]),
            what=key,
        )
    n_ffn = 2 * cfg.d_model + cfg.d_ff + 9  # the whole FFN: forward_terms' count for one
    assert_within_rounding(
        ref["hidden"][0],
        trace["layers"][layer]["ffn"]["hidden"][pos],
        n_ffn,
        np.abs(ref["hidden"][0]).max(),
        what="hidden",
    )
    assert_within_rounding(
        residual + out[0],
        trace["residual"][2 * layer + 2][pos],
        n_ffn,
        np.abs(residual + out[0]).max(),
        what="residual",
    )

    # The widget traced only the tokens up to `position` through the layers up to `layer`; this test
    # traced the whole prompt: the same numbers up to float32 rounding along the whole pass.
    n_terms = forward_terms(cfg, len(ids), 2 * layer + 2)
    strips = {s["key"]: s for s in r["strips"]}
    expected = {"gate": ref["gate"][0], "silu": silu(ref["gate"][0]), "up": ref["up"][0], "hidden": ref["hidden"][0]}
    for key, values in expected.items():
        scale = float(np.abs(values).max())
        # SiLU passes on gate's error times its slope, at most 1.1
        magnitude = 1.1 * float(np.abs(ref["gate"][0]).max()) if key == "silu" else scale
        tol = float(rounding_tolerance(n_terms, magnitude))
        assert len(strips[key]["values"]) == cfg.d_ff == 384
        assert strips[key]["max"] == within_rounding(scale, n_terms, magnitude)
        # values under SNAP of the largest are sent as 0, and one just above it here may be just under there
        np.testing.assert_allclose(strips[key]["values"], values, rtol=0, atol=swiglu_ffn.SNAP * scale + 2 * tol)
    hidden = ref["hidden"][0]
    h_scale = float(np.abs(hidden).max())
    h_tol = float(rounding_tolerance(n_terms, h_scale))
    assert are_top(np.abs(hidden), [n["index"] for n in r["neurons"]], h_tol)  # the 10 largest |activations|
    for n in r["neurons"]:
        k = n["index"]
        row_norm = float(np.linalg.norm(w["w_down"][k]))
        assert n["value"] == within_rounding(float(hidden[k]), n_terms, h_scale)
        assert n["value"] == pytest.approx(n["silu"] * n["up"], rel=1e-5)  # one float32 product
        assert n["write"] == within_rounding(abs(hidden[k]) * row_norm, n_terms + cfg.d_model, h_scale * row_norm)
    # a norm of d values, each within the elementwise bound: within sqrt(d) times it
    out_scale = math.sqrt(cfg.d_model) * float(np.abs(out).max())
    assert r["out_norm"] == within_rounding(float(np.linalg.norm(out)), n_terms + cfg.d_model, out_scale)
    res_scale = math.sqrt(cfg.d_model) * float(np.abs(residual).max())
    assert r["residual_norm"] == within_rounding(float(np.linalg.norm(residual)), n_terms + cfg.d_model, res_scale)
    assert r["ratio"] == pytest.approx(r["out_norm"] / r["residual_norm"], rel=1e-6)  # the widget's own two numbers
    g_tol = float(rounding_tolerance(n_terms, np.abs(ref["gate"][0]).max()))  # this close to 0: either sign
    assert int((ref["gate"][0] < -g_tol).sum()) <= r["n_gate_negative"] <= int((ref["gate"][0] < g_tol).sum())
    assert r["token"]["id"] == ids[pos] and r["n_tokens"] == len(ids)


def test_swiglu_ffn_writes_what_the_view_shows():
    r = run(swiglu_ffn)
    for s in r["strips"]:
        assert s["max_text"] == fixed(s["max"], 2)
        assert s["bars"] == [[i + 0.5, 20 - 19 * v / s["max"]] for i, v in enumerate(s["values"]) if v != 0]
        assert all(1 - 1e-9 <= y <= 39 + 1e-9 for _, y in s["bars"])  # inside the strip's 40 units
    hidden = r["strips"][3]
    for n in r["neurons"]:
        assert n["mark"] == [n["index"] + 0.5, 20 - 19 * n["value"] / hidden["max"]]
        assert n["texts"] == [fixed(n[k], 2) for k in ("gate", "silu", "up", "value", "write")]
    t = r["texts"]
    assert (t["out_norm"], t["ratio"], t["cos"]) == (fixed(r["out_norm"], 2), fixed(r["ratio"], 2), fixed(r["cos"], 2))
    assert t["top_share"] == percent(r["top_share"], 0) and t["residual_norm"] == fixed(r["residual_norm"], 2)
    widths = [b["width"] for b in r["norm_bars"]]
    assert "100.0%" in widths and [b["text"] for b in r["norm_bars"]] == [
        t["residual_norm"],
        t["out_norm"],
        t["new_norm"],
    ]
    assert [c["chosen"] for c in r["tokens"]] == [k == r["token"]["position"] for k in range(r["n_tokens"])]
    assert r["max_position"] == r["n_tokens"] - 1


def test_swiglu_ffn_position_is_clamped_to_the_prompt():
    r = run(swiglu_ffn, prompt="I ask the Congress to", position=63)
    assert r["params"]["position"] == r["n_tokens"] - 1 == 4
    assert run(swiglu_ffn, layer=99)["params"]["layer"] == 5
    assert run(swiglu_ffn, layer=-1, position=-5)["params"] | {"prompt": ""} == {
        "prompt": "",
        "layer": 0,
        "position": 0,
    }


def test_swiglu_ffn_empty_and_long_prompts():
    empty = run(swiglu_ffn, prompt="")
    assert "empty" in empty["note"] and empty["n_tokens"] == 1
    long = run(swiglu_ffn, prompt="the Union " * 400, position=63)
    assert long["n_tokens"] == swiglu_ffn.MAX_TOKENS and "last 64" in long["note"]
    huge = run(swiglu_ffn, prompt="x" * 1_000_000)
    assert "characters" in huge["note"]


@pytest.mark.parametrize("text", ["👍🏽 e\u0301 \ud800 \x00\x1b مرحبا", "\n\n\t"])
def test_swiglu_ffn_awkward_text(text):
    """Odd text reaches the FFN as the model's own tokens, and the figure's numbers are the FFN's for that token."""
    tiny = tiny_model()
    ids = tiny.encoding.encode(without_surrogates(text))
    r = run(swiglu_ffn, prompt=text, position=3)
    assert [t["id"] for t in r["tokens"]] == ids and r["n_tokens"] == len(ids)
    position = min(3, len(ids) - 1)
    assert r["token"] == {**r["token"], "id": ids[position], "position": position}
    strips = {s["key"]: np.array(s["values"]) for s in r["strips"]}
    assert all(np.isfinite(v).all() and v.shape == (tiny.cfg.d_ff,) for v in strips.values())
    closed_form = strips["gate"] / (1 + np.exp(-strips["gate"]))  # SiLU(x) = x sigmoid(x)
    assert np.allclose(strips["silu"], closed_form, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "params, word",
    [
        ({"prompt": None}, "prompt"),
        ({"prompt": 42}, "prompt"),
        ({"layer": "deep"}, "layer"),
        ({"layer": 2.5}, "layer"),
        ({"position": float("inf")}, "position"),
        ({"position": [1]}, "position"),
    ],
)
def test_swiglu_ffn_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        swiglu_ffn.compute(params)


# --- the numbers chapters/04-feed-forward.md quotes --------------------------------------------------


def test_chapter_ffn_widths():
    """d_ff / d_model of the published configs the chapter names (llm_core.configs, from each config.json)."""
    from llm_core.configs import CONFIGS

    ratio = {key: CONFIGS[key].d_ff / CONFIGS[key].d_model for key in CONFIGS if not key.startswith("gpt2")}

    def eight_thirds(d_model):  # 8/3 d_model, rounded up to a multiple of 256
        return math.ceil(8 * d_model / 3 / 256) * 256

    assert CONFIGS["llama-2-7b"].d_ff == 11_008 == eight_thirds(4096)
    assert CONFIGS["llama-2-13b"].d_ff == eight_thirds(5120)
    assert round(ratio["llama-2-7b"], 2) == 2.69
    assert {k: ratio[k] for k in ("llama-2-70b", "llama-3-8b", "llama-3-70b", "mistral-7b")} == dict.fromkeys(
        ("llama-2-70b", "llama-3-8b", "llama-3-70b", "mistral-7b"), 3.5
    )
    assert CONFIGS["llama-3-8b"].d_ff == 14_336 and CONFIGS["llama-3-8b"].d_model == 4_096
    assert (ratio["llama-3.1-405b"], ratio["llama-3.2-1b"], round(ratio["qwen2.5-7b"], 1)) == (3.25, 4.0, 5.3)
    assert (CONFIGS["qwen2.5-7b"].d_ff, CONFIGS["qwen2.5-7b"].d_model) == (18_944, 3_584)
    tiny = tiny_model().cfg
    assert (tiny.d_model, tiny.d_ff, 3 * tiny.d_model * tiny.d_ff) == (128, 384, 147_456)
