"""The optimizers chapter's widget, computed in CPython: optimizer_race.

Every trajectory is checked against a naive loop of the three update rules written out here (SGD,
heavy-ball momentum, Adam with bias correction); a large learning rate must be reported as divergence;
the contour lines must lie on their levels (exactly, for a linear function); plus the numbers the
chapter quotes, clamping and the bad-input messages.
"""

import numpy as np
import pytest

from llm_core.optimizers import SURFACES
from widget_loader import load_widget, run as run_widget


race = load_widget("optimizer_race")


def run(**params):  # this file's one widget
    return run_widget(race, **params)


def naive(surface, start, method, lr, steps, beta=0.9, beta1=0.9, beta2=0.999, eps=1e-8, far=1000.0):
    """The update rules, one line each, and the same stopping rule as the widget."""
    x = np.array(start, dtype=np.float64)
    v, m, s = np.zeros(2), np.zeros(2), np.zeros(2)
    path = [x]
    for t in range(1, steps + 1):
        g = surface.grad(x)
        if method == "sgd":
            x = x - lr * g
        elif method == "momentum":
            v = beta * v + g
            x = x - lr * v
        else:
            m = beta1 * m + (1 - beta1) * g
            s = beta2 * s + (1 - beta2) * g * g
            x = x - lr * (m / (1 - beta1**t)) / (np.sqrt(s / (1 - beta2**t)) + eps)
        with np.errstate(over="ignore", invalid="ignore"):
            if not (np.all(np.isfinite(x)) and np.isfinite(surface.f(x))) or np.hypot(*x) > far:
                break
        path.append(x)
    return np.array(path)


def test_needs_no_data_files():
    assert race.DATA == []


SETTINGS = [
    {},
    {"lr_exp": -1.05},
    {"lr_exp": 0.5},
    {"beta": 0.5, "beta1": 0.5, "beta2": 0.95},
    *race.EXAMPLES,
    {"surface": "rosenbrock", "x0": -1.5, "y0": 2, "lr_exp": -2.5, "steps": 100},
    {"surface": "himmelblau", "x0": -1, "y0": 4, "lr_exp": -1.6, "steps": 100, "beta": 0.99},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
def test_trajectories_equal_a_naive_loop_of_the_update_rules(settings):
    r = run(**settings)
    p = r["params"]
    surface = SURFACES[p["surface"]]
    for entry in r["runs"]:
        expected = naive(
            surface,
            (p["x0"], p["y0"]),
            entry["method"],
            r["lr"],
            p["steps"],
            beta=p["beta"],
            beta1=p["beta1"],
            beta2=p["beta2"],
        )
        path = np.array(entry["path"])
        assert path.shape == expected.shape, entry["method"]
        np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-15)
        assert entry["final_loss"] == pytest.approx(float(surface.f(expected[-1])), rel=1e-12, abs=1e-15)
        assert entry["n_steps"] == len(path) - 1
        assert entry["diverged"] == (len(path) < p["steps"] + 1)
        np.testing.assert_allclose(entry["points"], race.to_svg(p["surface"], path), atol=0.006)


@pytest.mark.parametrize("surface, lr_exp", [("valley", 0.0), ("valley", 0.5), ("rosenbrock", -2.5), ("bowl", 0.5)])
def test_a_large_learning_rate_is_reported_as_divergence(surface, lr_exp):
    start = SURFACES[surface].start
    r = run(surface=surface, x0=start[0], y0=start[1], lr_exp=lr_exp, steps=100)
    sgd = r["runs"][0]
    assert sgd["diverged"] and sgd["n_steps"] < 100
    assert any(m.startswith("SGD diverged: after") and "Lower the learning rate" in m for m in r["messages"])
    assert all(np.hypot(*xy) <= race.DIVERGE_AT for xy in sgd["path"])  # the runaway step itself is not kept


def test_sgd_stability_limit_on_the_valley():
    # curvature 25 across the valley: SGD is stable below lr = 2/25 = 0.08 and diverges above it
    below, above = run(lr_exp=-1.1, steps=100), run(lr_exp=-1.05, steps=100)
    assert below["lr"] < 0.08 < above["lr"]
    assert not below["runs"][0]["diverged"] and above["runs"][0]["diverged"]
    assert below["messages"] == []


def test_momentum_with_beta_zero_is_sgd():
    r = run(beta=0)
    assert r["runs"][0]["path"] == r["runs"][1]["path"]


