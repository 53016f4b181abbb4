"""Training the model: the loss's gradient with respect to every weight, and the steps that follow it.

loss_and_grads runs the model's own forward pass (model.forward's steps, over the whole batch at once,
keeping the blocks' traces: everything the backward needs is in them) and then every layer's backward in
reverse order, each written by hand next to the forward it undoes:

    loss.cross_entropy_backward      d logits = (softmax - onehot) / n
    model.unembed_backward           the tied output matrix (the embedding table, transposed)
    norms.rms_norm_backward          the final norm, and each sub-layer's pre-norm
    model.transformer_block_backward per block, in reverse: swiglu_backward, then
                                     attention.multi_head_attention_backward (with rope's
                                     rotate_pairs_backward inside)
    embeddings.embed_backward        the lookup: each position's gradient added to its token's row

With tied embeddings the table gets two gradients, the lookup's and the unembedding's, added.

A training step (train_step) then clips the gradient to a largest global norm, reads the learning rate
off the schedule (linear warm-up, cosine decay) and takes an AdamW step (Loshchilov & Hutter 2019,
arXiv:1711.05101: Adam, optimizers.adam_step, plus weight decay applied to the weights directly rather
than added to the gradient). Every function is pure: weights and optimizer state go in, new ones come
out, so a caller (the page's trainer) can run any number of steps per call and keep the state between.

Float32 by default, like the model; float64 weights give float64 gradients (the finite-difference
checks run so). The gradients are checked against central finite differences layer by layer and
against torch.autograd for the whole model, and a 50-step run against the same run in torch
(tests/core/test_train.py).

>>> from llm_core.model import ModelConfig, random_weights
>>> cfg = ModelConfig(n_vocab=16, n_ctx=8, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)
>>> loss, grads = loss_and_grads(random_weights(cfg), cfg, [[1, 2, 3], [4, 5, 6]], [[2, 3, 4], [5, 6, 7]])
>>> round(loss, 2), grads["layers.0.wq"].shape  # untrained: about log(16) = 2.77
(2.78, (8, 8))
"""

import math
from dataclasses import dataclass

import numpy as np

from .embeddings import embed_backward
from .loss import cross_entropy, cross_entropy_backward
from .model import BLOCK_WEIGHTS, n_params, transformer_block, transformer_block_backward, unembed, unembed_backward
from .norms import rms_norm, rms_norm_backward
from .optimizers import adam_step
from .rope import rope_cos_sin, rope_frequencies


def as_batch(ids, targets, cfg):  # [n_seq] or [n_batch, n_seq] (both) -> int64 [n_batch, n_seq] x 2
    """ids and their targets (the next tokens) as a batch of sequences; one sequence is a batch of one."""
    ids, targets = np.asarray(ids, dtype=np.int64), np.asarray(targets, dtype=np.int64)
    if ids.ndim == 1:
        ids, targets = ids[None], targets[None]
    if ids.ndim != 2 or ids.shape != targets.shape or ids.size == 0:
        raise ValueError(
            f"need ids and targets of one shape, [n_seq] or [n_batch, n_seq], got {ids.shape}, {targets.shape}"
        )
    if ids.shape[1] > cfg.n_ctx:
        raise ValueError(f"sequences of {ids.shape[1]} tokens exceed the context n_ctx = {cfg.n_ctx}")
    if min(ids.min(), targets.min()) < 0 or max(ids.max(), targets.max()) >= cfg.n_vocab:
        raise ValueError(f"token ids must be in [0, {cfg.n_vocab})")
    return ids, targets


