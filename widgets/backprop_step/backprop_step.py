"""Backprop step: a 2-3-1 network trained on one example, shown one training step at a time.

A toy on purpose: 2 inputs, 3 tanh hidden units, 1 sigmoid output, squared error against a target, 13
parameters in all, so every forward value, every gradient and every update fits on one figure. Every
number comes from llm_core.backprop: the weights start from `init_mlp` with the reader's seed, and
`train_step` (forward, backward, update) runs `step` times; the figure shows step `step`: the forward
values on the nodes, d loss / d (value) under each node, each weight and its gradient on its edge, the
update w - lr * grad of every parameter, the loss curve so far, and one weight's gradient written out
as a product of chain-rule factors (`chain_rule_w1`). "Check the gradient" adds `gradient_check`'s
central finite differences next to backprop's gradients.

Labels are formatted here, once, so the pre-rendered figure and the live one print the same strings.
"""

import numpy as np

from llm_core.backprop import chain_rule_w1, gradient_check, init_mlp, mlp_backward, mlp_forward, train_step
from llm_core.controls import as_bool, as_int, as_number
from widgetlib.fmt import fixed

N_IN, N_HIDDEN, N_OUT = 2, 3, 1
MAX_STEP = 50
CHECK_BOUNDS = (1e-9, 1e-6, 1e-3)  # the check reports the first of these its largest difference is under
# Graph and loss-plot boxes in SVG user units (the SVGs scale to their containers).
GRAPH_W, GRAPH_H, R = 640, 330, 24
PLOT_W, PLOT_H = 320, 170
P_LEFT, P_RIGHT, P_TOP, P_BOTTOM = 46, 10, 12, 30

DEFAULTS = {"seed": 0, "x1": 1.0, "x2": -0.5, "target": 0.9, "lr": 0.5, "step": 3, "check": False}
EXAMPLES = [
    {"step": 0, "check": True},
    {"seed": 7, "x1": -2, "x2": 2, "target": 0.1, "lr": 10, "step": 50},
    {"lr": "0.05", "step": "12", "check": "true"},
]
DATA: list[str] = []
CODE = [
    "llm_core.backprop.mlp_forward",
    "llm_core.backprop.mlp_backward",
    "llm_core.backprop.train_step",
    "llm_core.backprop.chain_rule_w1",
    "llm_core.backprop.gradient_check",
    "llm_core.backprop.numerical_gradient",
]
# subtle: finite differences divide a difference of two losses by 2e-6, so a last-bit difference in tanh
# or exp between Pyodide's libm and CPython's becomes ~1e-10 in a numerical gradient; the browser
# comparison allows for that. Every other number agrees far more closely.
REL_TOL = 1e-6

# chain_rule_w1's factors for the weight x1 -> h1, each as the reader sees it written out
CHAIN_EXPRESSIONS = ["2(y − t)", "y(1 − y)", "w(h₁→y)", "(1 − h₁²)", "x₁"]
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def num(v: float) -> str:
    """A number as the figure prints it: 3 decimals, 4 below 0.01, scientific below 0.001; true minus."""
    a = abs(v)
    if a < 5e-13:
        return "0"
    if a >= 0.01:
        text = f"{v:.3f}"
    elif a >= 0.001:
        text = f"{v:.4f}"
    else:
        mantissa, exponent = f"{v:.1e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def coord(v: float) -> str:
    """An SVG coordinate as JavaScript prints a number: 46, 112.5 (for a polyline's points)."""
    return str(int(v)) if v == int(v) else repr(v)


def names():  # -> [(key, index, label)] for the 13 parameters, in table order
    rows = []
    for i in range(N_IN):
        for j in range(N_HIDDEN):
            rows.append(("w1", (i, j), f"x{i + 1}→h{j + 1}".translate(SUB)))
    rows += [("b1", (j,), f"bias of h{j + 1}".translate(SUB)) for j in range(N_HIDDEN)]
    rows += [("w2", (j, 0), f"h{j + 1}→y".translate(SUB)) for j in range(N_HIDDEN)]
    rows.append(("b2", (0,), "bias of y"))
    return rows