def test_numbers_quoted_in_the_chapter():
    def finals(r):
        return [x["final_text"] for x in r["runs"]]

    d = run()
    assert d["lr_text"] == "0.0794" and finals(d) == ["3.00", "0.127", "0.318"]
    assert d["runs"][0]["end_text"] == "(−0.0638, 0.490)" and d["start_text"] == "20.5"
    notch = run(lr_exp=-1.05)
    assert notch["lr_text"] == "0.0891" and notch["runs"][0]["diverged"] and notch["runs"][0]["n_steps"] == 33
    assert finals(run(beta=0))[:2] == ["3.00", "3.00"] and finals(run(beta=0.5))[1] == "4.0e−10"
    one = run(lr_exp=0)
    assert [x["n_steps"] for x in one["runs"][:2]] == [2, 2] and all(x["diverged"] for x in one["runs"][:2])
    assert finals(one)[2] == "0.0132"
    slow = run(lr_exp=-2)
    assert finals(slow)[1:] == ["0.0565", "9.75"]


def test_marching_squares_is_exact_for_a_linear_function():
    xs, ys = np.linspace(-1, 1, 9), np.linspace(-2, 2, 7)
    values = xs[None, :] + 0.5 * ys[:, None]  # [ny, nx]
    for level in (-0.7, 0.0, 0.33):
        segments = race.marching_squares(values, xs, ys, level)
        assert len(segments) > 0
        ends = segments.reshape(-1, 2)
        np.testing.assert_allclose(ends[:, 0] + 0.5 * ends[:, 1], level, atol=1e-12)


@pytest.mark.parametrize("level", [0.3, 0.7654321, 1.2345678])  # levels that no grid value hits exactly (a grid
def test_bowl_contours_are_circles_and_closed(level):  # point on the level would be a vertex of 4 segments)
    xs = ys = np.linspace(-2, 2, 41)
    values = 0.5 * (xs[None, :] ** 2 + ys[:, None] ** 2)
    segments = race.marching_squares(values, xs, ys, level)
    radius = np.hypot(segments[..., 0], segments[..., 1])
    np.testing.assert_allclose(radius, np.sqrt(2 * level), atol=0.01)  # linear interpolation on a 0.1 grid
    ends, counts = np.unique(np.round(segments.reshape(-1, 2), 9), axis=0, return_counts=True)
    assert np.all(counts == 2)  # every endpoint is shared by two segments: one closed loop


def test_saddle_cells_with_four_crossings_give_two_segments():
    xs, ys = np.array([0.0, 1.0]), np.array([0.0, 1.0])
    values = np.array([[1.0, -1.0], [-1.0, 1.0]])  # opposite corners above the level
    assert race.marching_squares(values, xs, ys, 0.0).shape == (2, 2, 2)
    assert race.marching_squares(values, xs, ys, 0.5).shape == (2, 2, 2)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_every_surface_draws_inside_its_view(name):
    start = SURFACES[name].start
    r = run(surface=name, x0=start[0], y0=start[1])
    v = r["view"]
    assert len(r["contours"]) == len(race.LEVELS[name]) and all(c["d"].startswith("M") for c in r["contours"])
    assert v["left"] <= r["start"][0] <= v["right"] and v["top"] <= r["start"][1] <= v["bottom"]
    for x, y in r["minima"]:
        assert v["left"] <= x <= v["right"] and v["top"] <= y <= v["bottom"]
    assert r["starts"][name] == list(start)
    a = v["area"]  # the clip area is the plot box; an x marks each minimum, centred on it
    assert (a["x"], a["y"], a["x"] + a["width"], a["y"] + a["height"]) == (v["left"], v["top"], v["right"], v["bottom"])
    assert len(r["minima_d"]) == len(r["minima"])
    for (x, y), d in zip(r["minima"], r["minima_d"]):
        mx, my = d[1:].split("l")[0].split(" ")
        assert (float(mx), float(my)) == pytest.approx((x - 5, y - 5))
    assert [t["text_y"] for t in v["y"]] == [t["at"] + 4 for t in v["y"]]


