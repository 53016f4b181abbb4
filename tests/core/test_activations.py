"""llm_core.activations against math-module references, closed forms and (when installed) torch."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from llm_core.activations import (
    ACTIVATIONS,
    GRADIENTS,
    compose_linear,
    gelu,
    gelu_tanh,
    neuron,
    relu,
    sigmoid,
    silu,
    softmax,
    tanh,
    two_layers,
)

X = np.linspace(-8.0, 8.0, 161)

# Scalar references written straight from the definitions, one value at a time.
REFERENCE = {
    "relu": lambda x: max(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "tanh": math.tanh,
    "gelu": lambda x: x * 0.5 * (1.0 + math.erf(x / math.sqrt(2.0))),
    "gelu_tanh": lambda x: 0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3))),
    "silu": lambda x: x / (1.0 + math.exp(-x)),
    "identity": lambda x: x,
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_matches_scalar_definition(name):
    expected = np.array([REFERENCE[name](float(x)) for x in X])
    np.testing.assert_allclose(ACTIVATIONS[name](X), expected, rtol=1e-12, atol=1e-15)


def test_gelu_known_value():
    # Phi(1) = 0.841344746068542948..., Phi(-1) = 1 - Phi(1)
    assert gelu(np.array(1.0)) == pytest.approx(0.8413447460685429, abs=1e-16)
    assert gelu(np.array(-1.0)) == pytest.approx(-(1 - 0.8413447460685429), abs=1e-16)


def test_gelu_tanh_approximation_is_close():
    x = np.linspace(-10, 10, 2001)
    assert np.max(np.abs(gelu_tanh(x) - gelu(x))) < 1e-3


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_keeps_float32(name):
    assert ACTIVATIONS[name](X.astype(np.float32)).dtype == np.float32


def test_no_overflow_at_extremes():
    big = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(sigmoid(big), [0.0, 0.0, 0.5, 1.0, 1.0])
        np.testing.assert_array_equal(silu(big), [-0.0, -0.0, 0.0, 800.0, 1e4])
        np.testing.assert_array_equal(relu(big), [0.0, 0.0, 0.0, 800.0, 1e4])
        np.testing.assert_array_equal(tanh(big), [-1.0, -1.0, 0.0, 1.0, 1.0])


def test_stacked_linear_layers_collapse_without_a_nonlinearity():
    rng = np.random.default_rng(0)
    w1, w2, x = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(5, 3))
    np.testing.assert_allclose((x @ w1) @ w2, x @ (w1 @ w2), rtol=1e-12)
    assert not np.allclose(relu(x @ w1) @ w2, x @ (w1 @ w2))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-700, 700)))
def test_softmax_is_a_distribution_and_matches_naive(x):
    p = softmax(x)
    assert np.all(p >= 0) and p.sum() == pytest.approx(1.0, abs=1e-12)
    shifted = np.exp(x - x.max())  # naive, safe for this range once shifted
    np.testing.assert_allclose(p, shifted / shifted.sum(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(softmax(x + 123.0), p, rtol=1e-9, atol=1e-300)


def test_softmax_masked_entries():
    p = softmax(np.array([[0.0, -np.inf, 0.0], [-np.inf, -np.inf, -np.inf]]))
    np.testing.assert_array_equal(p, [[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])  # masked row: zeros, not NaN


def test_softmax_huge_logits_do_not_overflow():
    with np.errstate(all="raise"):
        np.testing.assert_allclose(softmax(np.array([1e308, 1e308])), [0.5, 0.5])


def test_softmax_axis():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(softmax(x, axis=0).sum(axis=0), np.ones(3))


@pytest.mark.parametrize("name,torch_name", [("gelu", "gelu"), ("silu", "silu"), ("sigmoid", "sigmoid")])
def test_against_torch(name, torch_name):
    torch = pytest.importorskip("torch", reason="torch not installed; scalar references above still run")
    expected = getattr(torch.nn.functional, torch_name)(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(ACTIVATIONS[name](X), expected, rtol=1e-12, atol=1e-15)
    if name == "gelu":
        approx = torch.nn.functional.gelu(torch.from_numpy(X), approximate="tanh").numpy()
        np.testing.assert_allclose(gelu_tanh(X), approx, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_gradients_match_central_differences(name):
    x = X[np.abs(X) > 1e-3]  # away from ReLU's kink at 0, where it has no derivative
    h = 1e-6
    f = ACTIVATIONS[name]
    numerical = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(GRADIENTS[name](x), numerical, rtol=1e-6, atol=1e-8)


def test_gradient_closed_forms_at_zero():
    zero = np.array(0.0)
    assert GRADIENTS["sigmoid"](zero) == 0.25 and GRADIENTS["tanh"](zero) == 1.0
    assert GRADIENTS["silu"](zero) == 0.5 and GRADIENTS["gelu"](zero) == 0.5
    assert GRADIENTS["relu"](zero) == 0.0  # the convention at the kink


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_gradients_keep_float32(name):
    assert GRADIENTS[name](X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_neuron_against_a_loop(activation):
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=3), rng.normal(size=3), 0.7
    products, z, y = neuron(x, w, b, activation)
    z_loop = b
    for xi, wi in zip(x, w):
        z_loop += xi * wi
    assert products.tolist() == [xi * wi for xi, wi in zip(x, w)]
    assert z == pytest.approx(z_loop, abs=1e-15)
    assert y == pytest.approx(REFERENCE[activation](z_loop), abs=1e-15)


def test_neuron_rejects_bad_shapes_and_names():
    with pytest.raises(ValueError):
        neuron(np.ones(2), np.ones(3), 0.0)
    with pytest.raises(ValueError):
        neuron(np.ones(2), np.ones(2), 0.0, "swish")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_linear_layers_equal_their_composition(seed):
    rng = np.random.default_rng(seed)
    w1, b1, w2, b2 = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=(2, 5)), rng.normal(size=2)
    x = rng.normal(size=(7, 3))
    w, b = compose_linear(w1, b1, w2, b2)
    naive = np.array(
        [
            [
                sum(w2[o, h] * (sum(w1[h, i] * xi[i] for i in range(3)) + b1[h]) for h in range(5)) + b2[o]
                for o in range(2)
            ]
            for xi in x
        ]
    )
    np.testing.assert_allclose(two_layers(x, w1, b1, w2, b2), naive, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x @ w.T + b, naive, rtol=1e-12, atol=1e-12)
    assert not np.allclose(two_layers(x, w1, b1, w2, b2, "relu"), x @ w.T + b)