def run(seed, x, target, lr, step):  # -> params at `step`, losses at steps 0..MAX_STEP + 1
    """Train from the seed's weights; keep the parameters at `step` and every step's loss (for the plot's scale)."""
    params = init_mlp(N_IN, N_HIDDEN, N_OUT, np.random.default_rng(seed))
    at_step, losses = params, []
    for k in range(MAX_STEP + 2):
        if k == step:
            at_step = params
        params, loss, _, _ = train_step(params, x, target, lr)
        losses.append(loss)
    return at_step, losses


def graph(params, trace, grads, loss, target):
    """Nodes (forward value inside, d loss / d value below) and edges (weight, gradient) placed in SVG units."""
    xs = {"x": 70, "h": 330, "y": 500, "L": 596}
    pos = {
        ("x", 0): (xs["x"], 110),
        ("x", 1): (xs["x"], 230),
        ("h", 0): (xs["h"], 55),
        ("h", 1): (xs["h"], 165),
        ("h", 2): (xs["h"], 275),
        ("y", 0): (xs["y"], 165),
        ("L", 0): (xs["L"], 165),
    }
    nodes = []
    for i in range(N_IN):
        nodes.append(
            {
                "x": pos["x", i][0],
                "y": pos["x", i][1],
                "name": f"x{i + 1}".translate(SUB),
                "value": num(trace["x"][0, i]),
                "below": "input",
                "kind": "in",
            }
        )
    for j in range(N_HIDDEN):
        nodes.append(
            {
                "x": pos["h", j][0],
                "y": pos["h", j][1],
                "name": f"h{j + 1}".translate(SUB) + f"  z = {num(trace['z1'][0, j])}",
                "value": num(trace["h"][0, j]),
                "kind": "hidden",
                "below": f"∂L/∂h{j + 1} = ".translate(SUB) + num(grads["h"][0, j]),
            }
        )
    nodes.append(
        {
            "x": pos["y", 0][0],
            "y": pos["y", 0][1],
            "name": f"y  z = {num(trace['z2'][0, 0])}",
            "value": num(trace["y"][0, 0]),
            "below": f"∂L/∂y = {num(grads['y'][0, 0])}",
            "kind": "out",
        }
    )
    nodes.append(
        {
            "x": pos["L", 0][0],
            "y": pos["L", 0][1],
            "name": "loss L",
            "value": num(loss),
            "below": f"target {num(target)}",
            "kind": "loss",
        }
    )
    for n in nodes:  # where the name (above), the value (centred) and the gradient (below) go
        n.update({"name_y": n["y"] - R - 6, "value_y": n["y"] + 4, "below_y": n["y"] + R + 14})
    edges = []

    def edge(a, b, t, w, g):
        (x1, y1), (x2, y2) = pos[a], pos[b]
        length = float(np.hypot(x2 - x1, y2 - y1))
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        ly = round(y1 + t * (y2 - y1), 2)
        edges.append(
            {
                "x1": round(x1 + R * ux, 2),
                "y1": round(y1 + R * uy, 2),
                "x2": round(x2 - R * ux, 2),
                "y2": round(y2 - R * uy, 2),
                "lx": round(x1 + t * (x2 - x1), 2),
                "ly": ly,
                "w_y": ly - 2,
                "g_y": ly + 10,
                "w": w,
                "g": g,
            }
        )

    for i in range(N_IN):
        for j in range(N_HIDDEN):
            edge(
                ("x", i),
                ("h", j),
                0.3 if i == 0 else 0.62,
                f"w {num(params['w1'][i, j])}",
                f"∂ {num(grads['w1'][i, j])}",
            )
    for j in range(N_HIDDEN):
        edge(("h", j), ("y", 0), 0.5, f"w {num(params['w2'][j, 0])}", f"∂ {num(grads['w2'][j, 0])}")
    edge(("y", 0), ("L", 0), 0.5, "", "")
    return {
        "width": GRAPH_W,
        "height": GRAPH_H,
        "viewbox": f"0 0 {GRAPH_W} {GRAPH_H}",
        "r": R,
        "nodes": nodes,
        "edges": edges,
    }


