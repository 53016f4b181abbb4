"""llm_core.train and every layer's backward: central finite differences in float64, torch.autograd when
installed, and a 50-step training run against the same run in torch (a committed fixture, so it runs
without torch: tests/core/fixtures/training_reference.json, written by scripts/reference_training.py)."""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from llm_core.attention import (
    attention_backward,
    causal_mask,
    multi_head_attention,
    multi_head_attention_backward,
    scaled_dot_product_attention,
)
from llm_core.backprop import numerical_gradient
from llm_core.embeddings import embed, embed_backward
from llm_core.kv_cache import KVCache
from llm_core.ffn import swiglu, swiglu_backward
from llm_core.loss import cross_entropy, cross_entropy_backward
from llm_core.model import (
    BLOCK_WEIGHTS,
    ModelConfig,
    forward,
    random_weights,
    transformer_block,
    transformer_block_backward,
    unembed,
    unembed_backward,
)
from llm_core.norms import rms_norm, rms_norm_backward
from llm_core.rope import rope_cos_sin, rope_frequencies, rotate_pairs, rotate_pairs_backward
from llm_core.train import (
    TrainConfig,
    adamw_step,
    clip_by_global_norm,
    decays,
    forward_for_backward,
    global_norm,
    learning_rate,
    loss_and_grads,
    random_batch,
    train_step,
)
from tests.tolerances import forward_terms, rounding_tolerance

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "core" / "fixtures" / "training_reference.json"

# Long enough for RoPE to matter: at d_head 4 the fast pair turns 1 radian a position, so over 16
# positions it goes round more than twice, and the slow pair (0.01 rad) still turns 0.15 rad.
N_SEQ = 16


def assert_matches_finite_differences(analytic, f, x, what):
    """analytic against central finite differences of the float64 function f at x, entry by entry.

    With step 1e-6 the truncation error is ~1e-12 · f''' and the rounding error ~1e-16 · |f| / 1e-6: about
    1e-9 for the values here, against gradients of order 0.1-10; 1e-7 of the largest entry leaves room.
    """
    numerical = numerical_gradient(f, x)
    assert analytic.shape == x.shape, what
    np.testing.assert_allclose(analytic, numerical, rtol=0, atol=1e-7 * max(1.0, np.abs(numerical).max()), err_msg=what)


def weighted_sum(rng, shape):  # -> f(y) = sum(y * R) for a fixed random R, and R = dL/dy
    d_y = rng.normal(size=shape)
    return (lambda y: float(np.sum(y * d_y))), d_y


def test_rms_norm_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    x, weight = rng.normal(size=(2, 3, 6)), rng.normal(size=6)
    for eps in (1e-5, 0.5):  # a large eps too: the formula holds with it
        loss, d_y = weighted_sum(rng, x.shape)
        d_x, d_weight = rms_norm_backward(d_y, x, weight, eps)
        assert_matches_finite_differences(d_x, lambda v: loss(rms_norm(v, weight, eps)), x, f"d_x, eps {eps}")
        assert_matches_finite_differences(d_weight, lambda v: loss(rms_norm(x, v, eps)), weight, f"d_weight, eps {eps}")


def test_rope_backward_matches_finite_differences():
    rng = np.random.default_rng(2)
    cos, sin = rope_cos_sin(np.arange(N_SEQ), rope_frequencies(8))
    x = rng.normal(size=(3, N_SEQ, 8))  # 3 heads
    loss, d_y = weighted_sum(rng, x.shape)
    assert_matches_finite_differences(
        rotate_pairs_backward(d_y, cos, sin), lambda v: loss(rotate_pairs(v, cos, sin)), x, "rope"
    )


@pytest.mark.parametrize("causal", [True, False])
def test_attention_backward_matches_finite_differences(causal):
    rng = np.random.default_rng(3)
    q, k, v = (rng.normal(size=(2, 7, 4)) for _ in range(3))
    mask = causal_mask(7) if causal else None
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    loss, d_out = weighted_sum(rng, out.shape)
    d_q, d_k, d_v = attention_backward(d_out, q, k, v, weights)
    assert_matches_finite_differences(d_q, lambda a: loss(scaled_dot_product_attention(a, k, v, mask)[0]), q, "d_q")
    assert_matches_finite_differences(d_k, lambda a: loss(scaled_dot_product_attention(q, a, v, mask)[0]), k, "d_k")
    assert_matches_finite_differences(d_v, lambda a: loss(scaled_dot_product_attention(q, k, a, mask)[0]), v, "d_v")


