"""The neurons chapter's widgets, computed in CPython: neuron, activation_explorer and linear_collapse.

Checked against hand-worked sums, the scalar definitions of each activation (math module), central finite
differences for the slopes, and a naive loop for the two layers; plus limits, clamping and bad input.
"""

import math

import numpy as np
import pytest
from widget_loader import load_widget, run
from widgetlib.fmt import fixed, sci, svg_attrs, svg_points


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
    assert r["rows"][0]["bar"] == {
        "left": 50.0,
        "width": pytest.approx(50.0),
        "css": {"left": "50.0%", "width": "50.0%"},
    }
    negative = r["rows"][2]["bar"]  # x3 1.2 * w3 -0.4 = -0.48
    assert negative["left"] + negative["width"] == pytest.approx(50.0)
    assert negative["css"] == {"left": "44.0%", "width": "6.0%"}


def test_neuron_writes_what_the_view_shows():
    r = run(neuron, x2=-0.5, bias=-1.25, activation="silu")
    assert r["shown"]["x2"] == "−0.5" and r["shown"]["bias"] == fixed(-1.25, 1)
    assert [row["label"] for row in r["rows"]] == ["w1 × x1", "w2 × x2", "w3 × x3"]
    for row in r["rows"]:
        assert (row["x_text"], row["w_text"], row["product_text"]) == (
            fixed(row["x"], 2),
            fixed(row["w"], 2),
            fixed(row["product"], 2),
        )
    assert (r["bias_text"], r["z_text"], r["y_text"]) == (fixed(r["bias"], 2), fixed(r["z"], 2), fixed(r["y"], 2))
    assert r["formula"] == ("z = (1.50)(0.80) + (0.70)(−0.50) + (−0.40)(1.20) + (−1.25) = −0.88; SiLU of −0.88 = ")


def test_relu_silences_a_negative_sum():
    r = run(neuron, bias=-1)
    assert r["z"] == pytest.approx(-0.63, abs=1e-12) and r["y"] == 0.0


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"x1": 9}, "x1", 2.0),
        ({"w2": -9}, "w2", -2.0),
        ({"bias": "1.5"}, "bias", 1.5),
    ],
)
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


def test_the_explorer_writes_what_the_view_shows():
    r = run(activation_explorer, x=-2.5, tanh=True)
    assert r["x_text"] == "−2.5"
    for c in r["curves"]:
        assert c["points_attr"] == svg_points(c["points"]) and c["tangent_attr"] == svg_points(c["tangent"])
        assert c["marker_at"] == svg_attrs(cx=c["marker"][0], cy=c["marker"][1])
        assert (c["value_text"], c["slope_text"]) == (fixed(c["value"], 3), fixed(c["slope"], 3))
    a = r["axes"]
    assert [t["label"] for t in a["ticks"]] == ["−4", "−2", "0", "2", "4", "−1", "0", "1", "2", "3", "4"]
    assert a["zero_lines"][0] == svg_attrs(x1=a["left"], y1=a["zero_y"], x2=a["right"], y2=a["zero_y"])


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
        naive = [
            sum(w2[o, h] * (sum(w1[h, i] * x[i] for i in range(2)) + b1[h, 0]) for h in range(3)) + b2[o, 0]
            for o in range(2)
        ]
        assert p["stacked"] == pytest.approx(naive, abs=1e-12) and p["single"] == pytest.approx(naive, abs=1e-12)
    assert r["linear"] and r["max_diff"] < 1e-12


@pytest.mark.parametrize("between", ["relu", "tanh"])
def test_a_nonlinearity_breaks_the_collapse(between):
    r = run(linear_collapse, between=between)
    assert not r["linear"] and r["max_diff"] > 0.5
    assert r["max_diff"] == max(p["diff"] for p in r["points"])
    assert r["max_diff_text"] == fixed(r["max_diff"], 3)


def test_the_collapse_writes_what_the_view_shows():
    r = run(linear_collapse)
    # rounding-level differences (their digits differ from machine to machine) are written as a bound
    assert r["max_diff"] < linear_collapse.NOISE and r["max_diff_text"] == "under 1e−14"
    assert r["matrices_text"]["W"] == [[fixed(v, 3) for v in row] for row in r["matrices"]["W"]]
    relu = run(linear_collapse, between="relu")
    assert {p["texts"][3] for p in relu["points"] if p["diff"] >= 1e-14} == {
        sci(p["diff"], 1) for p in relu["points"] if p["diff"] >= 1e-14
    }
    assert linear_collapse.difference(3.3e-16) == "under 1e−14" and linear_collapse.difference(1.234) == "1.2e+00"
    for p in r["points"]:
        assert p["texts"][0] == f"({fixed(p['x'][0], 3)}, {fixed(p['x'][1], 3)})" and p["texts"][3] == "under 1e−14"
        assert p["dot"] == svg_attrs(cx=p["at_stacked"][0], cy=p["at_stacked"][1])
        assert p["gap"] == svg_attrs(
            x1=p["at_stacked"][0], y1=p["at_stacked"][1], x2=p["at_single"][0], y2=p["at_single"][1]
        )


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
