"""Optimizers: how a gradient becomes a step, shown on 2-D loss surfaces you can draw.

- SGD: x <- x - lr * g. Too small a rate crawls, too large a rate overshoots and diverges; in a long
  narrow valley it zig-zags across the valley instead of running along it.
- Momentum (Polyak 1964; Sutskever et al. 2013): v <- beta * v + g, x <- x - lr * v. Steps that agree
  add up, steps that flip sign cancel, which damps the zig-zag. (torch.optim.SGD's form.)
- Adam (Kingma & Ba 2015, arXiv:1412.6980, Algorithm 1): running means of g and g^2 with bias
  correction; the step is lr * m_hat / (sqrt(v_hat) + eps), about lr in size whatever the gradient's
  scale, per coordinate.

Each step function is pure: (x, grad, state, ...) -> (new x, new state); the state starts as {}.
The surfaces take points [..., 2] and return values [...] and gradients [..., 2], so a widget can
draw a contour grid with the same functions the optimizer calls.

>>> optimize(SURFACES["bowl"].f, SURFACES["bowl"].grad, [1.0, 1.0], "sgd", lr=0.5, steps=2)
array([[1.  , 1.  ],
       [0.5 , 0.5 ],
       [0.25, 0.25]])
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np


def sgd_step(x, grad, state, lr):  # [2], [2], {} -> [2], {}
    """Plain gradient descent: x - lr * grad."""
    return x - lr * grad, state


def momentum_step(x, grad, state, lr, beta=0.9):  # [2], [2], {"v"} -> [2], {"v"}
    """Heavy-ball momentum: v = beta * v + grad; x - lr * v."""
    v = beta * state.get("v", np.zeros_like(x)) + grad
    return x - lr * v, {"v": v}


def adam_step(x, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):  # [2], [2], {"t", "m", "v"} -> ...
    """Adam: m, v = running means of grad and grad^2; x - lr * m_hat / (sqrt(v_hat) + eps).

    subtle: m and v start at 0, so early on they are too small (at t = 1, m by 10x and v by 1000x);
    dividing by 1 - beta^t (the bias correction) undoes that. Uncorrected, the first step would be
    about 3x too large (0.1 / sqrt(0.001)).
    """
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(x)) + (1 - beta1) * grad
    v = beta2 * state.get("v", np.zeros_like(x)) + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), {"t": t, "m": m, "v": v}


STEPS = {"sgd": sgd_step, "momentum": momentum_step, "adam": adam_step}


def optimize(f, grad, start, method="sgd", lr=0.01, steps=100, diverge_at=1e6, **hyper):  # -> [n, 2]
    """Run an optimizer from `start`; return the trajectory [n_points, 2], start included.

    hyper: the method's extra settings (beta for momentum; beta1, beta2, eps for Adam). The run stops
    early, with the trajectory so far, once a point or its loss f(x) is not finite or |x| exceeds
    diverge_at: a learning rate that is too high shows as a short trajectory heading off the surface.
    """
    if method not in STEPS:
        raise ValueError(f"method must be one of {sorted(STEPS)}, got {method!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    if not (isinstance(steps, int) and steps >= 0):
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    step = STEPS[method]
    x = np.asarray(start, dtype=np.float64)
    state = {}
    trajectory = [x]
    for _ in range(steps):
        with np.errstate(over="ignore", invalid="ignore"):
            x, state = step(x, grad(x), state, lr, **hyper)
            loss = f(x)
        if not (np.all(np.isfinite(x)) and np.isfinite(loss)) or np.linalg.norm(x) > diverge_at:
            break
        trajectory.append(x)
    return np.array(trajectory)


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface with its analytic gradient, where its minima are, and a view to draw."""

    name: str
    f: Callable  # [..., 2] -> [...]
    grad: Callable  # [..., 2] -> [..., 2]
    minima: tuple  # ((x, y), ...)
    start: tuple  # a starting point that shows the surface's lesson
    bounds: tuple  # ((x_min, x_max), (y_min, y_max)) for plotting


def _xy(p):  # [..., 2] -> [...], [...]
    p = np.asarray(p, dtype=np.float64)
    return p[..., 0], p[..., 1]


def bowl(p):  # [..., 2] -> [...]
    """A round bowl, (x^2 + y^2) / 2: the easy case; the gradient points straight at the minimum."""
    x, y = _xy(p)
    return 0.5 * (x**2 + y**2)


def bowl_grad(p):  # [..., 2] -> [..., 2]
    x, y = _xy(p)
    return np.stack([x, y], axis=-1)


def valley(p):  # [..., 2] -> [...]
    """An ill-conditioned quadratic, (x^2 + 25 y^2) / 2: curvature 25x steeper across than along."""
    x, y = _xy(p)
    return 0.5 * (x**2 + 25.0 * y**2)


def valley_grad(p):  # [..., 2] -> [..., 2]
    x, y = _xy(p)
    return np.stack([x, 25.0 * y], axis=-1)


def rosenbrock(p):  # [..., 2] -> [...]
    """Rosenbrock (1960): (1 - x)^2 + 100 (y - x^2)^2; a curved, flat-bottomed valley, minimum (1, 1)."""
    x, y = _xy(p)
    return (1 - x) ** 2 + 100.0 * (y - x**2) ** 2


def rosenbrock_grad(p):  # [..., 2] -> [..., 2]
    x, y = _xy(p)
    return np.stack([-2 * (1 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2)], axis=-1)


def saddle(p):  # [..., 2] -> [...]
    """(x^2 - y^2) / 2 + y^4 / 4: a saddle point at (0, 0) (flat gradient, not a minimum); minima (0, +-1)."""
    x, y = _xy(p)
    return 0.5 * (x**2 - y**2) + 0.25 * y**4


def saddle_grad(p):  # [..., 2] -> [..., 2]
    x, y = _xy(p)
    return np.stack([x, y**3 - y], axis=-1)


def himmelblau(p):  # [..., 2] -> [...]
    """Himmelblau (1972): (x^2 + y - 11)^2 + (x + y^2 - 7)^2; four minima, all with loss 0."""
    x, y = _xy(p)
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def himmelblau_grad(p):  # [..., 2] -> [..., 2]
    x, y = _xy(p)
    a, b = x**2 + y - 11, x + y**2 - 7
    return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)


SURFACES = {
    "bowl": Surface("bowl", bowl, bowl_grad, ((0.0, 0.0),), (1.5, 1.5), ((-2, 2), (-2, 2))),
    "valley": Surface("valley", valley, valley_grad, ((0.0, 0.0),), (-4.0, 1.0), ((-5, 5), (-2, 2))),
    "rosenbrock": Surface("rosenbrock", rosenbrock, rosenbrock_grad, ((1.0, 1.0),), (-1.5, 2.0), ((-2, 2), (-1, 3))),
    "saddle": Surface("saddle", saddle, saddle_grad, ((0.0, -1.0), (0.0, 1.0)), (1.5, 1e-3), ((-2, 2), (-1.6, 1.6))),
    "himmelblau": Surface(
        "himmelblau",
        himmelblau,
        himmelblau_grad,
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
        (0.0, 0.0),
        ((-5, 5), (-5, 5)),
    ),
}
