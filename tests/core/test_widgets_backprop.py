"""The backpropagation chapter's widget, computed in CPython: backprop_step.

Checked against llm_core.backprop itself: the weights at step k are k calls of train_step from
init_mlp's weights; every gradient in the table equals gradient_check's finite differences within 1e-6;
the chain-rule product equals the backprop gradient on its edge; every update is w - lr * grad; the loss
falls for a small learning rate; plus clamping and the bad-input messages.
"""

import numpy as np
import pytest

from llm_core.backprop import gradient_check, init_mlp, mlp_forward, mse_loss, train_step
from widget_loader import load_widget, run as run_widget


backprop_step = load_widget("backprop_step")


def run(**params):  # this file's one widget
    return run_widget(backprop_step, **params)


def reference(seed=0, x1=1.0, x2=-0.5, target=0.9, lr=0.5, step=3):  # -> params at `step`, x, t
    params = init_mlp(2, 3, 1, np.random.default_rng(seed))
    x, t = np.array([[x1, x2]]), np.array([[target]])
    for _ in range(step):
        params, _, _, _ = train_step(params, x, t, lr)
    return params, x, t


def flat(params):  # -> the 13 parameters in the widget's table order
    return np.concatenate([params["w1"].ravel(), params["b1"], params["w2"].ravel(), params["b2"]])


def test_needs_no_data_files():
    assert backprop_step.DATA == []


@pytest.mark.parametrize(
    "settings", [{}, {"step": 0}, {"seed": 5, "x1": -1.3, "x2": 2, "target": 0.2, "lr": 3, "step": 17}]
)
def test_table_is_the_reference_training_run(settings):
    r = run(**settings)
    params, x, t = reference(**settings)
    lr = r["params"]["lr"]
    np.testing.assert_allclose([row["w"] for row in r["rows"]], flat(params), rtol=1e-12)
    report = gradient_check(params, x, t)
    analytic = flat({k: v["analytic"] for k, v in report.items()})
    np.testing.assert_allclose([row["grad"] for row in r["rows"]], analytic, rtol=1e-12, atol=1e-15)
    for row in r["rows"]:
        assert row["change"] == -lr * row["grad"] and row["new"] == row["w"] - lr * row["grad"]
    assert r["loss"] == pytest.approx(mse_loss(mlp_forward(params, x)[0], t), rel=1e-12)
    after, _, _, _ = train_step(params, x, t, lr)
    assert r["loss_next"] == pytest.approx(mse_loss(mlp_forward(after, x)[0], t), rel=1e-12)


@pytest.mark.parametrize("step", [0, 1, 3, 20, 50])
@pytest.mark.parametrize("settings", [{}, {"seed": 11, "x1": 2, "x2": 2, "target": 0.05, "lr": 10}])
def test_gradients_equal_finite_differences(step, settings):
    r = run(check=True, step=step, **settings)
    params, x, t = reference(step=step, **settings)
    numerical = flat({k: v["numerical"] for k, v in gradient_check(params, x, t).items()})
    grads = np.array([row["grad"] for row in r["rows"]])
    shown = np.array([row["numerical"] for row in r["rows"]])
    np.testing.assert_allclose(grads, numerical, atol=1e-6, rtol=0)
    np.testing.assert_allclose(shown, numerical, atol=1e-12, rtol=0)
    assert r["check"]["bound"] == 1e-9 and r["check"]["n_params"] == 13  # what the chapter says
    assert all(len(row["text"]) == 5 for row in r["rows"])


def test_without_the_check_there_is_no_finite_difference_column():
    r = run()
    assert r["check"] is None and all("numerical" not in row and len(row["text"]) == 4 for row in r["rows"])


@pytest.mark.parametrize("settings", [{}, {"step": 0}, {"seed": 3, "x1": -2, "x2": 0.7, "target": 0.3, "step": 9}])
def test_chain_rule_product_is_the_gradient_on_its_edge(settings):
    r = run(**settings)
    c = r["chain"]
    assert c["product"] == pytest.approx(c["grad"], rel=1e-12, abs=1e-18)
    assert c["grad"] == r["rows"][0]["grad"] and r["rows"][0]["label"] == "x₁→h₁"
    assert [f["expr"] for f in c["factors"]] == backprop_step.CHAIN_EXPRESSIONS
    y, target = r["y"], r["params"]["target"]
    assert c["factors"][0]["value"] == pytest.approx(2 * (y - target))
    assert c["factors"][-1]["value"] == r["params"]["x1"]


