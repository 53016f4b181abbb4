"""Superposition: more features than dimensions, stored as directions that are not quite perpendicular.

The toy model of Elhage et al. 2022 ("Toy Models of Superposition", arXiv:2209.10652, section 2): n
features, each present with probability 1 - S (S is the sparsity) and then uniform in [0, 1], are squeezed
into m < n dimensions by a matrix W [m, n] and read back through the same matrix and a ReLU:

    h = W x                      [n] -> [m]   the compressed vector (a model's residual stream, in miniature)
    x' = ReLU(W^T h + b)         [m] -> [n]   each feature read back along its own direction W_i (a column)

trained to minimise the importance-weighted squared error sum_i I_i (x_i - x'_i)^2. Feature i's direction
is the column W_i. With m orthogonal directions there is no interference, but only m features fit; the
ReLU lets the model store more, at angles, when features are rarely active together (sparse): the small
overlaps they cause are mostly negative and cut off by the ReLU and the bias.

The measures are the paper's: each feature's norm ||W_i|| (about 1: represented; about 0: dropped), its
superposition sum_{j != i} (W_i . W_j)^2 / ||W_i||^2 (0: it has a direction of its own), and the
dimensions per feature m / ||W||_F^2 (section 7).

>>> cfg = ToyConfig(n_features=5, d_hidden=2, sparsity=0.0, steps=300)
>>> w, b, losses = train_toy_model(cfg, np.random.default_rng(0))
>>> w.shape, b.shape, len(losses)
((2, 5), (5,), 300)
"""

from dataclasses import dataclass

import numpy as np

from .optimizers import adam_step


@dataclass(frozen=True)
class ToyConfig:
    """The toy model and its training run (defaults: the paper's pentagon, five sparse features in 2-D)."""

    n_features: int = 5  # n: features in the input
    d_hidden: int = 2  # m: dimensions they are squeezed into (m < n)
    sparsity: float = 0.9  # S: probability that a feature is zero in a sample
    importance_decay: float = 1.0  # feature i's importance is decay**i (the paper uses 0.7 and 0.9)
    batch_size: int = 1024  # samples per step, drawn fresh each step
    steps: int = 400  # Adam steps
    learning_rate: float = 0.03  # Adam's step size

    def __post_init__(self):
        if not 0 < self.d_hidden < self.n_features:
            raise ValueError(f"need 0 < d_hidden < n_features, got {self.d_hidden} and {self.n_features}")
        if not (0 <= self.sparsity < 1 and 0 < self.importance_decay <= 1):
            raise ValueError(f"need 0 <= sparsity < 1 and 0 < importance_decay <= 1, got {self.sparsity}")


def importances(cfg):  # -> [n_features]
    """I_i = decay**i: feature 0 matters most."""
    return cfg.importance_decay ** np.arange(cfg.n_features)


def sample_features(rng, n_samples, n_features, sparsity):  # -> [n_samples, n_features]
    """Each feature is 0 with probability sparsity, else uniform in [0, 1] (the paper's section 2)."""
    present = rng.random((n_samples, n_features)) >= sparsity
    return present * rng.random((n_samples, n_features))


def reconstruct(x, w, b):  # [n_samples, n_features], [m, n], [n] -> [n_samples, n], [n_samples, m]
    """x' = ReLU(W^T W x + b), and the hidden vectors h = W x."""
    h = x @ w.T  # [n_samples, n] -> [n_samples, m]
    return np.maximum(h @ w + b, 0.0), h


def loss_and_grads(x, w, b, importance):  # [n_samples, n], [m, n], [n], [n] -> float, [m, n], [n]
    """The importance-weighted squared error, averaged over samples, and its gradients.

    z = h W + b with h = x W^T, so W is used twice: the gradient gets h^T dz (from reading back) plus
    dh^T x (from compressing), dh = dz W^T.
    """
    h = x @ w.T  # [n_samples, m]
    z = h @ w + b  # [n_samples, n]
    err = np.maximum(z, 0.0) - x
    loss = float(np.sum(importance * err**2) / len(x))
    dz = 2.0 * importance * err * (z > 0) / len(x)  # [n_samples, n]: the ReLU passes gradient where z > 0
    dh = dz @ w.T  # [n_samples, m]
    return loss, h.T @ dz + dh.T @ x, dz.sum(axis=0)


def init_weights(rng, cfg):  # -> w [m, n], b [n]
    """Xavier-normal W (std sqrt(2 / (m + n))), zero bias."""
    std = np.sqrt(2.0 / (cfg.d_hidden + cfg.n_features))
    return rng.normal(0.0, std, (cfg.d_hidden, cfg.n_features)), np.zeros(cfg.n_features)


def train_toy_model(cfg, rng):  # -> w [m, n], b [n], losses [steps]
    """Adam on fresh batches; the same rng state gives the same model, bit for bit."""
    w, b = init_weights(rng, cfg)
    importance = importances(cfg)
    state_w, state_b, losses = {}, {}, []
    for _ in range(cfg.steps):
        x = sample_features(rng, cfg.batch_size, cfg.n_features, cfg.sparsity)
        loss, grad_w, grad_b = loss_and_grads(x, w, b, importance)
        w, state_w = adam_step(w, grad_w, state_w, cfg.learning_rate)
        b, state_b = adam_step(b, grad_b, state_b, cfg.learning_rate)
        losses.append(loss)
    return w, b, np.array(losses)


def feature_norms(w):  # [m, n] -> [n]
    """||W_i||: about 1 if feature i is represented, about 0 if the model dropped it."""
    return np.linalg.norm(w, axis=0)


def interference(w):  # [m, n] -> [n, n]
    """W^T W: the diagonal holds ||W_i||^2, entry (i, j) how much feature j leaks into feature i's read-out."""
    return w.T @ w


def superposition(w):  # [m, n] -> [n]
    """sum_{j != i} (W_i . W_j)^2 / ||W_i||^2: how much other features share feature i's direction.

    0 when feature i is orthogonal to every other; a dropped feature (norm about 0) gets 0 too.
    """
    gram = interference(w)
    sq_norms = np.diag(gram)
    off = gram**2 - np.diag(sq_norms**2)  # [n, n]: (W_i . W_j)^2, zero on the diagonal
    safe = np.where(sq_norms > 1e-12, sq_norms, 1.0)
    return np.where(sq_norms > 1e-12, off.sum(axis=1) / safe, 0.0)


def dimensions_per_feature(w):  # [m, n] -> float
    """m / ||W||_F^2 (the paper's section 7): 1 for m orthogonal unit features, 2/5 for the pentagon."""
    return float(w.shape[0] / np.sum(w**2))
