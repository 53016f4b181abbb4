"""The scaling-laws chapter's widgets, computed in CPython: compute_optimal and scaling_map.

compute_optimal is checked against the closed forms by hand (N = sqrt(C / 120) for 20 tokens per
parameter, 6 N D = C, GPU-days = C / (peak x MFU x 86400)) and against a brute-force search of its own
IsoFLOP curve; scaling_map against the published numbers of each model and the fitted loss at that point;
plus clamping and the bad-input messages.
"""

import math

import numpy as np
import pytest

from llm_core.scaling import TRAINED_MODELS, chinchilla_loss, loss_at_budget
from widget_loader import load_widget, run
from widgetlib.fmt import fixed


compute_optimal = load_widget("compute_optimal")
scaling_map = load_widget("scaling_map")


@pytest.mark.parametrize("log10_flops", [15, 18.5, 22, 23.77, 26])
def test_compute_optimal_by_hand(log10_flops):
    r = run(compute_optimal, log10_flops=log10_flops, gpu="a100", utilization=0.5)
    c = 10.0**log10_flops
    assert r["flops"] == pytest.approx(c, rel=1e-12)
    for split in (r["fit"], r["rule"]):
        assert 6 * split["n_params"] * split["n_tokens"] == pytest.approx(c, rel=1e-12)
        assert split["loss"] == pytest.approx(chinchilla_loss(split["n_params"], split["n_tokens"]), rel=1e-14)
    assert r["rule"]["n_params"] == pytest.approx(math.sqrt(c / 120), rel=1e-12)
    assert r["rule"]["tokens_per_param"] == 20 and r["fit"]["label"] == "The fit’s optimum"
    # the fit's optimum is the bottom of its own IsoFLOP curve (brute force over 4 decades)
    n = np.logspace(math.log10(r["fit"]["n_params"]) - 2, math.log10(r["fit"]["n_params"]) + 2, 20001)
    assert n[np.argmin(loss_at_budget(n, c))] == pytest.approx(r["fit"]["n_params"], rel=2e-3)
    assert r["fit"]["loss"] <= r["rule"]["loss"] + 1e-12
    assert r["gpu_days"] == pytest.approx(c / (312e12 * 0.5 * 86400), rel=1e-12)


def test_compute_optimal_default_numbers_quoted_in_the_chapter():
    r = run(compute_optimal)
    assert r["gpu_time"] == "293 GPU-days" and r["gpus_for_30_days_text"] == "9.75"
    assert (r["fit"]["n_text"], r["fit"]["d_text"], round(r["fit"]["loss"], 3)) == ("5.16B", "323B", 2.139)
    assert (r["rule"]["n_text"], r["rule"]["d_text"], round(r["rule"]["loss"], 3)) == ("9.13B", "183B", 2.146)
    assert r["flops_text"] == {"mantissa": "1.00", "exponent": "22"}
    assert [(s["key"], s["tokens_per_param_text"], s["loss_text"]) for s in (r["fit"], r["rule"])] == [
        (1, fixed(r["fit"]["tokens_per_param"], 1), "2.139"),
        (2, "20.0", "2.146"),
    ]
    assert r["gpu"]["tflops_text"] == "989" and "lowest loss, 2.139 nats, is at N = 5.16B" in r["aria_label"]


def test_compute_optimal_plot_marks_the_valley():
    r = run(compute_optimal)
    a = r["plot"]
    ys = [y for _, y in a["curve"]]
    xs = [x for x, _ in a["curve"]]
    assert xs == sorted(xs) and xs[0] == a["left"] and xs[-1] == a["right"]
    assert a["optimum"][1] >= max(ys) - 0.01  # the lowest loss: SVG y grows downwards, so the largest y
    assert all(a["top"] - 0.01 <= y <= a["bottom"] + 0.01 for y in ys)
    assert [t["label"] for t in a["x"]] == ["1B", "10B", "100B"]
    assert a["rule"] is not None and a["rule_corner"] == [pytest.approx(v - 4.5) for v in a["rule"]]
    assert a["points"] == " ".join(f"{x:.2f},{y:.2f}" for x, y in a["curve"])
    assert all(t["text_y"] == pytest.approx(t["at"] + 4) for t in a["y"])


@pytest.mark.parametrize("value, expected", [(0, 15.0), (99, 26.0), ("20.5", 20.5), (14.999, 15.0)])
def test_compute_optimal_clamps(value, expected):
    assert run(compute_optimal, log10_flops=value)["params"]["log10_flops"] == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"log10_flops": ""}, "budget"),
        ({"log10_flops": float("nan")}, "budget"),
        ({"gpu": "tpu"}, "gpu"),
        ({"utilization": "lots"}, "utilization"),
    ],
)
def test_compute_optimal_rejects_bad_values(params, message):
    with pytest.raises(ValueError, match=message):
        compute_optimal.compute(params)


