"""Optimizer race: SGD, momentum and Adam from the same start on the same 2-D loss surface.

A toy on purpose: a real model's loss surface has millions of dimensions; these have two, so the whole
surface fits on a contour plot and every step of every optimizer can be drawn. Each path is
`llm_core.optimizers.optimize` with the reader's learning rate, step count and betas; a run that flies
off stops early (`diverge_at`) and the widget says so in words. The contour lines are computed here
(marching squares over a grid of the surface's own loss function, `contour_paths`), once per surface,
and the view only draws them.

In the page the same runs are also drawn on the surface itself, in 3-D (`plot3d`: the loss z = f(x, y) on
the contour grid and each path at the loss of every step, as plotly's traces), which the reader turns and
zooms; the table under it lists the plotted values.
"""

import functools

import numpy as np

from llm_core.controls import as_choice, as_int, as_number
from llm_core.optimizers import SURFACES, optimize
from widgetlib.plot import layout_3d
from widgetlib.fmt import fixed

METHODS = [("sgd", "SGD"), ("momentum", "Momentum"), ("adam", "Adam")]
MAX_STEPS = 100  # 3 runs x 100 steps keeps an update well inside 50 ms in Pyodide
DIVERGE_AT = 1000.0  # |position| beyond this counts as flown off (the views span at most 10)
N_GRID = 41  # contour grid points per axis
# Contour levels per surface: plain numbers (not computed with exp/log, so CPython and Pyodide agree
# on which side of a level every grid value lies).
LEVELS = {
    "bowl": (0.05, 0.2, 0.5, 1.0, 1.5, 2.0, 3.0),
    "valley": (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 35.0, 50.0),
    "rosenbrock": (0.5, 2.0, 5.0, 15.0, 40.0, 100.0, 250.0, 500.0, 1000.0, 2000.0),
    "saddle": (-0.2, -0.1, 0.05, 0.25, 0.5, 1.0, 1.5, 2.0),
    "himmelblau": (1.0, 5.0, 15.0, 40.0, 80.0, 150.0, 250.0, 400.0, 600.0),
}
ABOUT = {
    "bowl": "A round bowl, (x² + y²)/2: every direction has the same curvature",
    "valley": "A long narrow valley, (x² + 25y²)/2: 25 times steeper across than along",
    "rosenbrock": "Rosenbrock’s curved valley with a flat floor; minimum at (1, 1)",
    "saddle": "A saddle point at (0, 0) between two minima at (0, ±1)",
    "himmelblau": "Himmelblau’s function: four minima, all with loss 0",
}
# Plot box in SVG user units; the height follows each surface's aspect ratio.
PLOT_W, LEFT, RIGHT, TOP, BOTTOM = 400, 30, 14, 8, 22

DEFAULTS = {
    "surface": "valley",
    "x0": -4.0,
    "y0": 1.0,
    "lr_exp": -1.1,
    "steps": 50,
    "beta": 0.9,
    "beta1": 0.9,
    "beta2": 0.999,
}
EXAMPLES = [
    {"surface": "rosenbrock", "x0": -1.5, "y0": 2.0, "lr_exp": -3, "steps": 100},
    {"surface": "bowl", "x0": 1.5, "y0": 1.5, "lr_exp": 0.3, "steps": 20},
    {"surface": "saddle", "x0": 1.5, "y0": 0.0, "lr_exp": "-1", "steps": "80", "beta": 0.5},
    {"surface": "himmelblau", "x0": 0, "y0": 0, "lr_exp": -2, "beta1": 0.5, "beta2": 0.95},
]
DATA: list[str] = []
LIBRARIES = ["plotly"]  # the page loads plotly.js for the 3-D view (build.py's LIBRARIES)
N_TABLE = 9  # the surface's loss in the table: a N_TABLE x N_TABLE sample of the grid
DASH = {"sgd": "solid", "momentum": "dash", "adam": "dot"}
CODE = [
    "llm_core.optimizers.optimize",
    "llm_core.optimizers.sgd_step",
    "llm_core.optimizers.momentum_step",
    "llm_core.optimizers.adam_step",
    "llm_core.optimizers.valley",
]