def forward_for_backward(weights, cfg, ids):  # int [n_batch, n_seq] -> [n_batch, n_seq, n_vocab], saved
    """The model's forward pass (model.forward's steps: embed, transformer_block per layer, final norm,
    unembed) over the whole batch at once, and what the backward needs.

    Each sequence attends only within itself (attention runs per sequence along the leading batch axis),
    so the logits are model.forward's for each sequence on its own; reading the batch in one pass makes
    each weight's product one call over every position instead of n_batch calls (in the page each numpy
    call has a fixed cost that small products do not hide).

    saved: residual [n_batch, 2 n_layer + 1, n_seq, d_model] (the stream before each sub-layer, and the
    last one); layers, per layer {"attn": q, k, v, weights, heads; "ffn": gate, up, ...}, each
    [n_batch, ...]; rope, the (cos, sin) tables every layer rotated by.
    """
    positions = np.arange(ids.shape[1])
    x = weights["tok_emb"][ids]  # [n_batch, n_seq] -> [n_batch, n_seq, d_model]
    rope = rope_cos_sin(positions, rope_frequencies(cfg.d_head, cfg.rope_base), x.dtype)  # [n_seq, d_head] x 2
    residual, layers = [x], []
    for i in range(cfg.n_layer):
        w = {name: weights[f"layers.{i}.{name}"] for name in BLOCK_WEIGHTS}
        mid, x, layer = transformer_block(x, w, cfg, positions, rope)
        residual += [mid, x]
        layers.append(layer)
    logits = unembed(rms_norm(x, weights["final_norm"], cfg.norm_eps), weights)
    # (2 n_layer + 1) x [n_batch, n_seq, d_model] -> [n_batch, 2 n_layer + 1, n_seq, d_model]
    return logits, {"residual": np.stack(residual, axis=1), "layers": layers, "rope": rope}


def loss_and_grads(weights, cfg, ids, targets):  # -> float, {name: array}
    """The mean cross-entropy of predicting targets from ids, and its gradient with respect to every weight.

    ids, targets: int [n_batch, n_seq] (a batch of sequences, each read on its own from position 0) or
    [n_seq] (one sequence); targets[b, t] is the token that should follow ids[b, :t + 1]. The loss is the
    mean over all n_batch * n_seq positions. grads: keyed and shaped like weights, in their dtype.
    """
    ids, targets = as_batch(ids, targets, cfg)
    logits, saved = forward_for_backward(weights, cfg, ids)
    n_batch, n_seq, n_vocab = logits.shape
    loss, _ = cross_entropy(logits.reshape(-1, n_vocab), targets.reshape(-1))
    d_logits = cross_entropy_backward(logits.reshape(-1, n_vocab), targets.reshape(-1)).reshape(logits.shape)

    residual = saved["residual"]  # [n_batch, 2 n_layer + 1, n_seq, d_model]
    x = residual[:, -1]
    d_normed, grads = unembed_backward(d_logits, rms_norm(x, weights["final_norm"], cfg.norm_eps), weights)
    d_x, grads["final_norm"] = rms_norm_backward(d_normed, x, weights["final_norm"], cfg.norm_eps)
    for i in reversed(range(cfg.n_layer)):
        w = {name: weights[f"layers.{i}.{name}"] for name in BLOCK_WEIGHTS}
        block_in, mid = residual[:, 2 * i], residual[:, 2 * i + 1]
        d_x, d_w = transformer_block_backward(d_x, block_in, mid, w, cfg, saved["rope"], saved["layers"][i])
        grads.update({f"layers.{i}.{name}": g for name, g in d_w.items()})
    d_table = embed_backward(d_x, ids, n_vocab)
    grads["tok_emb"] = grads["tok_emb"] + d_table if "tok_emb" in grads else d_table  # tied: both uses add
    return loss, {name: grads[name].astype(weights[name].dtype, copy=False) for name in weights}