# GQA, multi-query and multi-head attention on one sequence [n_seq, d_model]; GQA on a batch [2, n_seq, d_model]
@pytest.mark.parametrize("n_head,n_kv_head,n_batch", [(4, 2, None), (4, 1, None), (2, 2, None), (4, 2, 2)])
def test_multi_head_attention_backward_matches_finite_differences(n_head, n_kv_head, n_batch):
    rng = np.random.default_rng(4 + n_head + n_kv_head)
    d_model, d_head = 8, 4
    lead = () if n_batch is None else (n_batch,)
    x = rng.normal(size=(*lead, N_SEQ, d_model))
    w = {
        "w_q": rng.normal(0, 0.5, (d_model, n_head * d_head)),
        "w_k": rng.normal(0, 0.5, (d_model, n_kv_head * d_head)),
        "w_v": rng.normal(0, 0.5, (d_model, n_kv_head * d_head)),
        "w_o": rng.normal(0, 0.5, (n_head * d_head, d_model)),
    }
    rope = rope_cos_sin(np.arange(N_SEQ), rope_frequencies(d_head, 100.0))

    def attend(x, w):  # -> out [*lead, n_seq, d_model], trace stacked like it
        runs = [
            multi_head_attention(seq, *w.values(), n_head, n_kv_head, rope=rope)
            for seq in x.reshape(-1, N_SEQ, d_model)
        ]
        trace = {key: np.stack([t[key] for _, t in runs]).reshape(*lead, *runs[0][1][key].shape) for key in runs[0][1]}
        return np.stack([out for out, _ in runs]).reshape(x.shape), trace

    out, trace = attend(x, w)
    loss, d_out = weighted_sum(rng, out.shape)
    d_x, *d_w = multi_head_attention_backward(d_out, x, *w.values(), trace, rope)
    assert_matches_finite_differences(d_x, lambda v: loss(attend(v, w)[0]), x, "d_x")
    for (name, value), grad in zip(w.items(), d_w):
        assert_matches_finite_differences(grad, lambda v, name=name: loss(attend(x, {**w, name: v})[0]), value, name)


def test_swiglu_backward_matches_finite_differences():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 5, 6))
    w = {"w_gate": rng.normal(size=(6, 10)), "w_up": rng.normal(size=(6, 10)), "w_down": rng.normal(size=(10, 6))}
    out, trace = swiglu(x, *w.values())
    loss, d_out = weighted_sum(rng, out.shape)
    d_x, *d_w = swiglu_backward(d_out, x, *w.values(), trace)
    assert_matches_finite_differences(d_x, lambda v: loss(swiglu(v, *w.values())[0]), x, "d_x")
    for (name, value), grad in zip(w.items(), d_w):
        assert_matches_finite_differences(grad, lambda v, name=name: loss(swiglu(x, **{**w, name: v})[0]), value, name)


def test_embed_backward_matches_finite_differences():
    rng = np.random.default_rng(6)
    table, ids = rng.normal(size=(7, 4)), np.array([[3, 1, 3], [0, 3, 6]])  # 3 three times, 2, 4, 5 never
    loss, d_x = weighted_sum(rng, (2, 3, 4))
    d_table = embed_backward(d_x, ids, 7)
    assert_matches_finite_differences(d_table, lambda t: loss(embed(ids, t)), table, "d_table")
    assert not d_table[[2, 4, 5]].any()


def test_cross_entropy_backward_matches_finite_differences():
    rng = np.random.default_rng(7)
    logits, targets = rng.normal(0, 3, (6, 9)), rng.integers(0, 9, 6)
    d_logits = cross_entropy_backward(logits, targets)
    assert_matches_finite_differences(d_logits, lambda v: cross_entropy(v, targets)[0], logits, "d_logits")
    np.testing.assert_allclose(d_logits.sum(axis=-1), 0, atol=1e-15)