def num(v: float) -> str:
    """A loss or coordinate as the figure prints it: about 3 significant digits, true minus."""
    a = abs(v)
    if a < 5e-13:
        return "0"
    if a >= 100_000 or a < 0.001:
        mantissa, exponent = f"{v:.1e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
    else:
        text = f"{v:.0f}" if a >= 100 else f"{v:#.3g}"
    return text.replace("-", "−")


@functools.cache
def view(name):  # -> plot geometry for one surface
    (x_lo, x_hi), (y_lo, y_hi) = SURFACES[name].bounds
    plot_h = round(PLOT_W * (y_hi - y_lo) / (x_hi - x_lo))
    return {
        "x_lo": x_lo,
        "x_hi": x_hi,
        "y_lo": y_lo,
        "y_hi": y_hi,
        "left": LEFT,
        "top": TOP,
        "right": LEFT + PLOT_W,
        "bottom": TOP + plot_h,
        "width": LEFT + PLOT_W + RIGHT,
        "height": TOP + plot_h + BOTTOM,
    }


def to_svg(name, points):  # [n, 2] in surface units -> [n, 2] in SVG units (y grows downwards)
    v = view(name)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    sx = v["left"] + (points[:, 0] - v["x_lo"]) / (v["x_hi"] - v["x_lo"]) * (v["right"] - v["left"])
    sy = v["top"] + (v["y_hi"] - points[:, 1]) / (v["y_hi"] - v["y_lo"]) * (v["bottom"] - v["top"])
    return np.stack([sx, sy], axis=-1)


def marching_squares(values, xs, ys, level):  # [ny, nx], [nx], [ny], float -> [n_segments, 2, 2]
    """Line segments where `values` crosses `level`, one or two per grid cell (Lorensen & Cline 1987, in 2-D).

    Each cell's four edges are checked for a sign change of values - level; the crossing point is placed
    by linear interpolation along the edge. A cell with two crossings gets one segment; a cell with four
    (opposite corners on the same side) is split by the value at its centre.
    """
    above = values > level
    gx, gy = np.meshgrid(xs, ys)  # [ny, nx] each
    corners = [
        (slice(None, -1), slice(None, -1)),
        (slice(None, -1), slice(1, None)),  # a (x_i, y_j), b
        (slice(1, None), slice(1, None)),
        (slice(1, None), slice(None, -1)),
    ]  # c, d: the row above
    points, crosses = [], []
    for k in range(4):  # edges a-b, b-c, c-d, d-a
        p, q = corners[k], corners[(k + 1) % 4]
        vp, vq = values[p], values[q]
        cross = above[p] != above[q]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(cross, (level - vp) / np.where(cross, vq - vp, 1.0), 0.0)
        points.append(np.stack([gx[p] + t * (gx[q] - gx[p]), gy[p] + t * (gy[q] - gy[p])], axis=-1))
        crosses.append(cross)
    points, crosses = np.stack(points, axis=2), np.stack(crosses, axis=2)  # [ny-1, nx-1, 4, 2], [ny-1, nx-1, 4]
    count = crosses.sum(axis=2)
    two = count == 2
    edge_pair = np.argsort(~crosses[two], axis=1, kind="stable")[:, :2]  # the two crossed edges of each cell
    segments = [np.take_along_axis(points[two], edge_pair[:, :, None], axis=1)]
    four = count == 4
    if four.any():
        centre = (values[:-1, :-1] + values[:-1, 1:] + values[1:, 1:] + values[1:, :-1])[four] / 4 > level
        same_as_a = centre == above[:-1, :-1][four]
        p4 = points[four]
        # centre on a's side: corners b and d are cut off (edges 0-1 and 2-3), else a and c (3-0 and 1-2)
        first = np.where(same_as_a[:, None, None], p4[:, [0, 1]], p4[:, [3, 0]])
        second = np.where(same_as_a[:, None, None], p4[:, [2, 3]], p4[:, [1, 2]])
        segments += [first, second]
    return np.concatenate(segments, axis=0)


