"""Backpropagation by hand: a tiny network, its gradients by the chain rule, one step downhill.

The network (2-3-1 by default): n_in inputs -> n_hidden tanh units -> n_out sigmoid outputs,
with mean squared error against the target:

    z1 = x @ w1 + b1      h = tanh(z1)      z2 = h @ w2 + b2      y = sigmoid(z2)
    loss = mean((y - target)^2)

Backward runs the same steps in reverse, each multiplying the incoming gradient by its local derivative
(Rumelhart, Hinton & Williams 1986, "Learning representations by back-propagating errors"):

    dloss/dy = 2 (y - target) / N       dz2 = dy * y (1 - y)          dw2 = h^T dz2,  db2 = sum(dz2)
    dh = dz2 @ w2^T                     dz1 = dh * (1 - h^2)          dw1 = x^T dz1,  db1 = sum(dz1)

N is the number of entries of y. `numerical_gradient` checks all of it by central finite differences,
(f(x + eps) - f(x - eps)) / 2 eps, whose error shrinks like eps^2.

>>> params = init_mlp(2, 3, 1, np.random.default_rng(0))
>>> y, trace = mlp_forward(params, np.array([[1.0, 0.5]]))
>>> sorted(trace)
['h', 'x', 'y', 'z1', 'z2']
"""

import numpy as np

from .activations import sigmoid


def init_mlp(n_in, n_hidden, n_out, rng):  # -> params: w1 [n_in, n_hidden], b1, w2 [n_hidden, n_out], b2
    """Random weights with variance 1 / fan_in (LeCun et al. 1998), zero biases."""
    return {
        "w1": rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_hidden)),
        "b1": np.zeros(n_hidden),
        "w2": rng.normal(0.0, 1.0 / np.sqrt(n_hidden), (n_hidden, n_out)),
        "b2": np.zeros(n_out),
    }


def mlp_forward(params, x):  # params, [n_batch, n_in] -> [n_batch, n_out], trace
    """Run the network; the trace holds every intermediate value the backward pass needs."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    z1 = x @ params["w1"] + params["b1"]  # [n_batch, n_hidden]
    h = np.tanh(z1)
    z2 = h @ params["w2"] + params["b2"]  # [n_batch, n_out]
    y = sigmoid(z2)
    return y, {"x": x, "z1": z1, "h": h, "z2": z2, "y": y}


def mse_loss(y, target):  # [n_batch, n_out], [n_batch, n_out] -> float
    """Mean squared error over every output of every example."""
    return float(np.mean((y - target) ** 2))


def mlp_backward(params, trace, target):  # -> loss, grads
    """The loss and its gradient with respect to every parameter and every intermediate value.

    grads has one entry per params key (same shapes) plus "y", "z2", "h", "z1": d loss / d (that value).
    """
    x, h, y = trace["x"], trace["h"], trace["y"]
    target = np.broadcast_to(np.asarray(target, dtype=np.float64), y.shape)
    d_y = 2.0 * (y - target) / y.size  # d mean((y - t)^2) / dy
    d_z2 = d_y * y * (1.0 - y)  # sigmoid'(z2) = y (1 - y)
    d_h = d_z2 @ params["w2"].T  # [n_batch, n_out] @ [n_out, n_hidden]
    d_z1 = d_h * (1.0 - h**2)  # tanh'(z1) = 1 - h^2
    grads = {
        "y": d_y,
        "z2": d_z2,
        "h": d_h,
        "z1": d_z1,
        "w2": h.T @ d_z2,
        "b2": d_z2.sum(axis=0),  # each weight's gradient: its input times the error
        "w1": x.T @ d_z1,
        "b1": d_z1.sum(axis=0),
    }
    return mse_loss(y, target), grads


def sgd_update(params, grads, lr):  # -> new params
    """One step of gradient descent: every parameter moves by -lr times its gradient (a new dict)."""
    return {name: value - lr * grads[name] for name, value in params.items()}


def train_step(params, x, target, lr):  # -> new params, loss before the step, trace, grads
    """Forward, backward, update: one full training step on (x, target)."""
    _, trace = mlp_forward(params, x)
    loss, grads = mlp_backward(params, trace, target)
    return sgd_update(params, grads, lr), loss, trace, grads


def numerical_gradient(f, x, eps=1e-6):  # f: [...] -> float, x [...] -> [...]
    """Central finite differences: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every entry i.

    Loops over the entries of x (it is a checker for small arrays, not a training method: it costs two
    evaluations of f per parameter, where backprop costs about one forward and one backward in all).
    >>> numerical_gradient(lambda v: float(np.sum(v ** 2)), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    """
    x = np.array(x, dtype=np.float64)  # a copy, nudged in place below
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        f_plus = f(x)
        x[i] = original - eps
        f_minus = f(x)
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def gradient_check(params, x, target, eps=1e-6):  # -> {name: {"analytic", "numerical", "max_abs_diff"}}
    """Backprop's parameter gradients next to finite differences, for each parameter array."""
    _, trace = mlp_forward(params, x)
    _, grads = mlp_backward(params, trace, target)
    report = {}
    for name in params:

        def loss_of(value, name=name):
            return mse_loss(mlp_forward({**params, name: value}, x)[0], target)

        numerical = numerical_gradient(loss_of, params[name], eps)
        report[name] = {
            "analytic": grads[name],
            "numerical": numerical,
            "max_abs_diff": float(np.max(np.abs(grads[name] - numerical))),
        }
    return report


def chain_rule_w1(params, trace, target, i, j):  # -> [(factor name, value)] for one example, n_out = 1
    """The gradient of one first-layer weight w1[i, j] as the product of its chain-rule factors.

    dL/dw1[i,j] = dL/dy * dy/dz2 * dz2/dh_j * dh_j/dz1_j * dz1_j/dw1[i,j]
                = 2 (y - t) / N * y (1 - y) * w2[j] * (1 - h_j^2) * x_i
    Their product is grads["w1"][i, j]: the backward pass computes exactly this, for all weights at once.
    """
    x, h, y = trace["x"], trace["h"], trace["y"]
    if y.shape != (1, 1):
        raise ValueError(f"chain_rule_w1 is for one example and one output, got y of shape {y.shape}")
    y_, t = float(y[0, 0]), float(np.asarray(target, dtype=np.float64).reshape(-1)[0])
    return [
        ("dL/dy", 2.0 * (y_ - t)),
        ("dy/dz2", y_ * (1.0 - y_)),
        ("dz2/dh", float(params["w2"][j, 0])),
        ("dh/dz1", 1.0 - float(h[0, j]) ** 2),
        ("dz1/dw1", float(x[0, i])),
    ]
