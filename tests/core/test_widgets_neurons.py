"""The neurons chapter's widgets, computed in CPython: neuron, activation_explorer and linear_collapse.

Checked against hand-worked sums, the scalar definitions of each activation (math module), central finite
differences for the slopes, and a naive loop for the two layers; plus limits, clamping and bad input.
"""

import math

import numpy as np
import pytest
from widget_loader import load_widget, run


neuron = load_widget("neuron")
activation_explorer = load_widget("activation_explorer")
linear_collapse = load_widget("linear_collapse")

SCALAR = {  # straight from the definitions, one value at a time
    "relu": lambda z: max(z, 0.0),
    "gelu": lambda z: z * 0.5 * (1 + math.erf(z / math.sqrt(2))),
    "silu": lambda z: z / (1 + math.exp(-z)),
    "tanh": math.tanh,
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
    "identity": lambda z: z,
}


# neuron

def test_default_neuron_by_hand():
    r = run(neuron)
    assert [row["product"] for row in r["rows"]] == pytest.approx([1.2, -0.35, -0.48], abs=1e-12)
    assert r["z"] == pytest.approx(0.57, abs=1e-12) and r["y"] == pytest.approx(0.57, abs=1e-12)


@pytest.mark.parametrize("activation", sorted(SCALAR))
@pytest.mark.parametrize("values", [(0.3, -1.2, 2.0, 1.1, 0.4, -2.0, 0.5), (-2, -2, -2, 2, 2, 2, -2)])
def test_neuron_matches_the_definition(activation, values):
    x1, x2, x3, w1, w2, w3, bias = values
    r = run(neuron, x1=x1, x2=x2, x3=x3, w1=w1, w2=w2, w3=w3, bias=bias, activation=activation)
    z = w1 * x1 + w2 * x2 + w3 * x3 + bias
    assert r["z"] == pytest.approx(z, abs=1e-12)
    assert r["y"] == pytest.approx(SCALAR[activation](z), abs=1e-12)
    assert r["sum"] == pytest.approx(z - bias, abs=1e-12)


def test_neuron_bars_share_one_scale():
    r = run(neuron, x1=2, w1=2)  # product 4: the widest bar
    assert r["span"] == pytest.approx(4.0)
    assert r["rows"][0]["bar"] == {"left": 50.0, "width": pytest.approx(50.0)}
    negative = r["rows"][2]["bar"]  # x3 1.2 * w3 -0.4 = -0.48
    assert negative["left"] + negative["width"] == pytest.approx(50.0)


def test_relu_silences_a_negative_sum():
    r = run(neuron, bias=-1)
    assert r["z"] == pytest.approx(-0.63, abs=1e-12) and r["y"] == 0.0


@pytest.mark.parametrize("params, key, expected", [
    ({"x1": 9}, "x1", 2.0), ({"w2": -9}, "w2", -2.0), ({"bias": "1.5"}, "bias", 1.5),
])
def test_neuron_values_are_clamped(params, key, expected):
    assert run(neuron, **params)["params"][key] == expected


@pytest.mark.parametrize("params", [{"x1": ""}, {"x1": "nan"}, {"activation": "swish"}, {"bias": None}])
def test_neuron_bad_values_raise_plain_errors(params):
    with pytest.raises(ValueError):
        neuron.compute(params)


# activation_explorer

@pytest.mark.parametrize("x", [-4.0, -1.0, -0.3, 0.7, 2.5, 4.0])
def test_values_and_slopes_match_definitions_and_finite_differences(x):
    r = run(activation_explorer, x=x, relu=True, gelu=True, silu=True, tanh=True, sigmoid=True)
    assert [c["key"] for c in r["curves"]] == ["relu", "gelu", "silu", "tanh", "sigmoid"]
    h = 1e-6
    for c in r["curves"]:
        f = SCALAR[c["key"]]
        assert c["value"] == pytest.approx(f(x), abs=1e-12)
        assert c["slope"] == pytest.approx((f(x + h) - f(x - h)) / (2 * h), abs=1e-6)