@functools.cache
def grid(name):  # -> xs [nx], ys [ny], loss [ny, nx]: the surface on the contour grid, cached per surface
    v = view(name)
    xs = np.linspace(v["x_lo"], v["x_hi"], N_GRID)
    ys = np.linspace(v["y_lo"], v["y_hi"], N_GRID)
    return xs, ys, SURFACES[name].f(np.stack(np.meshgrid(xs, ys), axis=-1))


@functools.cache
def contour_paths(name):  # -> tuple of (level, SVG path data), cached per surface
    xs, ys, values = grid(name)
    paths = []
    for level in LEVELS[name]:
        segments = to_svg(name, marching_squares(values, xs, ys, level).reshape(-1, 2)).reshape(-1, 2, 2)
        paths.append((level, "".join(f"M{a:.1f} {b:.1f}L{c:.1f} {d:.1f}" for (a, b), (c, d) in segments)))
    return tuple(paths)


def tick_values(lo, hi):  # -> whole numbers in [lo, hi], every 1 or every 2 units
    step = 1 if hi - lo <= 4 else 2
    return np.arange(np.ceil(lo / step) * step, hi + 1e-9, step)


@functools.cache
def ticks(name):  # -> x ticks, y ticks for one surface's view
    v = view(name)
    xt, yt = tick_values(v["x_lo"], v["x_hi"]), tick_values(v["y_lo"], v["y_hi"])
    x_at = to_svg(name, np.stack([xt, np.full_like(xt, v["y_lo"])], axis=-1))[:, 0]
    y_at = to_svg(name, np.stack([np.full_like(yt, v["x_lo"]), yt], axis=-1))[:, 1]

    def label(t):  # "−2", "0", "3"
        return f"{t:g}".replace("-", "−")

    return (
        tuple({"at": round(float(a), 2), "label": label(t)} for a, t in zip(x_at, xt)),
        tuple(
            {"at": round(float(a), 2), "text_y": round(float(a), 2) + 4, "label": label(t)} for a, t in zip(y_at, yt)
        ),
    )


def markers(kind, points, every):  # -> SVG path data: a marker at every `every`-th point and at the last
    picked = list(points[::every])
    if (len(points) - 1) % every:
        picked.append(points[-1])
    r = 3.5
    shapes = {
        "sgd": "M{x:.1f} {y:.1f}m-{r} 0a{r} {r} 0 1 0 {d} 0a{r} {r} 0 1 0 -{d} 0Z",
        "momentum": "M{x:.1f} {y:.1f}m-{r} -{r}h{d}v{d}h-{d}Z",
        "adam": "M{x:.1f} {y:.1f}m0 -{t}l{r} {h}h-{d}Z",
    }
    return "".join(shapes[kind].format(x=x, y=y, r=r, d=2 * r, t=4.2, h=7.6) for x, y in picked)


def inside(name, path):  # [n, 2] -> the steps before the path first leaves the surface's view
    (x_lo, x_hi), (y_lo, y_hi) = SURFACES[name].bounds
    out = (path[:, 0] < x_lo) | (path[:, 0] > x_hi) | (path[:, 1] < y_lo) | (path[:, 1] > y_hi)
    return path[: int(np.argmax(out)) if out.any() else len(path)]


@functools.cache
def surface_trace(name):  # -> plotly's surface trace and the lift that keeps paths visible above it
    xs, ys, values = grid(name)
    lift = 0.01 * float(values.max() - values.min())
    trace = {
        "type": "surface",
        "name": "loss",
        "x": xs.tolist(),
        "y": ys.tolist(),
        "z": values.tolist(),
        "colorscale": [[0, "--accent"], [1, "--bg-soft"]],
        "showscale": False,
        "opacity": 0.75,
        "hovertemplate": "x %{x:.2f}, y %{y:.2f}: loss %{z:.3g}<extra></extra>",
    }
    return trace, lift


