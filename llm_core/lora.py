"""LoRA: fine-tune a large weight matrix by training a small low-rank update beside it.

Low-Rank Adaptation (Hu et al. 2021, arXiv:2106.09685, section 4.1): keep the pretrained W [d_in, d_out]
frozen and learn its change as a product of two thin matrices,

    delta_W = a @ b,  a [d_in, rank], b [rank, d_out],    y = x @ W + (alpha / rank) * x @ a @ b

which trains rank * (d_in + d_out) numbers instead of d_in * d_out: for a 4096 x 4096 matrix at rank 8,
65,536 instead of 16,777,216 (0.4%). b starts at zero, so training starts from the pretrained model
exactly; after training a @ b can be added into W, so inference costs nothing extra.

How much can rank r capture? The best rank-r approximation of any matrix, in the Frobenius norm, is its
truncated SVD (Eckart & Young 1936); its error is set by the singular values left out.

>>> lora_parameter_count(4096, 4096, rank=8)["lora"]
65536
"""

import numpy as np


def lora_parameter_count(d_in, d_out, rank):  # -> {"full", "lora", "fraction"}
    """Trainable numbers: the full matrix d_in * d_out vs LoRA's rank * (d_in + d_out)."""
    if not 1 <= rank <= min(d_in, d_out):
        raise ValueError(f"rank must be in [1, {min(d_in, d_out)}], got {rank}")
    full, lora = d_in * d_out, rank * (d_in + d_out)
    return {"full": full, "lora": lora, "fraction": lora / full}


def init_lora(d_in, d_out, rank, rng):  # -> a [d_in, rank], b [rank, d_out]
    """a random (Gaussian), b zero, as in the paper: the update a @ b starts at exactly 0."""
    return rng.normal(0.0, 1.0 / np.sqrt(d_in), (d_in, rank)), np.zeros((rank, d_out))


def lora_forward(x, w, a, b, alpha):  # [n_seq, d_in], [d_in, d_out], [d_in, r], [r, d_out] -> [n_seq, d_out]
    """x @ w + (alpha / rank) * (x @ a) @ b; the frozen path and the low-rank path, added."""
    rank = a.shape[1]
    return x @ w + (alpha / rank) * ((x @ a) @ b)


def merge_lora(w, a, b, alpha):  # [d_in, d_out], [d_in, r], [r, d_out] -> [d_in, d_out]
    """Fold the update into the weights for inference: w + (alpha / rank) * a @ b."""
    return w + (alpha / a.shape[1]) * (a @ b)


def low_rank_approximation(m, rank):  # [d_in, d_out] -> a [d_in, rank], b [rank, d_out], error
    """The best rank-`rank` approximation a @ b of m (truncated SVD), and how much it misses.

    a = U_r sqrt(S_r) and b = sqrt(S_r) V_r^T (the singular values split evenly between the two).
    error: relative = |m - a b| / |m| (Frobenius) = sqrt(sum of the left-out s_i^2 / sum of all s_i^2);
    energy = the fraction of sum s_i^2 kept; singular_values = all of them, largest first.
    """
    if not 1 <= rank <= min(m.shape):
        raise ValueError(f"rank must be in [1, {min(m.shape)}] for a {m.shape[0]} x {m.shape[1]} matrix, got {rank}")
    u, s, vt = np.linalg.svd(m, full_matrices=False)  # m = u @ diag(s) @ vt, s descending
    root = np.sqrt(s[:rank])
    a = u[:, :rank] * root  # [d_in, rank]
    b = root[:, None] * vt[:rank]  # [rank, d_out]
    return a, b, {**low_rank_error(s, rank), "singular_values": s}


def low_rank_error(singular_values, rank):  # [n] descending -> {"relative", "energy"}
    """The error of the best rank-`rank` approximation, from the singular values alone (Eckart-Young).

    relative = sqrt(sum of the left-out s_i^2 / sum of all s_i^2); energy = the fraction of sum s_i^2 kept.
    >>> low_rank_error(np.array([3.0, 4.0]), 1)["relative"]
    0.8
    """
    s = np.asarray(singular_values, dtype=np.float64)
    total = float(np.sum(s**2))
    kept = float(np.sum(s[:rank] ** 2))
    return {
        "relative": float(np.sqrt(max(total - kept, 0.0) / total)) if total > 0 else 0.0,
        "energy": kept / total if total > 0 else 1.0,
    }


# Which matrices of each block get a LoRA update: the paper's choice (query and value, section 7.1), all
# of attention, or every linear layer (QLoRA found all of them needed to match full fine-tuning,
# Dettmers et al. 2023, arXiv:2305.14314, section 4).
TARGETS = {
    "qv": ("wq", "wv"),
    "attention": ("wq", "wk", "wv", "wo"),
    "all": ("wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"),
}


def block_linear_shapes(cfg):  # -> {name: (d_in, d_out)} for one block's matrices
    """The [d_in, d_out] shape of each linear layer in one block (a GELU MLP has no w_gate)."""
    d, q, kv = cfg.d_model, cfg.n_head * cfg.d_head, cfg.n_kv_head * cfg.d_head
    shapes = {
        "wq": (d, q),
        "wk": (d, kv),
        "wv": (d, kv),
        "wo": (q, d),
        "w_gate": (d, cfg.d_ff),
        "w_up": (d, cfg.d_ff),
        "w_down": (cfg.d_ff, d),
    }
    if getattr(cfg, "ffn", "swiglu") != "swiglu":
        del shapes["w_gate"]
    return shapes


def lora_model_parameter_count(cfg, rank, targets="qv"):  # -> dict of ints
    """Trainable LoRA numbers over all n_layer blocks, for the target matrices at this rank.

    Each target matrix [d_in, d_out] gets rank * (d_in + d_out); rank is capped at min(d_in, d_out) per
    matrix. Returns lora (all layers), targeted (the full size of those matrices, all layers) and
    per_matrix {name: lora numbers for one block}.
    >>> from llm_core.model import ModelConfig
    >>> lora_model_parameter_count(ModelConfig(), rank=8)["lora"]  # 6 layers x (8 x (128+128) + 8 x (128+64))
    21504
    """
    if targets not in TARGETS:
        raise ValueError(f"targets must be one of {', '.join(TARGETS)}, got {targets!r}")
    if not (isinstance(rank, int) and rank >= 1):
        raise ValueError(f"rank must be a positive integer, got {rank!r}")
    shapes = block_linear_shapes(cfg)
    per_matrix = {name: min(rank, *shapes[name]) * sum(shapes[name]) for name in TARGETS[targets] if name in shapes}
    targeted = sum(shapes[name][0] * shapes[name][1] for name in per_matrix)
    return {
        "lora": cfg.n_layer * sum(per_matrix.values()),
        "targeted": cfg.n_layer * targeted,
        "per_matrix": per_matrix,
    }
