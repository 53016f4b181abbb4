"""llm_core.optimizers: surfaces' gradients by finite differences, hand-computed steps, behaviour, torch."""

import numpy as np
import pytest

from llm_core.backprop import numerical_gradient
from llm_core.optimizers import SURFACES, adam_step, momentum_step, optimize, sgd_step


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_analytic_gradients_match_finite_differences(name):
    surface = SURFACES[name]
    for point in [(0.3, -0.7), (-1.2, 1.9), (2.5, 0.1), surface.start]:
        p = np.array(point, dtype=np.float64)
        np.testing.assert_allclose(
            surface.grad(p), numerical_gradient(lambda v: float(surface.f(v)), p), rtol=1e-6, atol=1e-6
        )


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_minima_are_stationary_and_within_bounds(name):
    surface = SURFACES[name]
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    for x, y in surface.minima + (surface.start,):
        assert x_lo <= x <= x_hi and y_lo <= y <= y_hi
    for minimum in surface.minima:
        assert np.linalg.norm(surface.grad(np.array(minimum))) < 1e-3  # Himmelblau's are given to 6 digits


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_surfaces_are_vectorised(name):
    surface = SURFACES[name]
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 1, 4)), axis=-1)  # [4, 5, 2]
    values, grads = surface.f(grid), surface.grad(grid)
    assert values.shape == (4, 5) and grads.shape == (4, 5, 2)
    assert values[2, 3] == surface.f(grid[2, 3]) and np.array_equal(grads[2, 3], surface.grad(grid[2, 3]))


def test_sgd_on_the_bowl_is_geometric():
    bowl = SURFACES["bowl"]
    path = optimize(bowl.f, bowl.grad, [1.0, -2.0], "sgd", lr=0.1, steps=20)
    expected = np.array([1.0, -2.0]) * (0.9 ** np.arange(21))[:, None]
    np.testing.assert_allclose(path, expected, rtol=1e-12)


def test_momentum_steps_by_hand():
    x, g = np.array([1.0, 1.0]), np.array([2.0, -4.0])
    x1, state = momentum_step(x, g, {}, lr=0.1, beta=0.9)  # v = g
    np.testing.assert_allclose(x1, [0.8, 1.4])
    x2, state = momentum_step(x1, g, state, lr=0.1, beta=0.9)  # v = 0.9 g + g = 1.9 g
    np.testing.assert_allclose(state["v"], 1.9 * g)
    np.testing.assert_allclose(x2, x1 - 0.1 * 1.9 * g)


def test_adam_first_step_is_lr_times_sign():
    # at t = 1 the bias-corrected m and v are g and g^2, so the step is lr * g / |g| for every coordinate
    x, g = np.zeros(2), np.array([1e-3, -50.0])
    x1, state = adam_step(x, g, {}, lr=0.01)
    np.testing.assert_allclose(x1, [-0.01, 0.01], rtol=1e-4)
    assert state["t"] == 1
    _, state2 = adam_step(x1, g, state, lr=0.01)
    assert state2["t"] == 2 and state["t"] == 1  # the old state is not changed


def test_sgd_step_ignores_state():
    assert sgd_step(np.array([1.0]), np.array([2.0]), {}, lr=0.25)[0].tolist() == [0.5]


def test_too_high_a_learning_rate_diverges_and_stops_early():
    valley = SURFACES["valley"]  # curvature 25 across the valley: SGD is stable only for lr < 2 / 25
    diverged = optimize(valley.f, valley.grad, valley.start, "sgd", lr=0.1, steps=500)
    assert len(diverged) < 501 and np.all(np.isfinite(diverged))
    converged = optimize(valley.f, valley.grad, valley.start, "sgd", lr=0.07, steps=500)
    assert len(converged) == 501 and np.linalg.norm(converged[-1]) < 1e-6


def test_momentum_beats_sgd_along_the_valley():
    valley = SURFACES["valley"]
    sgd, momentum = (
        optimize(valley.f, valley.grad, valley.start, m, lr=0.01, steps=150)[-1] for m in ("sgd", "momentum")
    )
    assert np.linalg.norm(momentum) < np.linalg.norm(sgd) / 100


def test_adam_steps_are_about_lr_whatever_the_curvature():
    valley = SURFACES["valley"]
    path = optimize(valley.f, valley.grad, valley.start, "adam", lr=0.01, steps=50)
    assert np.all(np.abs(np.diff(path, axis=0)) <= 0.01 * 1.01)  # never more than ~lr per coordinate
    assert np.linalg.norm(optimize(valley.f, valley.grad, valley.start, "adam", lr=0.1, steps=400)[-1]) < 1e-2


def test_saddle_point_traps_a_start_on_its_ridge():
    saddle = SURFACES["saddle"]
    trapped = optimize(saddle.f, saddle.grad, [1.5, 0.0], "sgd", lr=0.1, steps=300)[-1]
    escaped = optimize(saddle.f, saddle.grad, saddle.start, "sgd", lr=0.1, steps=300)[-1]
    np.testing.assert_allclose(trapped, [0.0, 0.0], atol=1e-9)  # zero gradient across: stuck at the saddle
    np.testing.assert_allclose(escaped, [0.0, 1.0], atol=1e-6)


def test_adam_finds_the_rosenbrock_minimum():
    rosen = SURFACES["rosenbrock"]
    path = optimize(rosen.f, rosen.grad, rosen.start, "adam", lr=0.02, steps=3000)
    np.testing.assert_allclose(path[-1], [1.0, 1.0], atol=1e-2)


@pytest.mark.parametrize(
    "kwargs,match",
    [({"method": "lbfgs"}, "method"), ({"lr": 0.0}, "lr"), ({"steps": -1}, "steps"), ({"steps": 2.0}, "steps")],
)
def test_invalid_arguments(kwargs, match):
    bowl = SURFACES["bowl"]
    with pytest.raises(ValueError, match=match):
        optimize(bowl.f, bowl.grad, [1.0, 1.0], **kwargs)


@pytest.mark.parametrize("method", ["sgd", "momentum", "adam"])
def test_against_torch_optim(method):
    torch = pytest.importorskip("torch", reason="torch not installed; hand-computed steps above still run")
    rosen = SURFACES["rosenbrock"]
    p = torch.tensor(rosen.start, dtype=torch.float64, requires_grad=True)
    opt = {
        "sgd": lambda: torch.optim.SGD([p], lr=1e-4),
        "momentum": lambda: torch.optim.SGD([p], lr=1e-4, momentum=0.9),
        "adam": lambda: torch.optim.Adam([p], lr=1e-2),
    }[method]()
    expected = [p.detach().numpy().copy()]
    for _ in range(50):
        opt.zero_grad()
        x, y = p[0], p[1]
        ((1 - x) ** 2 + 100 * (y - x**2) ** 2).backward()
        opt.step()
        expected.append(p.detach().numpy().copy())
    path = optimize(rosen.f, rosen.grad, rosen.start, method, lr=1e-2 if method == "adam" else 1e-4, steps=50)
    np.testing.assert_allclose(path, np.array(expected), rtol=1e-9, atol=1e-12)