def plot3d(name, runs, start, every) -> dict:
    """The race on the surface itself: z = f(x, y) on the contour grid, and each optimizer's path at the
    loss of each step (lifted 1% of the surface's height so the surface does not hide it; steps after a
    path leaves the view are not drawn), as plotly's traces and layout. Colours are the site's CSS
    variables, which the page swaps for the theme's."""
    surface, (trace, lift) = SURFACES[name], surface_trace(name)
    traces = [trace]
    for kind, label, path in runs:
        shown = inside(name, path)
        traces.append(
            {
                "type": "scatter3d",
                "mode": "lines+markers",
                "name": label,
                "x": shown[:, 0].tolist(),
                "y": shown[:, 1].tolist(),
                "z": (surface.f(shown) + lift).tolist(),
                "line": {"color": f"--opt-{kind}", "width": 5, "dash": DASH[kind]},
                "marker": {"size": 2.5, "color": f"--opt-{kind}"},
                "hovertemplate": label + ": x %{x:.3g}, y %{y:.3g}<extra></extra>",
            }
        )
    minima = np.asarray(surface.minima, dtype=np.float64)
    for what, points, symbol in (("start", start[None, :], "circle"), ("minimum", minima, "x")):
        traces.append(
            {
                "type": "scatter3d",
                "mode": "markers",
                "name": what,
                "x": points[:, 0].tolist(),
                "y": points[:, 1].tolist(),
                "z": (surface.f(points) + lift).tolist(),
                "marker": {"size": 6, "color": "--fg", "symbol": symbol},
                "hovertemplate": what + "<extra></extra>",
            }
        )
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds

    def axis(title):
        return {"title": {"text": title}, "color": "--muted", "gridcolor": "--border", "backgroundcolor": "--bg-soft"}

    return {
        "label": (
            "The loss surface in 3-D with the paths of SGD, momentum and Adam on it, which you can turn and zoom; "
            "the table below lists the plotted values"
        ),
        "n_points": N_GRID * N_GRID + sum(len(t["x"]) for t in traces[1:]),
        "traces": traces,
        "layout": layout_3d(
            {
                "xaxis": axis("x"),
                "yaxis": axis("y"),
                "zaxis": axis("loss"),
                "aspectmode": "manual",
                "aspectratio": {"x": 1, "y": (y_hi - y_lo) / (x_hi - x_lo), "z": 0.6},
                "camera": {"eye": {"x": -0.6, "y": -1.4, "z": 1.5}},
            },
            name,  # the reader's own turn is kept until the surface changes
        ),
    }


def value_table(name, runs, every) -> dict:
    """The plotted values for keyboards and screen readers: each path every `every` steps (and its last),
    then the surface's loss on a N_TABLE x N_TABLE sample of the grid."""
    surface = SURFACES[name]
    n = max(len(path) for _, _, path in runs)
    steps = sorted({*range(0, n, every), n - 1})
    rows = []
    for t in steps:
        cells = []
        for _, _, path in runs:
            if t < len(path):
                cells += [f"({num(path[t, 0])}, {num(path[t, 1])})", num(float(surface.f(path[t])))]
            else:
                cells += ["", ""]
        rows.append({"step": str(t), "cells": cells})
    xs, ys, values = grid(name)
    pick = np.linspace(0, N_GRID - 1, N_TABLE).round().astype(int)
    return {
        "path_head": [f"{label} {what}" for _, label, _ in runs for what in ("at", "loss")],
        "path_rows": rows,
        "grid_x": [num(float(x)) for x in xs[pick]],
        "grid_rows": [
            {"y": num(float(ys[j])), "cells": [num(float(values[j, i])) for i in pick]} for j in pick[::-1]
        ],  # the top row is the largest y, as on the map
    }


def plural(n: int, word: str) -> str:  # 1 step, 3 steps
    return f"{n} {word}{'' if n == 1 else 's'}"


@functools.cache
def frame(name):  # -> where the view puts the plot area, the tick labels and the axis names, in SVG units
    v = view(name)
    return {
        "area": {"x": v["left"], "y": v["top"], "width": v["right"] - v["left"], "height": v["bottom"] - v["top"]},
        "x_text_y": v["bottom"] + 15,
        "y_text_x": v["left"] - 5,
        "x_name": [v["right"] - 5, v["bottom"] - 5],
        "y_name": [v["left"] + 5, v["top"] + 13],
        "viewbox": f"0 0 {v['width']} {v['height']}",
    }