def test_scaling_map_models_are_the_published_numbers():
    r = run(scaling_map)
    assert [m["name"] for m in r["models"]] == [m.name for m in TRAINED_MODELS]
    by_name = {m["name"]: m for m in r["models"]}
    for m in TRAINED_MODELS:
        row = by_name[m.name]
        assert (row["n_params"], row["n_tokens"], row["source"], row["url"]) == (
            m.n_params,
            m.n_tokens,
            m.source,
            m.url,
        )
        assert row["tokens_per_param"] == pytest.approx(m.n_tokens / m.n_params)
        assert row["loss"] == pytest.approx(chinchilla_loss(m.n_params, m.n_tokens), rel=1e-14)
        assert row["flops"] == pytest.approx(6 * m.n_params * m.n_tokens)
    assert by_name["Chinchilla"]["kind"] == "about" and by_name["Chinchilla"]["tpp_text"] == "20"
    assert by_name["GPT-3"]["kind"] == by_name["Gopher"]["kind"] == "under"
    assert by_name["Llama 3 8B"]["kind"] == by_name["Llama 2 7B"]["kind"] == "over"
    assert by_name["Llama 3 8B"]["tpp_text"] == "1,875" and by_name["Glassbox tiny"]["tpp_text"] == "9.99"
    assert round(by_name["Glassbox tiny"]["loss"], 2) == 8.66


def test_scaling_map_contours_are_iso_loss():
    r = run(scaling_map)
    a = r["axes"]

    def back(x, y):  # SVG units -> (N, D)
        log_n = scaling_map.X_MIN + (x - a["left"]) / (a["right"] - a["left"]) * (scaling_map.X_MAX - scaling_map.X_MIN)
        log_d = scaling_map.Y_MAX - (y - a["top"]) / (a["bottom"] - a["top"]) * (scaling_map.Y_MAX - scaling_map.Y_MIN)
        return 10**log_n, 10**log_d

    assert [c["loss"] for c in r["contours"]] == scaling_map.CONTOURS
    for c in r["contours"]:
        for x, y in c["points"][::10]:
            assert chinchilla_loss(*back(x, y)) == pytest.approx(c["loss"], abs=0.02)  # 2-decimal SVG rounding
    for x, y in r["rule_line"]:
        n, d = back(x, y)
        assert d / n == pytest.approx(20, rel=0.01)


@pytest.mark.parametrize("n, d, kind", [(9, 12, "over"), (10.85, 12.15, "about"), (11, 11, "under")])
def test_scaling_map_your_model(n, d, kind):
    y = run(scaling_map, log10_params=n, log10_tokens=d)["yours"]
    assert y["kind"] == kind
    assert y["flops"] == pytest.approx(6 * 10**n * 10**d, rel=1e-12)
    assert y["ratio"] == pytest.approx(10 ** (d - n) / 20, rel=1e-12)
    assert y["best"]["loss"] <= y["rule"]["loss"] + 1e-12 and y["best"]["loss"] <= y["loss"] + 1e-12
    assert [y["loss_text"], y["best"]["loss_text"], y["rule"]["loss_text"]] == [
        fixed(y["loss"], 3),
        fixed(y["best"]["loss"], 3),
        fixed(y["rule"]["loss"], 3),
    ]
    x, top = y["at"][0], y["at"][1] - 7
    assert y["path"] == f"M{x:g},{top:.2f}".rstrip("0").rstrip(".") + " l7,7 l-7,7 l-7,-7 z"


def test_scaling_map_draws_python_text():
    r = run(scaling_map)
    for c in r["contours"]:
        assert c["points_text"] == " ".join(f"{x:.2f},{y:.2f}" for x, y in c["points"])
        assert c["label"]["text"] == f"{c['loss']:.1f}" and c["label"]["x"] == pytest.approx(c["label_at"][0] - 2)
    assert r["rule_points"].count(",") == len(r["rule_line"]) and r["frontier_points"].count(",") == len(r["frontier"])
    assert all(m["table_loss"] == fixed(m["loss"], 2) for m in r["models"])
    assert "the diamond at 1B parameters and 1T tokens" in r["aria_label"]
    corner = run(scaling_map, log10_params=12, log10_tokens=14)  # the IsoFLOP line leaves the map
    assert corner["iso_points"] is None and len(corner["iso"]) <= 1


@pytest.mark.parametrize(
    "params", [{"log10_params": -5, "log10_tokens": 99}, {"log10_params": "12", "log10_tokens": 7}]
)
def test_scaling_map_clamps(params):
    r = run(scaling_map, **params)
    assert 6 <= r["params"]["log10_params"] <= 12 and 7 <= r["params"]["log10_tokens"] <= 14


@pytest.mark.parametrize("value", ["", "many", None, float("inf")])
def test_scaling_map_rejects_bad_values(value):
    with pytest.raises(ValueError, match="must be"):
        scaling_map.compute({"log10_params": value})