@dataclass(frozen=True)
class TrainConfig:
    """How to train: AdamW's settings, the learning-rate schedule and clipping (the defaults: those of
    scripts/train.py, which trained the tiny model)."""

    steps: int = 1000  # length of the schedule: the cosine reaches its floor after this many steps
    lr: float = 2e-3  # peak learning rate, reached at the end of the warm-up
    warmup: int = 100  # steps of linear warm-up
    min_lr_ratio: float = 0.1  # the cosine decays to this fraction of lr
    weight_decay: float = 0.1  # decoupled: each step, a decaying weight shrinks by lr * weight_decay of itself
    beta1: float = 0.9  # Adam's running mean of the gradient
    beta2: float = 0.95  # and of its square (0.95, not Adam's 0.999: Llama, GPT-3; reacts faster to spikes)
    eps: float = 1e-8
    grad_clip: float = 1.0  # largest global gradient norm; 0: no clipping

    def __post_init__(self):
        if not (isinstance(self.steps, int) and self.steps > 0 and isinstance(self.warmup, int) and self.warmup >= 0):
            raise ValueError(f"need steps > 0 and warmup >= 0 (whole numbers), got {self.steps}, {self.warmup}")
        if not (self.lr > 0 and 0 <= self.min_lr_ratio <= 1 and self.weight_decay >= 0 and self.grad_clip >= 0):
            raise ValueError("need lr > 0, 0 <= min_lr_ratio <= 1, weight_decay >= 0, grad_clip >= 0")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1 and self.eps > 0):
            raise ValueError(f"need 0 <= beta1, beta2 < 1 and eps > 0, got {self.beta1}, {self.beta2}, {self.eps}")


def learning_rate(step, hp):  # step counted from 0 -> float
    """Linear warm-up to hp.lr over the first hp.warmup steps, then a cosine down to hp.min_lr_ratio * hp.lr,
    reached at step hp.steps (just after the last step, as in nanoGPT and scripts/train.py), flat after it.

    Warm-up: Adam's second-moment estimate is noisy for the first steps (few gradients averaged), so
    full-size steps then can throw the weights far; ramping up avoids it (Goyal et al. 2017,
    arXiv:1706.02677; Liu et al. 2020, arXiv:1908.03265). Cosine decay (Loshchilov & Hutter 2017,
    arXiv:1608.03983): large steps while far from a minimum, small ones to settle into it.

    >>> hp = TrainConfig(steps=11, lr=1.0, warmup=1, min_lr_ratio=0.0)
    >>> [round(learning_rate(s, hp), 3) for s in (0, 1, 6, 11, 20)]
    [1.0, 1.0, 0.5, 0.0, 0.0]
    """
    if step < hp.warmup:
        return hp.lr * (step + 1) / hp.warmup
    progress = min(1.0, (step - hp.warmup) / max(1, hp.steps - hp.warmup))
    return hp.lr * (hp.min_lr_ratio + (1 - hp.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def decays(name, shape):  # a weight's name and shape -> bool
    """Whether AdamW's weight decay applies: to the matrices (the embedding table and every projection),
    not to the norms' gains (the 1-D weights).

    Decay pulls a weight toward 0, limiting how large the matrices grow. A gain multiplies a vector just
    normalised to root mean square 1: its natural value is 1 (where training starts it), and pulling it
    toward 0 would shrink every sub-layer's input rather than simplify anything. So Llama-style training
    leaves gains (and biases, which this model has none of) undecayed: nanoGPT, and scripts/train.py.
    """
    return len(shape) >= 2


def global_norm(grads):  # {name: array} -> float
    """sqrt of the sum of every gradient entry squared: the length of the whole gradient as one vector."""
    return math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values()))


def clip_by_global_norm(grads, max_norm):  # -> {name: array}, float
    """Scale the whole gradient down so its global norm is at most max_norm (Pascanu et al. 2013,
    arXiv:1211.5063); its direction is kept. Returns (clipped grads, the norm before clipping).

    As torch.nn.utils.clip_grad_norm_: the factor is max_norm / (norm + 1e-6), capped at 1, so a gradient
    within the limit is unchanged. max_norm 0 or None: no clipping (the norm is still returned).

    >>> clipped, norm = clip_by_global_norm({"a": np.array([3.0]), "b": np.array([4.0])}, 1.0)
    >>> norm, round(global_norm(clipped), 6)
    (5.0, 1.0)
    """
    norm = global_norm(grads)
    if not max_norm:
        return grads, norm
    factor = min(1.0, max_norm / (norm + 1e-6))
    return {name: g * np.asarray(factor, dtype=g.dtype) for name, g in grads.items()}, norm