def compute(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    name = as_choice("surface", p["surface"], list(SURFACES))
    surface = SURFACES[name]
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    x0 = as_number("x0", p["x0"], x_lo, x_hi)  # subtle: the sliders span -5..5; each surface's view is smaller
    y0 = as_number("y0", p["y0"], y_lo, y_hi)
    lr_exp = as_number("lr_exp", p["lr_exp"], -3.0, 0.5)
    lr = 10.0**lr_exp
    steps = as_int("steps", p["steps"], 0, MAX_STEPS)
    beta = as_number("beta", p["beta"], 0.0, 0.99)
    beta1 = as_number("beta1", p["beta1"], 0.0, 0.99)
    beta2 = as_number("beta2", p["beta2"], 0.9, 0.9999)
    hyper = {"sgd": {}, "momentum": {"beta": beta}, "adam": {"beta1": beta1, "beta2": beta2}}

    start = np.array([x0, y0])
    start_loss = float(surface.f(start))
    runs, messages, paths = [], [], []
    for kind, label in METHODS:
        path = optimize(surface.f, surface.grad, start, kind, lr=lr, steps=steps, diverge_at=DIVERGE_AT, **hyper[kind])
        diverged = len(path) < steps + 1
        paths.append((kind, label, path))
        end = path[-1]
        final = float(surface.f(end))
        svg = np.round(to_svg(name, path), 2)
        if diverged:
            messages.append(
                f"{label} diverged: after {len(path) - 1} step{'' if len(path) == 2 else 's'} it was "
                f"more than {DIVERGE_AT:,.0f} away from the origin, so the run stopped. Lower the "
                "learning rate."
            )
        runs.append(
            {
                "method": kind,
                "label": label,
                "path": path.tolist(),
                "points": svg.tolist(),
                "markers": markers(kind, svg, max(1, steps // 10)),
                "diverged": diverged,
                "n_steps": len(path) - 1,
                "steps_text": plural(len(path) - 1, "step"),
                "final_loss": final,
                "final_text": num(final),
                "end_text": f"({num(end[0])}, {num(end[1])})",
                "key": markers(kind, np.array([[15.0, 7.0]]), 1),  # the legend's sample marker
            }
        )
    x_ticks, y_ticks = ticks(name)
    mins = np.round(to_svg(name, surface.minima), 2)
    return {
        "params": {
            "surface": name,
            "x0": x0,
            "y0": y0,
            "lr_exp": lr_exp,
            "steps": steps,
            "beta": beta,
            "beta1": beta1,
            "beta2": beta2,
        },
        # each slider's value as its <output> shows it (the learning rate's: 10 ** the slider's power)
        "shown": {
            "x0": fixed(x0, 1),
            "y0": fixed(y0, 1),
            "lr_exp": num(lr),
            "steps": str(steps),
            "beta": fixed(beta, 2),
            "beta1": fixed(beta1, 2),
            "beta2": fixed(beta2, 4),
        },
        "steps_text": plural(steps, "step"),
        "lr": lr,
        "lr_text": num(lr),
        "about": ABOUT[name],
        "start_loss": start_loss,
        "start_text": num(start_loss),
        "view": {**view(name), **frame(name), "x": [dict(t) for t in x_ticks], "y": [dict(t) for t in y_ticks]},
        "contours": [{"level": level, "d": d} for level, d in contour_paths(name)],
        "minima": mins.tolist(),
        "minima_d": [f"M{x - 5:g} {y - 5:g}l10 10m0 -10l-10 10" for x, y in mins.tolist()],  # an x over each
        "start": np.round(to_svg(name, start)[0], 2).tolist(),
        "runs": runs,
        "messages": messages,
        "starts": {n: list(s.start) for n, s in SURFACES.items()},
        "plot3d": plot3d(name, paths, start, max(1, steps // 10)),
        "table": value_table(name, paths, max(1, steps // 10)),
    }