def loss_plot(losses, step):
    """The loss at steps 0..step as SVG points, on axes fixed by the whole run (so they do not jump)."""
    top = max(losses) * 1.05 or 1.0
    left, right, y_top, bottom = P_LEFT, PLOT_W - P_RIGHT, P_TOP, PLOT_H - P_BOTTOM

    def at(k, loss):
        return [round(left + k / MAX_STEP * (right - left), 2), round(bottom - loss / top * (bottom - y_top), 2)]

    points = [at(k, v) for k, v in enumerate(losses[: step + 1])]
    y_ticks = [{"at": at(0, v)[1], "text_y": at(0, v)[1] + 4, "label": num(v)} for v in (0.0, top / 2, top)]
    x_ticks = [{"at": at(k, 0)[0], "label": str(k)} for k in range(0, MAX_STEP + 1, 10)]
    return {
        "width": PLOT_W,
        "height": PLOT_H,
        "viewbox": f"0 0 {PLOT_W} {PLOT_H}",
        "left": left,
        "right": right,
        "top": y_top,
        "bottom": bottom,
        "points": points,
        "marker": points[-1],
        "x": x_ticks,
        "y": y_ticks,
        "polyline": " ".join(f"{coord(x)},{coord(y)}" for x, y in points),
        # where the view puts text: tick labels beside the axes, the axis names at their ends
        "x_text_y": bottom + 14,
        "y_text_x": left - 5,
        "step_y": PLOT_H - 2,
        "loss_x": left + 4,
        "loss_y": y_top + 8,
    }


def compute(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    seed = as_int("seed", p["seed"], 0, 99)
    x1, x2 = as_number("x1", p["x1"], -2.0, 2.0), as_number("x2", p["x2"], -2.0, 2.0)
    target = as_number("target", p["target"], 0.05, 0.95)  # a sigmoid output never reaches 0 or 1
    lr = as_number("lr", p["lr"], 0.05, 10.0)
    step = as_int("step", p["step"], 0, MAX_STEP)
    check = as_bool("check", p["check"])
    x, t = np.array([[x1, x2]]), np.array([[target]])

    weights, losses = run(seed, x, t, lr, step)
    _, trace = mlp_forward(weights, x)
    loss, grads = mlp_backward(weights, trace, t)
    report = gradient_check(weights, x, t) if check else None
    rows = []
    for key, index, label in names():
        w, g = float(weights[key][index]), float(grads[key][index])
        row = {
            "label": label,
            "w": w,
            "grad": g,
            "change": -lr * g,
            "new": w - lr * g,
            "text": [num(w), num(g), num(-lr * g), num(w - lr * g)],
        }
        if report:
            row["numerical"] = float(report[key]["numerical"][index])
            row["text"].append(num(row["numerical"]))
        rows.append(row)
    factors = chain_rule_w1(weights, trace, t, 0, 0)
    chain = {
        "factors": [
            {"name": name, "expr": expr, "value": v, "text": num(v)}
            for (name, v), expr in zip(factors, CHAIN_EXPRESSIONS)
        ],
        "product": float(np.prod([v for _, v in factors])),
        "grad": float(grads["w1"][0, 0]),
    }
    chain["product_text"] = num(chain["product"])
    check_result = None
    if report:
        worst = max(entry["max_abs_diff"] for entry in report.values())
        bound = next((b for b in CHECK_BOUNDS if worst < b), None)
        check_result = {
            "bound": bound,
            "bound_text": f"{bound:.0e}".replace("-0", "−") if bound else None,
            "n_params": len(rows),
        }
    return {
        "params": {"seed": seed, "x1": x1, "x2": x2, "target": target, "lr": lr, "step": step, "check": check},
        # each slider's value as its <output> shows it
        "shown": {
            "seed": str(seed),
            "x1": fixed(x1, 1),
            "x2": fixed(x2, 1),
            "target": fixed(target, 2),
            "lr": fixed(lr, 2),
            "step": str(step),
        },
        "last_step": step >= MAX_STEP,  # "Next step" has nowhere to go
        "step": step,
        "loss": loss,
        "loss_next": losses[step + 1],
        "loss_text": num(loss),
        "loss_next_text": num(losses[step + 1]),
        "y": float(trace["y"][0, 0]),
        "y_text": num(float(trace["y"][0, 0])),
        "loss_first_text": num(losses[0]),
        "losses": losses[: step + 1],
        "graph": graph(weights, trace, grads, loss, target),
        "plot": loss_plot(losses, step),
        "rows": rows,
        "chain": chain,
        "check": check_result,
    }