def adamw_step(weights, grads, state, lr, hp):  # -> new weights, new state
    """One AdamW step for every weight: decay (the weights that `decays`), then Adam (optimizers.adam_step).

    state: {name: adam_step's state} ({} at the start). Decoupled weight decay shrinks w to
    w (1 - lr * weight_decay) before the Adam step, as torch.optim.AdamW does, instead of adding
    weight_decay * w to the gradient, where Adam's per-coordinate scaling would weaken it exactly for the
    weights with large gradients (Loshchilov & Hutter 2019, section 2).
    """
    new_weights, new_state = {}, {}
    for name, w in weights.items():
        if decays(name, w.shape) and hp.weight_decay:
            w = w * np.asarray(1 - lr * hp.weight_decay, dtype=w.dtype)
        new_weights[name], new_state[name] = adam_step(
            w, grads[name], state.get(name, {}), lr, hp.beta1, hp.beta2, hp.eps
        )
    return new_weights, new_state


def train_step(weights, state, cfg, ids, targets, step, hp):  # -> new weights, new state, stats
    """One training step on a batch: loss and gradients, clipping, the scheduled learning rate, AdamW.

    weights, state: the model's weights and the optimizer's state ({} before the first step); ids,
    targets as in loss_and_grads; step: how many steps came before (0 first), for the schedule.
    stats: loss (before the step), grad_norm (before clipping), lr (the rate used).
    """
    loss, grads = loss_and_grads(weights, cfg, ids, targets)
    grads, norm = clip_by_global_norm(grads, hp.grad_clip)
    lr = learning_rate(step, hp)
    weights, state = adamw_step(weights, grads, state, lr, hp)
    return weights, state, {"loss": loss, "grad_norm": norm, "lr": lr}


def random_batch(tokens, n_seq, n_batch, rng):  # [n_tokens] int -> ids, targets int64 [n_batch, n_seq]
    """n_batch windows of n_seq + 1 consecutive tokens at random places: ids, and targets shifted by one.

    >>> ids, targets = random_batch(np.arange(10), 3, 2, np.random.default_rng(0))
    >>> bool(np.all(targets == ids + 1)), ids.shape
    (True, (2, 3))
    """
    tokens = np.asarray(tokens, dtype=np.int64)
    if len(tokens) < n_seq + 1:
        raise ValueError(f"need at least n_seq + 1 = {n_seq + 1} tokens for one window, got {len(tokens)}")
    starts = rng.integers(0, len(tokens) - n_seq, size=n_batch)
    windows = tokens[starts[:, None] + np.arange(n_seq + 1)]  # [n_batch, n_seq + 1]
    return windows[:, :-1], windows[:, 1:]


def mean_loss(weights, cfg, ids, targets):  # int [n_batch, n_seq] x 2 -> float
    """The mean cross-entropy of a batch, forward only (no gradients): a held-out loss.

    >>> from llm_core.model import ModelConfig, random_weights
    >>> cfg = ModelConfig(n_vocab=16, n_ctx=8, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)
    >>> w = random_weights(cfg)
    >>> mean_loss(w, cfg, [[1, 2, 3]], [[2, 3, 4]]) == loss_and_grads(w, cfg, [[1, 2, 3]], [[2, 3, 4]])[0]
    True
    """
    ids, targets = as_batch(ids, targets, cfg)
    logits, _ = forward_for_backward(weights, cfg, ids)  # [n_batch, n_seq, n_vocab]
    return cross_entropy(logits.reshape(-1, cfg.n_vocab), targets.reshape(-1))[0]