@pytest.mark.parametrize("seed", [0, 1, 2, 42])
def test_loss_decreases_for_a_small_learning_rate(seed):
    r = run(seed=seed, lr=0.1, step=50)
    losses = r["losses"]
    assert len(losses) == 51 and all(b < a for a, b in zip(losses, losses[1:]))
    assert r["loss_next"] < r["loss"]


def test_numbers_quoted_in_the_chapter():
    r0 = run(step=0)
    assert (r0["y_text"], r0["loss_text"], r0["loss_next_text"]) == ("0.491", "0.167", "0.106")
    assert [f["text"] for f in r0["chain"]["factors"]] == ["−0.818", "0.250", "0.753", "0.997", "1.000"]
    assert r0["chain"]["product_text"] == "−0.154"
    assert r0["rows"][0]["text"] == ["0.089", "−0.154", "0.077", "0.166"]
    assert r0["graph"]["nodes"][2]["below"] == "∂L/∂h₁ = −0.154"
    assert run()["loss_text"] == "0.049"
    r50 = run(step=50)
    assert (r50["loss_text"], r50["y_text"]) == ("2.2e−4", "0.885")
    assert run(lr=0.05, step=50)["loss_text"] == "0.030"


def test_plot_and_graph_fit_their_boxes():
    r = run(step=50)
    a = r["plot"]
    assert len(a["points"]) == 51 and a["marker"] == a["points"][-1]
    for x, y in a["points"]:
        assert a["left"] <= x <= a["right"] and a["top"] <= y <= a["bottom"]
    g = r["graph"]
    assert len(g["nodes"]) == 7 and len([e for e in g["edges"] if e["w"]]) == 9
    for n in g["nodes"]:
        assert g["r"] <= n["x"] <= g["width"] - g["r"] and g["r"] <= n["y"] <= g["height"] - g["r"]
        assert n["name_y"] < n["y"] < n["value_y"] < n["below_y"] <= g["height"]  # name above, gradient below
    # the polyline the view draws is the plot's points, as JavaScript prints numbers (46, not 46.0)
    assert [[float(v) for v in pair.split(",")] for pair in a["polyline"].split(" ")] == a["points"]
    assert a["polyline"].startswith("46,") and ".0," not in a["polyline"]


def test_slider_readouts_and_the_last_step():
    r = run(x2=-0.5, target=0.9, lr=0.5, step=3)
    assert r["shown"] == {"seed": "0", "x1": "1.0", "x2": "−0.5", "target": "0.90", "lr": "0.50", "step": "3"}
    assert not r["last_step"] and run(step=50)["last_step"] and run(step=99)["last_step"]


@pytest.mark.parametrize(
    "value, expected",
    [
        (-3, "−3.000"),
        (0.0, "0"),
        (-1e-20, "0"),
        (0.012345, "0.012"),
        (-0.0051, "−0.0051"),
        (0.00022, "2.2e−4"),
        (-1.5e-12, "−1.5e−12"),
    ],
)
def test_number_format(value, expected):
    assert backprop_step.num(value) == expected


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"seed": -1}, "seed", 0),
        ({"seed": 1000}, "seed", 99),
        ({"x1": 9}, "x1", 2.0),
        ({"x2": "-7"}, "x2", -2.0),
        ({"target": 0}, "target", 0.05),
        ({"target": 1}, "target", 0.95),
        ({"lr": 0}, "lr", 0.05),
        ({"lr": 1e9}, "lr", 10.0),
        ({"step": -5}, "step", 0),
        ({"step": 999}, "step", 50),
        ({"check": "true"}, "check", True),
    ],
)
def test_extreme_values_are_clamped(params, key, expected):
    r = run(**params)
    assert r["params"][key] == expected
    assert all(np.isfinite([row["w"] for row in r["rows"]]))


@pytest.mark.parametrize(
    "params, word",
    [
        ({"seed": "abc"}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"x1": ""}, "x1"),
        ({"x2": None}, "x2"),
        ({"target": float("nan")}, "target"),
        ({"lr": float("inf")}, "lr"),
        ({"step": [3]}, "step"),
        ({"check": "maybe"}, "check"),
        ({"lr": True}, "lr"),
    ],
)
def test_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        backprop_step.compute(params)
