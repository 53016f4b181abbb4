"""The feed-forward network: the per-token part of a transformer block.

Attention mixes information between positions; the feed-forward network then transforms each position
on its own: widen the vector from d_model to d_ff hidden units, apply a nonlinearity, project back.

- GPT-2 (Radford et al. 2019): linear -> GELU -> linear, with biases, d_ff = 4 * d_model.
- Llama's SwiGLU (Shazeer 2020, "GLU Variants Improve Transformer", arXiv:2002.05202, eq. 6): two
  projections up, one through SiLU acting as a gate on the other, then down:
      swiglu(x) = (silu(x @ w_gate) * (x @ w_up)) @ w_down
  Three matrices instead of two, so Llama picks d_ff ~ 8/3 * d_model to keep the parameter count.

Weights are laid out for x @ w (w is [d_in, d_out]). swiglu_backward is SwiGLU's gradient, for training
(llm_core.train), with weight_gradient, any projection's.

>>> x, w = np.ones((1, 2)), np.ones((2, 3))
>>> linear(x, w, np.arange(3.0))
array([[2., 3., 4.]])
>>> linear_terms(np.array([2.0, 3.0]), np.array([[1.0, 0.0], [10.0, -1.0]]))
array([[ 2.,  0.],
       [30., -3.]])
"""

import numpy as np

from .activations import gelu_tanh, sigmoid, silu


def linear(x, w, b=None):  # [n_seq, d_in], [d_in, d_out], [d_out] -> [n_seq, d_out]
    """x @ w + b: every output unit is a weighted sum of every input, plus a bias."""
    y = x @ w
    return y if b is None else y + b


def weight_gradient(x, d_y):  # [..., n_seq, d_in], [..., n_seq, d_out] -> [d_in, d_out]
    """The gradient of w in y = x @ w, given d_y = dL/dy: x^T d_y, summed over every position (each
    position's x times its d_y, an outer product [d_in, d_out], added up).

    subtle: a batch is summed sequence by sequence, then the n_batch partial sums are added, rather than
    in one product over all n_batch n_seq positions: numpy without BLAS (the page's, in Pyodide) gets
    slower the longer a product's sums are (benchmarks/RESULTS.md: 48x256x144 well below 256x48x144),
    and the short sums made the trainer's weight gradients about 1.6x faster in the page.

    >>> weight_gradient(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0], [10.0]]))  # 1 * 1 + 3 * 10, ...
    array([[31.],
           [42.]])
    """
    if x.ndim == 2:
        return x.T @ d_y  # [d_in, n_seq] @ [n_seq, d_out]
    x, d_y = x.reshape(-1, *x.shape[-2:]), d_y.reshape(-1, *d_y.shape[-2:])  # [..., n_seq, d] -> [n, n_seq, d]
    return (np.swapaxes(x, -1, -2) @ d_y).sum(axis=0)  # [n, d_in, n_seq] @ [n, n_seq, d_out] -> [d_in, d_out]


def linear_terms(x, w):  # [d_in], [d_in, d_out] -> [d_in, d_out]
    """The products behind x @ w for one vector: terms[i, j] = x[i] * w[i, j].

    Output j is the sum of column j, terms[:, j].sum() == (x @ w)[j]: one multiply-add per weight.
    """
    return x[:, None] * w  # [d_in] -> [d_in, 1], broadcast against [d_in, d_out]


def top_neurons(hidden, k):  # [d_ff], int -> [k] indices
    """The k hidden units with the largest |activation|, largest first (ties: lower index first).

    A SwiGLU unit can be strongly negative as well as positive (silu(gate) * up has either sign),
    and either way it pushes its row of w_down into the output, so size is |value|.
    """
    return np.argsort(-np.abs(hidden), kind="stable")[:k]


def gelu_mlp(x, w_fc, b_fc, w_proj, b_proj):
    """GPT-2's feed-forward network: gelu(x @ w_fc + b_fc) @ w_proj + b_proj.

    [n_seq, d_model], [d_model, d_ff], [d_ff], [d_ff, d_model], [d_model] -> [n_seq, d_model], trace
    trace: hidden [n_seq, d_ff] (after GELU). GPT-2 uses the tanh approximation of GELU.
    """
    hidden = gelu_tanh(linear(x, w_fc, b_fc))
    return linear(hidden, w_proj, b_proj), {"hidden": hidden}


def swiglu(x, w_gate, w_up, w_down):
    """Llama's feed-forward network: (silu(x @ w_gate) * (x @ w_up)) @ w_down.

    [n_seq, d_model], [d_model, d_ff], [d_model, d_ff], [d_ff, d_model] -> [n_seq, d_model], trace
    trace: gate and up (the two projections, [n_seq, d_ff]) and hidden = silu(gate) * up [n_seq, d_ff],
    the activations of the d_ff hidden neurons (the "most active neurons" are its largest entries).
    """
    gate = x @ w_gate
    up = x @ w_up
    hidden = silu(gate) * up
    return hidden @ w_down, {"gate": gate, "up": up, "hidden": hidden}


def swiglu_backward(d_out, x, w_gate, w_up, w_down, trace):
    """The gradients of swiglu's input and three matrices, given d_out = dL/d(its output).

    d_out [..., d_model]; x [..., d_model] (the forward's input); the weights; trace: the forward's gate
    and up [..., d_ff] (hidden = silu(gate) * up)
    -> d_x [..., d_model], d_w_gate, d_w_up [d_model, d_ff], d_w_down [d_ff, d_model] (summed over every
    position). With sigma = sigmoid(gate):

        d_hidden = d_out w_down^T         d_w_down = hidden^T d_out
        d_up     = d_hidden * silu(gate)  d_gate = d_hidden * up * silu'(gate),
        silu'(g) = sigma(g) (1 + g (1 - sigma(g)))      (the derivative of g sigma(g))
        d_x      = d_gate w_gate^T + d_up w_up^T     (x feeds both projections)
    """
    gate, up = trace["gate"], trace["up"]
    sig = sigmoid(gate)
    silu_gate = gate * sig
    d_hidden = d_out @ w_down.T  # [..., d_ff]
    d_up = d_hidden * silu_gate
    d_gate = d_hidden * up * (sig * (1 + gate * (1 - sig)))
    d_x = d_gate @ w_gate.T + d_up @ w_up.T
    return d_x, weight_gradient(x, d_gate), weight_gradient(x, d_up), weight_gradient(silu_gate * up, d_out)