@pytest.mark.parametrize("tied", [True, False])
def test_unembed_backward_matches_finite_differences(tied):
    rng = np.random.default_rng(8)
    name = "tok_emb" if tied else "lm_head"
    weights = {name: rng.normal(size=(9, 5) if tied else (5, 9))}
    x = rng.normal(size=(2, 3, 5))
    loss, d_logits = weighted_sum(rng, (2, 3, 9))
    d_x, d_w = unembed_backward(d_logits, x, weights)
    assert list(d_w) == [name]
    assert_matches_finite_differences(d_x, lambda v: loss(unembed(v, weights)), x, "d_x")
    assert_matches_finite_differences(d_w[name], lambda v: loss(unembed(x, {name: v})), weights[name], name)


def small_config(**changes):
    return ModelConfig(
        **{
            "n_vocab": 13,
            "n_ctx": N_SEQ,
            "d_model": 8,
            "n_layer": 2,
            "n_head": 4,
            "n_kv_head": 2,
            "d_head": 4,
            "d_ff": 12,
            "rope_base": 100.0,
            **changes,
        }
    )


def float64_weights(cfg, rng):
    """random_weights in float64, moved off their start (norm gains 1, matrices tiny) so nothing is special."""
    return {k: v.astype(np.float64) + rng.normal(0, 0.3, v.shape) for k, v in random_weights(cfg, seed=3).items()}


def test_transformer_block_backward_matches_finite_differences():
    rng = np.random.default_rng(9)
    cfg = small_config()
    w = {name: value for name, value in float64_weights(cfg, rng).items() if name.startswith("layers.0.")}
    w = {name.removeprefix("layers.0."): value for name, value in w.items()}
    positions = np.arange(N_SEQ)
    rope = rope_cos_sin(positions, rope_frequencies(cfg.d_head, cfg.rope_base))
    x = rng.normal(size=(2, N_SEQ, cfg.d_model))

    def block(x, w):  # a batch, one sequence at a time -> mid, out, traces stacked
        runs = [transformer_block(seq, w, cfg, positions, rope) for seq in x]
        trace = {
            part: {key: np.stack([r[2][part][key] for r in runs]) for key in runs[0][2][part]}
            for part in ("attn", "ffn")
        }
        return np.stack([r[0] for r in runs]), np.stack([r[1] for r in runs]), trace

    mid, out, trace = block(x, w)
    loss, d_out = weighted_sum(rng, out.shape)
    d_x, d_w = transformer_block_backward(d_out, x, mid, w, cfg, rope, trace)
    assert list(d_w) == list(BLOCK_WEIGHTS)
    assert_matches_finite_differences(d_x, lambda v: loss(block(v, w)[1]), x, "d_x")
    for name in BLOCK_WEIGHTS:
        assert_matches_finite_differences(
            d_w[name], lambda v, name=name: loss(block(x, {**w, name: v})[1]), w[name], name
        )


@pytest.mark.parametrize("tied", [True, False])
def test_loss_and_grads_match_finite_differences(tied):
    """The whole model, two GQA layers over 16 positions, in float64: each weight's gradient along a random
    direction (all its entries at once) and at three random entries, against central differences."""
    rng = np.random.default_rng(10 + tied)
    cfg = small_config(tied_embeddings=tied)
    weights = float64_weights(cfg, rng)
    ids, targets = rng.integers(0, cfg.n_vocab, (2, N_SEQ)), rng.integers(0, cfg.n_vocab, (2, N_SEQ))
    loss, grads = loss_and_grads(weights, cfg, ids, targets)
    assert list(grads) == list(weights) and all(grads[k].shape == weights[k].shape for k in weights)

    def loss_with(name, value):
        return loss_and_grads({**weights, name: value}, cfg, ids, targets)[0]

    for name, value in weights.items():
        direction = rng.normal(size=value.shape)
        numerical = numerical_gradient(lambda t, name=name: loss_with(name, value + t[0] * direction), np.zeros(1))[0]
        assert float(np.sum(grads[name] * direction)) == pytest.approx(numerical, rel=1e-6, abs=1e-8), name
        for i in map(tuple, rng.integers(0, value.shape, (3, value.ndim))):

            def nudged(t, name=name, i=i):
                changed = value.copy()
                changed[i] += t[0]
                return loss_with(name, changed)

            assert grads[name][i] == pytest.approx(numerical_gradient(nudged, np.zeros(1))[0], rel=1e-6, abs=1e-9), (
                name,
                i,
            )


