"""llm_core.backprop: every hand-written gradient against central finite differences, and training."""

import numpy as np
import pytest

from llm_core.activations import sigmoid
from llm_core.backprop import (
    chain_rule_w1,
    gradient_check,
    init_mlp,
    mlp_backward,
    mlp_forward,
    mse_loss,
    numerical_gradient,
    sgd_update,
    train_step,
)


def test_numerical_gradient_of_known_functions():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(np.sin(v))), x), np.cos(x), atol=1e-9)
    np.testing.assert_allclose(
        numerical_gradient(lambda v: float(v[0] * v[1] ** 2), np.array([3.0, 2.0])), [4.0, 12.0], atol=1e-8
    )


@pytest.mark.parametrize("sizes", [(2, 3, 1), (3, 4, 2)])
@pytest.mark.parametrize("n_batch", [1, 5])
def test_parameter_gradients_match_finite_differences(sizes, n_batch):
    rng = np.random.default_rng(sum(sizes) + n_batch)
    params = init_mlp(*sizes, rng)
    params = {k: v + rng.normal(0, 0.1, v.shape) for k, v in params.items()}  # nonzero biases too
    x, target = rng.normal(size=(n_batch, sizes[0])), rng.uniform(size=(n_batch, sizes[2]))
    report = gradient_check(params, x, target)
    assert set(report) == {"w1", "b1", "w2", "b2"}
    for name, entry in report.items():
        assert entry["analytic"].shape == params[name].shape
        assert entry["max_abs_diff"] < 1e-9, name


def test_intermediate_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    params, x, target = init_mlp(2, 3, 1, rng), np.array([[0.5, -1.0]]), np.array([[1.0]])
    _, trace = mlp_forward(params, x)
    _, grads = mlp_backward(params, trace, target)

    def loss_from_z1(z1):  # the rest of the network, from the hidden pre-activations on
        return mse_loss(sigmoid(np.tanh(z1) @ params["w2"] + params["b2"]), target)

    def loss_from_h(h):
        return mse_loss(sigmoid(h @ params["w2"] + params["b2"]), target)

    def loss_from_z2(z2):
        return mse_loss(sigmoid(z2), target)

    np.testing.assert_allclose(grads["z1"], numerical_gradient(loss_from_z1, trace["z1"]), atol=1e-10)
    np.testing.assert_allclose(grads["h"], numerical_gradient(loss_from_h, trace["h"]), atol=1e-10)
    np.testing.assert_allclose(grads["z2"], numerical_gradient(loss_from_z2, trace["z2"]), atol=1e-10)
    np.testing.assert_allclose(grads["y"], numerical_gradient(lambda y: mse_loss(y, target), trace["y"]), atol=1e-10)


def test_forward_by_hand():
    params = {"w1": np.array([[1.0], [0.0]]), "b1": np.array([0.0]), "w2": np.array([[2.0]]), "b2": np.array([-1.0])}
    y, trace = mlp_forward(params, np.array([0.5, 3.0]))  # a single example as a 1-D array
    assert trace["z1"].tolist() == [[0.5]]
    assert y[0, 0] == pytest.approx(1 / (1 + np.exp(-(2 * np.tanh(0.5) - 1))))


def test_update_is_pure_and_training_converges():
    rng = np.random.default_rng(1)
    params = init_mlp(2, 3, 1, rng)
    before = {k: v.copy() for k, v in params.items()}
    x, target = np.array([[1.0, -0.5]]), np.array([[0.9]])
    _, trace = mlp_forward(params, x)
    loss0, grads = mlp_backward(params, trace, target)
    moved = sgd_update(params, grads, lr=0.5)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
        np.testing.assert_allclose(moved[k], before[k] - 0.5 * grads[k])
    losses = []
    for _ in range(300):
        params, loss_value, _, _ = train_step(params, x, target, lr=2.0)
        losses.append(loss_value)
    assert losses[0] == pytest.approx(loss0) and losses[-1] < 1e-4 and losses[-1] < losses[0]


def test_against_torch_autograd():
    torch = pytest.importorskip("torch", reason="torch not installed; finite differences above still run")
    rng = np.random.default_rng(2)
    params, x, target = init_mlp(3, 4, 2, rng), rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    y = torch.sigmoid(torch.tanh(torch.from_numpy(x) @ t["w1"] + t["b1"]) @ t["w2"] + t["b2"])
    ((y - torch.from_numpy(target)) ** 2).mean().backward()
    _, grads = mlp_backward(params, mlp_forward(params, x)[1], target)
    for k in params:
        np.testing.assert_allclose(grads[k], t[k].grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("i, j", [(0, 0), (1, 2), (0, 1)])
def test_chain_rule_factors_multiply_to_the_backprop_gradient(i, j):
    rng = np.random.default_rng(7)
    params, x, target = init_mlp(2, 3, 1, rng), np.array([[0.8, -1.3]]), np.array([[0.2]])
    _, trace = mlp_forward(params, x)
    _, grads = mlp_backward(params, trace, target)
    factors = chain_rule_w1(params, trace, target, i, j)
    assert [name for name, _ in factors] == ["dL/dy", "dy/dz2", "dz2/dh", "dh/dz1", "dz1/dw1"]
    assert np.prod([v for _, v in factors]) == pytest.approx(grads["w1"][i, j], rel=1e-12)
    assert factors[-1][1] == x[0, i] and factors[2][1] == params["w2"][j, 0]
    with pytest.raises(ValueError, match="one example"):
        chain_rule_w1(params, mlp_forward(params, np.ones((2, 2)))[1], target, i, j)
