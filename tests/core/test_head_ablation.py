"""llm_core.model.ablate_heads: the model with heads switched off equals a naive forward pass that loops over
heads and positions and leaves those heads' terms out; and chapter 6's example of it on the tiny model, whose
numbers the chapter states (pinned here)."""

import math
from pathlib import Path

import numpy as np
import pytest

from llm_core.activations import softmax
from llm_core.model import BLOCK_WEIGHTS, ModelConfig, ablate_heads, ablation_effect, forward, random_weights
from llm_core.models import tiny_model
from llm_core.norms import rms_norm
from llm_core.rope import apply_rope, rope_frequencies

CFG = ModelConfig(n_vocab=32, n_ctx=16, d_model=16, n_layer=2, n_head=4, n_kv_head=2, d_head=4, d_ff=24)
CHAPTER = Path(__file__).resolve().parents[2] / "chapters" / "06-multi-head-attention.md"
PROMPT = "I ask the Congress to act, and I ask the Congress to act now. The Congress has the power."


def naive_forward(weights, cfg, ids, off):  # -> [n_seq, n_vocab]: every head and position by a loop
    n = len(ids)
    x = weights["tok_emb"][ids]
    freqs = rope_frequencies(cfg.d_head, cfg.rope_base)
    group = cfg.n_head // cfg.n_kv_head
    for layer in range(cfg.n_layer):
        w = {name: weights[f"layers.{layer}.{name}"] for name in BLOCK_WEIGHTS}
        xn = rms_norm(x, w["attn_norm"], cfg.norm_eps)
        attn = np.zeros_like(x)
        for h in range(cfg.n_head):
            if (layer, h) in off:
                continue
            kv = h // group
            q = apply_rope(xn @ w["wq"][:, h * cfg.d_head : (h + 1) * cfg.d_head], np.arange(n), freqs)
            k = apply_rope(xn @ w["wk"][:, kv * cfg.d_head : (kv + 1) * cfg.d_head], np.arange(n), freqs)
            v = xn @ w["wv"][:, kv * cfg.d_head : (kv + 1) * cfg.d_head]
            for i in range(n):
                scores = [q[i] @ k[j] / math.sqrt(cfg.d_head) for j in range(i + 1)]
                weights_i = np.exp(np.array(scores) - max(scores))
                weights_i /= weights_i.sum()
                head_out = sum(weights_i[j] * v[j] for j in range(i + 1))
                attn[i] += head_out @ w["wo"][h * cfg.d_head : (h + 1) * cfg.d_head]
        x = x + attn
        xn = rms_norm(x, w["ffn_norm"], cfg.norm_eps)
        gate = xn @ w["w_gate"]
        x = x + (gate / (1 + np.exp(-gate)) * (xn @ w["w_up"])) @ w["w_down"]
    return rms_norm(x, weights["final_norm"], cfg.norm_eps) @ weights["tok_emb"].T


@pytest.mark.parametrize("off", [set(), {(0, 1)}, {(1, 3)}, {(0, 0), (0, 2), (1, 1)}, {(0, h) for h in range(4)}])
def test_ablation_equals_a_naive_loop_without_those_heads(off):
    weights = {k: v.astype(np.float64) for k, v in random_weights(CFG, seed=3).items()}
    weights = {k: v * 8 if k.endswith(("wq", "wk")) else v for k, v in weights.items()}  # sharper attention
    ids = [5, 1, 30, 7, 7, 2, 19, 0, 11]
    logits, _ = forward(ablate_heads(weights, CFG, sorted(off)), CFG, ids)
    np.testing.assert_allclose(logits, naive_forward(weights, CFG, ids, off), rtol=0, atol=1e-12)