def test_readouts_are_the_sliders_values_as_shown():
    r = run(surface="saddle", x0=1.5, y0=-0.04, lr_exp=-1, steps=1, beta=0.5, beta1=0.9, beta2=0.999)
    assert r["shown"] == {
        "x0": "1.5",
        "y0": "0.0",
        "lr_exp": "0.100",
        "steps": "1",
        "beta": "0.50",
        "beta1": "0.90",
        "beta2": "0.9990",
    }
    assert r["steps_text"] == "1 step" and run(steps=50)["steps_text"] == "50 steps"
    assert run(lr_exp=0.5)["shown"]["lr_exp"] == "3.16" and run(lr_exp=-3)["shown"]["lr_exp"] == "0.00100"


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"x0": 9}, "x0", 5.0),
        ({"surface": "bowl", "x0": -5}, "x0", -2.0),
        ({"y0": 5}, "y0", 2.0),
        ({"lr_exp": -9}, "lr_exp", -3.0),
        ({"lr_exp": 4}, "lr_exp", 0.5),
        ({"steps": 10_000}, "steps", 100),
        ({"steps": -1}, "steps", 0),
        ({"beta": 1}, "beta", 0.99),
        ({"beta1": -1}, "beta1", 0.0),
        ({"beta2": 1}, "beta2", 0.9999),
        ({"beta2": 0}, "beta2", 0.9),
        ({"steps": "7"}, "steps", 7),
    ],
)
def test_extreme_values_are_clamped(params, key, expected):
    r = run(**params)
    assert r["params"][key] == expected
    assert all(np.all(np.isfinite(x["path"])) for x in r["runs"])


def test_zero_steps_is_just_the_start():
    r = run(steps=0)
    assert all(x["path"] == [[-4.0, 1.0]] and not x["diverged"] for x in r["runs"])


@pytest.mark.parametrize(
    "params, word",
    [
        ({"surface": "moon"}, "surface"),
        ({"surface": None}, "surface"),
        ({"x0": ""}, "x0"),
        ({"y0": "up"}, "y0"),
        ({"lr_exp": float("nan")}, "lr_exp"),
        ({"steps": 2.5}, "steps"),
        ({"beta": None}, "beta"),
        ({"beta1": float("inf")}, "beta1"),
        ({"beta2": [0.9]}, "beta2"),
        ({"steps": True}, "steps"),
    ],
)
def test_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        race.compute(params)


# -- the 3-D view (plotly) ------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, *race.EXAMPLES, {"surface": "bowl", "lr_exp": 0.5, "steps": 30}])
def test_the_3d_view_is_the_surface_and_the_paths_on_it(params):
    r = run_widget(race, **params)
    name = r["params"]["surface"]
    surface = SURFACES[name]
    surf, *paths = r["plot3d"]["traces"][:4]
    xs, ys = np.array(surf["x"]), np.array(surf["y"])
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    assert xs[0] == x_lo and xs[-1] == x_hi and ys[0] == y_lo and ys[-1] == y_hi
    naive = [[float(surface.f(np.array([x, y]))) for x in xs] for y in ys]  # z = f(x, y), point by point
    np.testing.assert_allclose(surf["z"], naive, rtol=1e-12)
    lift = 0.01 * (np.max(naive) - np.min(naive))
    for trace, run_ in zip(paths, r["runs"]):
        path = np.array(run_["path"])
        inside = [(x_lo <= x <= x_hi and y_lo <= y <= y_hi) for x, y in path]
        n = inside.index(False) if False in inside else len(path)  # drawn until it first leaves the view
        assert trace["name"] == run_["label"] and len(trace["x"]) == n
        np.testing.assert_allclose(np.array([trace["x"], trace["y"]]).T, path[:n])
        np.testing.assert_allclose(trace["z"], [float(surface.f(p)) + lift for p in path[:n]], rtol=1e-12)
    assert r["plot3d"]["n_points"] == sum(len(t["x"]) for t in r["plot3d"]["traces"][1:]) + race.N_GRID**2


def test_the_table_lists_the_plotted_values():
    r = run_widget(race, steps=50)
    rows = r["table"]["path_rows"]
    assert [row["step"] for row in rows] == [str(s) for s in range(0, 51, 5)]
    sgd = np.array(r["runs"][0]["path"])
    loss = float(SURFACES["valley"].f(sgd[5]))
    assert rows[1]["cells"][:2] == [f"({race.num(sgd[5, 0])}, {race.num(sgd[5, 1])})", race.num(loss)]
    assert len(r["table"]["grid_rows"]) == len(r["table"]["grid_x"]) == race.N_TABLE
