"""Activation functions: the nonlinearity between two linear layers, and softmax.

Without a nonlinearity, two stacked linear layers collapse into one (W2 @ (W1 @ x) = (W2 @ W1) @ x), so
depth would add nothing. Each function here works elementwise on an array of any shape and returns an
array of the same shape and dtype (softmax normalises along one axis).

References: ReLU (Nair & Hinton 2010); GELU and its tanh approximation (Hendrycks & Gimpel 2016,
arXiv:1606.08415); SiLU / swish (Elfwing et al. 2017, arXiv:1702.03118; Ramachandran et al. 2017);
softmax as in Bridle 1990.

>>> relu(np.array([-1.0, 2.0]))
array([0., 2.])
>>> softmax(np.array([0.0, np.log(3.0)]))
array([0.25, 0.75])
"""

import math

import numpy as np


def relu(x):  # [...] -> [...]
    """max(0, x)."""
    return np.maximum(x, 0)


def sigmoid(x):  # [...] -> [...]
    """1 / (1 + e^-x), in (0, 1).

    subtle: written as (1 + tanh(x/2)) / 2, the same function, because 1 / (1 + exp(-x)) overflows
    exp for x < -709 (numpy warns); tanh never overflows.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def tanh(x):  # [...] -> [...]
    """(e^x - e^-x) / (e^x + e^-x), in (-1, 1)."""
    return np.tanh(x)


# subtle: numpy has no vectorised erf (scipy has, but the browser has no scipy). math.erf is accurate
# to double precision; np.vectorize loops in Python, which is fine for the explorer's few hundred points.
# The model uses SwiGLU (silu), so GELU is never in a hot path.
_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x):  # [...] -> [...]
    """Exact GELU: x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2.

    >>> float(gelu(np.array(1.0)))  # Phi(1) = 0.8413447460685429
    0.8413447460685429
    """
    x = np.asarray(x)
    phi = 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))
    return (x * phi).astype(np.result_type(x, np.float32), copy=False)


def gelu_tanh(x):  # [...] -> [...]
    """GPT-2's GELU approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Within 1e-3 of the exact GELU everywhere (Hendrycks & Gimpel 2016, section 2).
    """
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def silu(x):  # [...] -> [...]
    """SiLU (swish with beta = 1): x * sigmoid(x); the gate of Llama's SwiGLU."""
    return x * sigmoid(x)


def softmax(x, axis=-1):  # [..., n] -> [..., n]
    """exp(x) / sum(exp(x)) along `axis`: non-negative, sums to 1.

    Stable: the row maximum is subtracted first (softmax(x) = softmax(x - c) for any c), so exp never
    overflows. Entries of -inf get probability 0.
    subtle: a row that is entirely -inf (every key masked) has no distribution; it comes out as all
    zeros rather than NaN, so a fully masked attention row contributes a zero vector.
    """
    x = np.asarray(x)
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)  # an all -inf row: exp(-inf - 0) = 0, not NaN
    e = np.exp(x - peak)
    total = np.sum(e, axis=axis, keepdims=True)
    return e / np.where(total > 0, total, 1)


def identity(x):  # [...] -> [...]
    """x unchanged: "no activation", which makes a neuron purely linear."""
    return x


# Derivatives, each from its closed form; tests check them against central finite differences.


def relu_grad(x):  # [...] -> [...]
    """1 for x > 0, else 0. subtle: ReLU has no derivative at 0; 0 is the usual choice (PyTorch's too)."""
    return (np.asarray(x) > 0).astype(np.result_type(x, np.float32))


def sigmoid_grad(x):  # [...] -> [...]
    """sigmoid(x) (1 - sigmoid(x)): at most 1/4, at x = 0."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh_grad(x):  # [...] -> [...]
    """1 - tanh(x)^2: 1 at x = 0, vanishing for large |x| (the saturation that slows deep tanh nets)."""
    return 1.0 - np.tanh(x) ** 2


def gelu_grad(x):  # [...] -> [...]
    """d/dx x Phi(x) = Phi(x) + x phi(x), phi the standard normal density."""
    x = np.asarray(x)
    phi = np.exp(-0.5 * x**2) / math.sqrt(2.0 * math.pi)
    big_phi = 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))
    return (big_phi + x * phi).astype(np.result_type(x, np.float32), copy=False)


def silu_grad(x):  # [...] -> [...]
    """d/dx x sigmoid(x) = sigmoid(x) (1 + x (1 - sigmoid(x))); slightly negative for x below about -1.28."""
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def identity_grad(x):  # [...] -> [...]
    return np.ones_like(x, dtype=np.result_type(x, np.float32))


def neuron(x, w, b, activation="relu"):  # [n_in], [n_in], float -> products [n_in], z, y
    """One artificial neuron: y = f(w . x + b), with the steps returned.

    products[i] = w[i] x[i] is each input's contribution, z = sum(products) + b the pre-activation,
    y = f(z) the output; f is named from ACTIVATIONS ("identity" for none).

    >>> neuron(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.25)
    (array([ 0.5, -2. ]), -1.25, 0.0)
    """
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    if x.shape != w.shape or x.ndim != 1:
        raise ValueError(f"x and w must be vectors of the same length, got shapes {x.shape} and {w.shape}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; one of {', '.join(ACTIVATIONS)}")
    products = w * x
    z = float(np.sum(products) + b)
    return products, z, float(ACTIVATIONS[activation](np.array(z)))


def two_layers(x, w1, b1, w2, b2, activation="identity"):  # [n, d_in] -> [n, d_out]
    """Two linear layers with f between them: f(x W1^T + b1) W2^T + b2.

    w1 [d_hidden, d_in], b1 [d_hidden], w2 [d_out, d_hidden], b2 [d_out] (rows are output units).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; one of {', '.join(ACTIVATIONS)}")
    hidden = ACTIVATIONS[activation](x @ w1.T + b1)  # [n, d_in] -> [n, d_hidden]
    return hidden @ w2.T + b2  # [n, d_hidden] -> [n, d_out]


def compose_linear(w1, b1, w2, b2):  # -> w [d_out, d_in], b [d_out]
    """The single layer equal to two stacked linear layers: W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2).

    >>> compose_linear(np.array([[2.0]]), np.array([1.0]), np.array([[3.0]]), np.array([0.5]))
    (array([[6.]]), array([3.5]))
    """
    return w2 @ w1, w2 @ b1 + b2


# Name -> function, in the order the activation explorer lists them.
ACTIVATIONS = {
    "relu": relu,
    "gelu": gelu,
    "gelu_tanh": gelu_tanh,
    "silu": silu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "identity": identity,
}

# Name -> derivative (gelu_tanh, an approximation used for speed, has none here).
GRADIENTS = {
    "relu": relu_grad,
    "gelu": gelu_grad,
    "silu": silu_grad,
    "tanh": tanh_grad,
    "sigmoid": sigmoid_grad,
    "identity": identity_grad,
}