def test_ablation_changes_the_output_and_leaves_the_weights_alone():
    weights = random_weights(CFG, seed=4)
    before = {k: v.copy() for k, v in weights.items()}
    ablated = ablate_heads(weights, CFG, [(1, 2)])
    assert all(np.array_equal(weights[k], before[k]) for k in weights)
    assert not np.array_equal(forward(ablated, CFG, [1, 2, 3])[0], forward(weights, CFG, [1, 2, 3])[0])
    assert np.all(ablated["layers.1.wo"][8:12] == 0) and np.array_equal(
        ablated["layers.1.wo"][:8], before["layers.1.wo"][:8]
    )
    with pytest.raises(ValueError, match="no head 4 in layer 0"):
        ablate_heads(weights, CFG, [(0, 4)])


def test_ablation_effect_by_hand():
    weights = random_weights(CFG, seed=5)
    ids = [3, 9, 9, 1]
    p, p_off, tv = ablation_effect(weights, CFG, ids, [(0, 1), (1, 0)])
    np.testing.assert_allclose(p, softmax(forward(weights, CFG, ids)[0].astype(np.float64)), rtol=1e-12)
    ablated = forward(ablate_heads(weights, CFG, [(0, 1), (1, 0)]), CFG, ids)[0].astype(np.float64)
    np.testing.assert_allclose(p_off, softmax(ablated), rtol=1e-12)
    for i in range(len(ids)):
        assert tv[i] == pytest.approx(sum(abs(a - b) for a, b in zip(p[i], p_off[i])) / 2)
    assert np.all(ablation_effect(weights, CFG, ids, [])[2] == 0)


def head_effects():  # -> {(layer, head): (positions whose top token changes, mean total variation)}, n_seq
    model = tiny_model()
    ids = model.encoding.encode_ordinary(PROMPT)
    effects = {}
    for layer in range(model.cfg.n_layer):
        for head in range(model.cfg.n_head):
            p, p_off, tv = ablation_effect(model.weights, model.cfg, ids, [(layer, head)])
            effects[layer, head] = int(np.sum(p.argmax(-1) != p_off.argmax(-1))), float(tv.mean())
    return effects, len(ids)


def test_the_chapters_ablation_numbers():
    """Chapter 6 states what switching off each head does to the default text's next-token predictions."""
    text = " ".join(CHAPTER.read_text().split())  # the prose with its line breaks as spaces
    model = tiny_model()
    assert f"its {model.cfg.d_head} rows of $W_O$" in text
    effects, n_seq = head_effects()
    changed, tv = effects[4, 0]
    assert f"changes the top prediction at {changed} of the {n_seq} positions" in text
    assert f"moves {round(100 * tv)}% of the probability on average" in text
    assert f"changes {changed} of {n_seq} top predictions" in text  # the takeaway
    ids = model.encoding.encode_ordinary(PROMPT)
    moved = ablation_effect(model.weights, model.cfg, ids, [(4, 0)])[2]
    assert int(np.argmax(moved)) == 0 and model.encoding.decode([ids[0]]) == "I"
    assert f"{100 * moved.max():.1f}%, is the very first token, `I`" in text
    biggest = max(effects, key=lambda k: effects[k][0])
    assert (
        biggest == (0, 2) and f"layer 0, head 2, whose weight is spread out, changes {effects[biggest][0]} top" in text
    )
    assert sum(c == effects[biggest][0] for c, _ in effects.values()) == 1  # "the most of all 24 heads"
    fewest = min(c for c, _ in effects.values())
    assert fewest == 1 and "every one of the 24 heads changes it at one position at least" in text
    assert f"({sum(c == 1 for c, _ in effects.values())} heads change exactly one)" in text
    # the previous-token share, as attention_maps computes it: the mean of w[i, i - 1] over the queries
    _, trace = model.forward(ids, trace=True, lens=False)
    att = trace["attention"]
    prev = {(a, h): float(np.diagonal(att[a, h], offset=-1).mean()) for a in range(6) for h in range(4)}
    others = sorted((k for k in prev if k != (4, 0) and prev[k] > 0.35), key=prev.get)
    assert others == [(3, 0), (4, 2), (4, 3)]
    assert "Three other heads put more than 35%" in text
    assert ", ".join(f"{100 * prev[k]:.1f}%" for k in others[:2]) + f" and {100 * prev[others[2]]:.1f}%" in text