def step_flops(cfg, n_batch, n_seq):  # -> int
    """Floating-point operations of one training step (forward and backward) on n_batch x n_seq tokens.

    6 per parameter per token (2 for the forward's multiply-add, 4 for the backward's two: the gradient
    of the input and of the weight; Kaplan et al. 2020, arXiv:2001.08361, section 2.1), plus attention's
    scores and weighted sum, which have no parameters: 2 matrix products of n_seq x n_seq x d_head per head
    and layer, forward, three times that with the backward (PaLM, Chowdhery et al. 2022, arXiv:2204.02311,
    appendix B: 6 N + 12 n_layer n_head d_head n_seq per token; counted over the full square, as there).

    >>> from llm_core.model import ModelConfig
    >>> cfg = ModelConfig(n_vocab=16, n_ctx=8, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)
    >>> step_flops(cfg, 2, 8) == 6 * n_params(cfg) * 16 + 12 * 1 * 2 * 4 * 8 * 16
    True
    """
    n_tokens = n_batch * n_seq
    return 6 * n_params(cfg) * n_tokens + 12 * cfg.n_layer * cfg.n_head * cfg.d_head * n_seq * n_tokens


def divergence(loss, weights, max_loss):  # -> str, or None while training is healthy
    """Why a run must stop, in a sentence: a loss that is not a number or has exploded past max_loss, or
    weights that overflowed. None when all is well.

    >>> divergence(float("nan"), {}, 10.0)
    'the loss is not a number: the steps were too large and the weights overflowed'
    >>> divergence(3.0, {"w": np.ones(2)}, 10.0) is None
    True
    """
    if not math.isfinite(loss):
        return "the loss is not a number: the steps were too large and the weights overflowed"
    if loss > max_loss:
        return f"the loss exploded to {loss:.1f} nats, above {max_loss:.1f}: worse than guessing"
    if not all(np.isfinite(w).all() for w in weights.values()):
        return "a weight overflowed (too large for a float32)"
    return None


def training_run(weights, cfg, tokens, hp, n_batch, rng, max_loss=math.inf):  # generator
    """The training loop, one step per next(): random windows of tokens, train_step, a divergence check.

    Yields (step, weights, stats) after each step (step counted from 1; stats as train_step's), for
    hp.steps steps. A caller runs as many as it likes per call and keeps the generator between calls (the
    page's trainer runs a few per call, so the page stays responsive). If a step's loss is NaN or above
    max_loss, or the weights it produced overflow, the run stops: the last yield then holds the last good
    weights (those whose loss was still fine, and the step they were reached at) and stats["stopped"]
    says why.

    >>> from llm_core.model import ModelConfig, random_weights
    >>> cfg = ModelConfig(n_vocab=16, n_ctx=4, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)
    >>> run = training_run(random_weights(cfg), cfg, np.arange(40) % 16, TrainConfig(steps=3, warmup=1), 2,
    ...                    np.random.default_rng(0))
    >>> [step for step, _, _ in run]
    [1, 2, 3]
    """
    state, previous = {}, (0, weights)
    for step in range(hp.steps):
        ids, targets = random_batch(tokens, cfg.n_ctx, n_batch, rng)
        new_weights, new_state, stats = train_step(weights, state, cfg, ids, targets, step, hp)
        why = divergence(stats["loss"], {}, max_loss) or divergence(stats["grad_norm"], {}, math.inf)
        if why:  # the loss of these weights broke: the ones before them are the last good ones
            yield *previous, {**stats, "stopped": why}
            return
        why = divergence(stats["loss"], new_weights, max_loss)
        if why:  # this step's update overflowed: these weights (whose loss was fine) are the last good ones
            yield step, weights, {**stats, "stopped": why}
            return
        previous = (step, weights)
        weights, state = new_weights, new_state
        yield step + 1, weights, stats