def test_the_curve_passes_through_its_marker_and_the_tangent_through_both():
    r = run(activation_explorer, x=1.0)
    for c in r["curves"]:
        xs = [p[0] for p in c["points"]]
        i = xs.index(min(xs, key=lambda v: abs(v - c["marker"][0])))
        assert c["points"][i] == pytest.approx(c["marker"])  # x = 1 is one of the samples
        (x0, y0), (x1, y1) = c["tangent"]
        assert (y0 + y1) / 2 == pytest.approx(c["marker"][1]) and (x0 + x1) / 2 == pytest.approx(c["marker"][0])


def test_default_numbers_in_the_chapter():
    r = run(activation_explorer)
    got = {c["key"]: (round(c["value"], 3), round(c["slope"], 3)) for c in r["curves"]}
    assert got == {"relu": (0.0, 0.0), "gelu": (-0.159, -0.083), "silu": (-0.269, 0.072)}


def test_nothing_ticked_gives_a_message():
    r = run(activation_explorer, relu=False, gelu=False, silu=False)
    assert r["curves"] == [] and r["message"]


@pytest.mark.parametrize("params, expected", [({"x": 99}, 4.0), ({"x": -99}, -4.0), ({"x": "0.5"}, 0.5)])
def test_x_is_clamped(params, expected):
    assert run(activation_explorer, **params)["x"] == expected


@pytest.mark.parametrize("params", [{"x": ""}, {"relu": "maybe"}, {"x": "inf"}])
def test_explorer_bad_values_raise_plain_errors(params):
    with pytest.raises(ValueError):
        activation_explorer.compute(params)


# linear_collapse

@pytest.mark.parametrize("seed", [0, 5, 42, 9999])
def test_linear_layers_collapse_to_float_precision(seed):
    r = run(linear_collapse, seed=seed, between="identity")
    m = r["matrices"]
    w1, b1, w2, b2 = (np.array(m[k]) for k in ("W1", "b1", "W2", "b2"))
    assert np.allclose(np.array(m["W"]), w2 @ w1) and np.allclose(np.array(m["b"]), w2 @ b1 + b2)
    for p in r["points"]:
        x = np.array(p["x"])
        naive = [sum(w2[o, h] * (sum(w1[h, i] * x[i] for i in range(2)) + b1[h, 0]) for h in range(3)) + b2[o, 0]
                 for o in range(2)]
        assert p["stacked"] == pytest.approx(naive, abs=1e-12) and p["single"] == pytest.approx(naive, abs=1e-12)
    assert r["linear"] and r["max_diff"] < 1e-12


@pytest.mark.parametrize("between", ["relu", "tanh"])
def test_a_nonlinearity_breaks_the_collapse(between):
    r = run(linear_collapse, between=between)
    assert not r["linear"] and r["max_diff"] > 0.5
    assert r["max_diff"] == max(p["diff"] for p in r["points"])


def test_same_seed_same_layers():
    assert run(linear_collapse, seed=3) == run(linear_collapse, seed=3)
    assert run(linear_collapse, seed=3)["matrices"] != run(linear_collapse, seed=4)["matrices"]


def test_points_fit_the_plot():
    for between in ("identity", "relu", "tanh"):
        r = run(linear_collapse, between=between)
        for p in r["points"]:
            for x, y in (p["at_stacked"], p["at_single"]):
                assert 0 <= x <= r["width"] and 0 <= y <= r["height"]


@pytest.mark.parametrize("params, expected", [({"seed": -4}, 0), ({"seed": 10**9}, 9999), ({"seed": "12"}, 12)])
def test_seed_is_clamped(params, expected):
    assert run(linear_collapse, **params)["params"]["seed"] == expected


@pytest.mark.parametrize("params", [{"seed": ""}, {"seed": 1.5}, {"between": "gelu"}])
def test_collapse_bad_values_raise_plain_errors(params):
    with pytest.raises(ValueError):
        linear_collapse.compute(params)