def test_the_batch_forward_is_each_sequences_own_forward():
    """forward_for_backward reads the whole batch in one pass: each sequence's logits and saved
    intermediates are model.forward's for that sequence alone, and no position sees another sequence."""
    cfg = small_config()
    weights = float64_weights(cfg, np.random.default_rng(12))
    ids = np.random.default_rng(13).integers(0, cfg.n_vocab, (3, N_SEQ))
    logits, saved = forward_for_backward(weights, cfg, ids)
    assert logits.shape == (3, N_SEQ, cfg.n_vocab) and saved["residual"].shape == (3, 2 * cfg.n_layer + 1, N_SEQ, 8)
    for b, seq in enumerate(ids):
        one, trace = forward(weights, cfg, seq, trace=True, lens=False)
        np.testing.assert_allclose(logits[b], one, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(saved["residual"][b], trace["residual"], rtol=1e-12, atol=1e-12)
        for i, layer in enumerate(trace["layers"]):
            for part, key in [("attn", key) for key in ("q", "k", "v", "weights", "heads")] + [("ffn", "gate")]:
                np.testing.assert_allclose(saved["layers"][i][part][key][b], layer[part][key], rtol=1e-12, atol=1e-12)
    other = ids.copy()
    other[0] = (other[0] + 1) % cfg.n_vocab  # another first sequence: the others' logits must not move
    assert np.array_equal(forward_for_backward(weights, cfg, other)[0][1:], logits[1:])
    with pytest.raises(ValueError, match="one sequence"):  # a KV cache holds one sequence, not a batch
        w = {name: weights[f"layers.0.{name}"] for name in BLOCK_WEIGHTS}
        cache = KVCache(cfg.n_layer, cfg.n_kv_head, cfg.d_head, cfg.n_ctx)
        transformer_block(weights["tok_emb"][ids], w, cfg, np.arange(N_SEQ), saved["rope"], cache)


def test_one_sequence_is_a_batch_of_one_and_float32_stays_float32():
    cfg = small_config()
    weights = random_weights(cfg, seed=0)
    ids = np.arange(10) % cfg.n_vocab
    loss, grads = loss_and_grads(weights, cfg, ids, ids[::-1])
    loss_b, grads_b = loss_and_grads(weights, cfg, ids[None], ids[::-1][None])
    assert loss == loss_b and all(np.array_equal(grads[k], grads_b[k]) for k in grads)
    assert all(g.dtype == np.float32 for g in grads.values())
    with pytest.raises(ValueError, match="one shape"):
        loss_and_grads(weights, cfg, ids, ids[:-1])
    with pytest.raises(ValueError, match="token ids"):
        loss_and_grads(weights, cfg, ids, ids + cfg.n_vocab)
    with pytest.raises(ValueError, match="context"):
        loss_and_grads(weights, cfg, np.zeros(N_SEQ + 1, int), np.zeros(N_SEQ + 1, int))


def gradient_tolerance(cfg, n_batch, n_seq, grads):
    """How far a float32 gradient may be from the same gradient computed another way (float64, or torch),
    per weight: 2 γ_n of that weight's largest entry (tests/tolerances.py's rule).

    n, the terms summed along the longest chain to one gradient entry: the forward pass to the logits
    (forward_terms), the backward pass through the same layers (each backward step sums over the axis its
    forward step summed over, or the one it broadcast along: about as many terms again), and a weight's
    gradient adds up every position of the batch (n_batch n_seq). The magnitude should be the sum of the
    |terms|; the largest |entry| stands in for it (gradient sums cancel, so it can be smaller): measured
    differences are ~5e-7 of it, against 2 γ_n ~ 1.6e-4 for the config below.
    """
    n_terms = 2 * forward_terms(cfg, n_seq, logits=True) + n_batch * n_seq
    return {name: float(rounding_tolerance(n_terms, np.abs(g).max())) for name, g in grads.items()}


def loss_tolerance(weights, cfg, ids):
    """How far a float32 mean cross-entropy may move between two computations: each position's loss is a
    logit minus the log of a sum of exps, so at most twice the logits' rounding tolerance."""
    logits = np.stack([forward(weights, cfg, seq)[0] for seq in ids])
    return float(2 * rounding_tolerance(forward_terms(cfg, ids.shape[1], logits=True), np.abs(logits).max()))


def torch_config():
    return ModelConfig(n_vocab=40, n_ctx=32, d_model=32, n_layer=2, n_head=4, n_kv_head=2, d_head=8, d_ff=48)


def float32_batch(cfg, seed):  # -> weights moved off their start, ids, targets [3, 20]
    rng = np.random.default_rng(seed)
    weights = {
        k: (v + rng.normal(0, 0.1 if v.ndim == 1 else 0.05, v.shape)).astype(np.float32)
        for k, v in random_weights(cfg, seed=seed).items()
    }
    return weights, rng.integers(0, cfg.n_vocab, (3, 20)), rng.integers(0, cfg.n_vocab, (3, 20))


def test_float32_gradients_are_float64_ones_up_to_rounding():
    cfg = torch_config()
    weights, ids, targets = float32_batch(cfg, 11)
    loss, grads = loss_and_grads(weights, cfg, ids, targets)
    loss64, grads64 = loss_and_grads({k: v.astype(np.float64) for k, v in weights.items()}, cfg, ids, targets)
    assert loss == pytest.approx(loss64, abs=loss_tolerance(weights, cfg, ids))
    tol = gradient_tolerance(cfg, *ids.shape, grads64)
    for name in weights:
        np.testing.assert_allclose(grads[name], grads64[name], rtol=0, atol=tol[name], err_msg=name)


@pytest.mark.parametrize("tied", [True, False])
def test_gradients_match_torch_autograd(tied):
    torch = pytest.importorskip(
        "torch",
        reason="torch is not installed (only .venv-train has it: `make training-reference` makes it); the finite "
        "differences above and the 50-step torch fixture below still run",
    )
    sys.path.insert(0, str(ROOT / "scripts"))
    import train  # scripts/train.py: TinyLlama, the torch model written with torch ops

    cfg = ModelConfig(**{**torch_config().__dict__, "tied_embeddings": tied})
    weights, ids, targets = float32_batch(cfg, 12)
    loss, grads = loss_and_grads(weights, cfg, ids, targets)

    model = train.TinyLlama(cfg)
    train.import_weights(model, weights)
    logits = model(torch.from_numpy(ids))
    torch_loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, cfg.n_vocab), torch.from_numpy(targets).reshape(-1)
    )
    torch_loss.backward()
    params = dict(model.named_parameters())
    expected = {}
    for name, w in weights.items():
        g = params[f"{name}.weight"].grad.numpy()
        expected[name] = g.T if g.ndim == 2 and name != "tok_emb" else g  # torch.nn.Linear stores [d_out, d_in]

    assert loss == pytest.approx(torch_loss.item(), abs=loss_tolerance(weights, cfg, ids))
    # the relative tolerance: rounding's bound for float32 sums of this length (gradient_tolerance's comment)
    tol = gradient_tolerance(cfg, *ids.shape, expected)
    for name in weights:
        np.testing.assert_allclose(grads[name], expected[name], rtol=0, atol=tol[name], err_msg=name)


