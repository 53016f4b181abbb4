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
from widget_loader import load_widget, run


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


def test_dense_layer_weights_are_seeded_toy_numbers():
    a, b, c = run(dense_layer, seed=3), run(dense_layer, seed=3), run(dense_layer, seed=4)
    assert a["w"] == b["w"] and a["b"] == b["b"] and a["w"] != c["w"]
    for value in [v for row in a["w"] for v in row] + a["b"]:
        assert round(value, 1) == value  # one decimal, readable by hand


def test_dense_layer_relu_zeroes_the_negative_default_output():
    none, relu = run(dense_layer), run(dense_layer, activation="relu")
    assert none["outputs"][0]["y"] == pytest.approx(-1.60)
    assert relu["outputs"][0]["h"] == 0.0 and relu["outputs"][3]["h"] == pytest.approx(3.50)


@pytest.mark.parametrize("params, key, expected", [
    ({"x0": 9}, "x0", 2.0), ({"x1": -9}, "x1", -2.0), ({"x2": "0.5"}, "x2", 0.5),
    ({"seed": -4}, "seed", 0), ({"seed": 10**9}, "seed", dense_layer.MAX_SEED),
])
def test_dense_layer_clamps(params, key, expected):
    assert run(dense_layer, **params)["params"][key] == expected


@pytest.mark.parametrize("params, word", [
    ({"x0": "abc"}, "x0"), ({"x1": float("nan")}, "x1"), ({"x2": None}, "x2"), ({"seed": 1.5}, "seed"),
    ({"seed": ""}, "seed"), ({"activation": "tanh"}, "activation"),
])
def test_dense_layer_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        dense_layer.compute(params)


# --- swiglu_ffn --------------------------------------------------------------------------------------

def traced(prompt: str):
    tiny = swiglu_ffn.model()
    ids, _ = swiglu_ffn.read_ids(prompt)
    return tiny, ids, tiny.forward(ids, trace=True)[1]


@pytest.mark.parametrize("params", [{}, *swiglu_ffn.EXAMPLES, {"layer": 5, "position": 0}])
def test_swiglu_ffn_equals_llm_core_swiglu_on_the_traced_input(params):
    r = run(swiglu_ffn, **params)
    p = r["params"]
    tiny, ids, trace = traced(p["prompt"])
    layer, pos = p["layer"], p["position"]
    w = {k: tiny.weights[f"layers.{layer}.{k}"] for k in ("ffn_norm", "w_gate", "w_up", "w_down")}
    residual = trace["residual"][2 * layer + 1][pos]
    x = rms_norm(residual[None, :], w["ffn_norm"], tiny.cfg.norm_eps)
    out, ref = swiglu(x, w["w_gate"], w["w_up"], w["w_down"])
    # the widget's FFN is the model's own: the trace holds the same activations for this token
    for key in ("gate", "up", "hidden"):
        np.testing.assert_allclose(ref[key][0], trace["layers"][layer]["ffn"][key][pos], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(residual + out[0], trace["residual"][2 * layer + 2][pos], rtol=1e-5, atol=1e-5)

    strips = {s["key"]: s for s in r["strips"]}
    expected = {"gate": ref["gate"][0], "silu": silu(ref["gate"][0]), "up": ref["up"][0], "hidden": ref["hidden"][0]}
    for key, values in expected.items():
        scale = float(np.abs(values).max())
        assert len(strips[key]["values"]) == tiny.cfg.d_ff == 384
        assert strips[key]["max"] == pytest.approx(scale, rel=1e-6)
        np.testing.assert_allclose(strips[key]["values"], values, atol=swiglu_ffn.SNAP * scale)
    hidden = ref["hidden"][0]
    top = np.argsort(-np.abs(hidden))[:10]
    assert [n["index"] for n in r["neurons"]] == top.tolist()
    for n in r["neurons"]:
        k = n["index"]
        assert n["value"] == pytest.approx(float(hidden[k]), rel=1e-6)
        assert n["value"] == pytest.approx(n["silu"] * n["up"], rel=1e-5)
        assert n["write"] == pytest.approx(abs(hidden[k]) * float(np.linalg.norm(w["w_down"][k])), rel=1e-5)
    assert r["out_norm"] == pytest.approx(float(np.linalg.norm(out)), rel=1e-5)
    assert r["residual_norm"] == pytest.approx(float(np.linalg.norm(residual)), rel=1e-6)
    assert r["ratio"] == pytest.approx(r["out_norm"] / r["residual_norm"], rel=1e-6)
    assert r["n_gate_negative"] == int((ref["gate"][0] < 0).sum())
    assert r["token"]["id"] == ids[pos] and r["n_tokens"] == len(ids)


def test_swiglu_ffn_position_is_clamped_to_the_prompt():
    r = run(swiglu_ffn, prompt="I ask the Congress to", position=63)
    assert r["params"]["position"] == r["n_tokens"] - 1 == 4
    assert run(swiglu_ffn, layer=99)["params"]["layer"] == 5
    assert run(swiglu_ffn, layer=-1, position=-5)["params"] | {"prompt": ""} == {"prompt": "", "layer": 0,
                                                                                  "position": 0}


def test_swiglu_ffn_empty_and_long_prompts():
    empty = run(swiglu_ffn, prompt="")
    assert "empty" in empty["note"] and empty["n_tokens"] == 1
    long = run(swiglu_ffn, prompt="the Union " * 400, position=63)
    assert long["n_tokens"] == swiglu_ffn.MAX_TOKENS and "last 64" in long["note"]
    huge = run(swiglu_ffn, prompt="x" * 1_000_000)
    assert "characters" in huge["note"]


@pytest.mark.parametrize("text", ["👍🏽 e\u0301 \ud800 \x00\x1b مرحبا", "\n\n\t"])
def test_swiglu_ffn_awkward_text(text):
    run(swiglu_ffn, prompt=text, position=3)


@pytest.mark.parametrize("params, word", [
    ({"prompt": None}, "prompt"), ({"prompt": 42}, "prompt"), ({"layer": "deep"}, "layer"),
    ({"layer": 2.5}, "layer"), ({"position": float("inf")}, "position"), ({"position": [1]}, "position"),
])
def test_swiglu_ffn_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        swiglu_ffn.compute(params)