def test_learning_rate_warms_up_linearly_then_decays_on_a_cosine():
    hp = TrainConfig(steps=110, lr=0.1, warmup=10, min_lr_ratio=0.2)
    assert [learning_rate(s, hp) for s in range(10)] == pytest.approx([0.01 * (s + 1) for s in range(10)])
    assert learning_rate(10, hp) == pytest.approx(0.1)  # the peak, then the cosine starts
    assert learning_rate(60, hp) == pytest.approx(0.1 * (0.2 + 0.8 * 0.5))  # half way: cos(pi / 2) = 0
    assert learning_rate(110, hp) == pytest.approx(0.02) and learning_rate(500, hp) == pytest.approx(0.02)
    lrs = [learning_rate(s, hp) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    assert learning_rate(0, TrainConfig(warmup=0, lr=0.3)) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        TrainConfig(lr=0)


def test_clip_by_global_norm():
    rng = np.random.default_rng(13)
    grads = {"a": rng.normal(size=(3, 4)).astype(np.float32), "b": rng.normal(size=5).astype(np.float32)}
    everything = np.concatenate([g.ravel() for g in grads.values()]).astype(np.float64)
    clipped, norm = clip_by_global_norm(grads, 0.5)
    assert norm == pytest.approx(np.linalg.norm(everything), rel=1e-12)
    assert global_norm(clipped) == pytest.approx(0.5, rel=1e-5)
    for name in grads:  # the direction is kept
        np.testing.assert_allclose(clipped[name], grads[name] * (0.5 / norm), rtol=1e-6)
        assert clipped[name].dtype == np.float32
    unchanged, same_norm = clip_by_global_norm(grads, 10 * norm)
    assert same_norm == norm and all(np.array_equal(unchanged[k], grads[k]) for k in grads)
    assert clip_by_global_norm(grads, 0)[0] is grads


def test_adamw_step_is_the_papers_algorithm():
    """Three steps against AdamW written out per entry (Loshchilov & Hutter 2019, Algorithm 2, with the
    decay scaled by the learning rate as torch.optim.AdamW does); the norm gain is not decayed."""
    rng = np.random.default_rng(14)
    hp = TrainConfig(weight_decay=0.3, beta1=0.8, beta2=0.9, eps=1e-3)
    weights = {"layers.0.wq": rng.normal(size=(2, 3)), "final_norm": rng.normal(size=3)}
    naive = {name: [list(w.ravel()), [0.0] * w.size, [0.0] * w.size] for name, w in weights.items()}  # x, m, v
    state = {}
    for t, lr in enumerate([0.1, 0.05, 0.2], start=1):
        grads = {name: rng.normal(size=w.shape) for name, w in weights.items()}
        weights, state = adamw_step(weights, grads, state, lr, hp)
        for name, (x, m, v) in naive.items():
            decay = hp.weight_decay if name == "layers.0.wq" else 0.0
            for i, g in enumerate(grads[name].ravel()):
                m[i] = hp.beta1 * m[i] + (1 - hp.beta1) * g
                v[i] = hp.beta2 * v[i] + (1 - hp.beta2) * g * g
                m_hat, v_hat = m[i] / (1 - hp.beta1**t), v[i] / (1 - hp.beta2**t)
                x[i] = x[i] * (1 - lr * decay) - lr * m_hat / (math.sqrt(v_hat) + hp.eps)
    for name, (x, _, _) in naive.items():
        np.testing.assert_allclose(weights[name].ravel(), x, rtol=1e-12, err_msg=name)
    assert decays("tok_emb", (5, 4)) and decays("layers.3.w_down", (6, 4)) and not decays("final_norm", (4,))


def test_random_batch_takes_consecutive_windows():
    tokens = np.arange(100, 150)
    ids, targets = random_batch(tokens, 8, 5, np.random.default_rng(0))
    assert ids.shape == targets.shape == (5, 8) and ids.dtype == np.int64
    assert np.all(np.diff(ids, axis=1) == 1) and np.all(targets == ids + 1) and targets.max() <= 149
    again = random_batch(tokens, 8, 5, np.random.default_rng(0))
    assert np.array_equal(again[0], ids)
    assert random_batch(tokens[:9], 8, 3, np.random.default_rng(1))[0].tolist() == [list(range(100, 108))] * 3
    with pytest.raises(ValueError, match="at least"):
        random_batch(tokens[:8], 8, 1, np.random.default_rng(0))


def test_fifty_training_steps_match_torch():
    """The numpy run of scripts/reference_training.py's torch run: same initial weights, same windows, same
    AdamW, schedule and clipping; the loss at every step within 1e-4 of torch's (measured: 7e-7 here)."""
    fixture = json.loads(FIXTURE.read_text())
    cfg, hp = ModelConfig(**fixture["config"]), TrainConfig(**fixture["train"])
    weights, state = random_weights(cfg, seed=fixture["init_seed"]), {}
    tokens, n_seq = np.array(fixture["tokens"]), fixture["n_seq"]
    assert len(fixture["starts"]) == hp.steps == 50
    losses = []
    for step, starts in enumerate(fixture["starts"]):
        windows = tokens[np.array(starts)[:, None] + np.arange(n_seq + 1)]  # [n_batch, n_seq + 1]
        weights, state, stats = train_step(weights, state, cfg, windows[:, :-1], windows[:, 1:], step, hp)
        assert stats["loss"] == pytest.approx(fixture["loss"][step], abs=1e-4), f"step {step}"
        assert stats["grad_norm"] == pytest.approx(fixture["grad_norm"][step], rel=1e-4), f"step {step}"
        assert stats["lr"] == pytest.approx(fixture["lr"][step], rel=1e-12), f"step {step}"  # torch's own schedule
        losses.append(stats["loss"])
    assert losses[0] == pytest.approx(math.log(cfg.n_vocab), abs=0.1)  # untrained: about uniform
    assert losses[-1] < losses[0] - 1.5  # and it learned
    assert all(w.dtype == np.float32 for w in weights.values())
