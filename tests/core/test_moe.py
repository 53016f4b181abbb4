"""llm_core.moe against references: naive loops (token by token, expert by expert) for the routing and the
MoE FFN, a closed form for the balance loss on hand-made routings, and the parameter counts against
every weight tensor listed checkpoint-style and against the published totals."""

import doctest
import math

import numpy as np
import pytest

from llm_core import moe
from llm_core.ffn import swiglu
from llm_core.moe import (
    MOE_CONFIGS,
    expected_experts_used,
    expert_outputs,
    flops_per_token,
    load_balancing_loss,
    moe_swiglu,
    parameter_counts,
    params_read,
    router_logits,
    split_ffn,
    top_k_routing,
    weight_bytes_read,
    weights_bytes,
)


def test_doctests():
    assert doctest.testmod(moe).failed == 0


def naive_routing(logits, k):  # one token at a time, softmax by its formula, then top-k by repeated max
    experts, weights, probs = [], [], []
    for row in logits.tolist():
        exps = [math.exp(v - max(row)) for v in row]
        p = [e / sum(exps) for e in exps]
        left, picked = list(range(len(row))), []
        for _ in range(k):
            best = max(left, key=lambda i: (p[i], -i))  # ties: lower index
            picked.append(best)
            left.remove(best)
        total = sum(p[i] for i in picked)
        experts.append(picked)
        weights.append([p[i] / total for i in picked])
        probs.append(p)
    return experts, weights, probs


@pytest.mark.parametrize("n_seq, n_expert, k, seed", [(5, 8, 2, 0), (7, 4, 1, 1), (3, 6, 6, 2), (9, 16, 4, 3)])
def test_top_k_routing_matches_a_naive_loop(n_seq, n_expert, k, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(n_seq, 12)), rng.normal(size=(12, n_expert))
    logits = router_logits(x, w)
    np.testing.assert_allclose(
        logits, [[sum(x[s, d] * w[d, e] for d in range(12)) for e in range(n_expert)] for s in range(n_seq)], rtol=1e-12
    )
    experts, weights, probs = top_k_routing(logits, k)
    ref_e, ref_w, ref_p = naive_routing(logits, k)
    assert experts.tolist() == ref_e
    np.testing.assert_allclose(weights, ref_w, rtol=1e-12)
    np.testing.assert_allclose(probs, ref_p, rtol=1e-12)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)


def test_softmax_then_renormalise_equals_softmax_of_the_kept_logits():
    """Mixtral's paper writes softmax(TopK(logits)); llm_core renormalises the full softmax: the same."""
    logits = np.random.default_rng(4).normal(size=(6, 8))
    experts, weights, _ = top_k_routing(logits, 2)
    kept = np.take_along_axis(logits, experts, axis=-1)
    np.testing.assert_allclose(weights, np.exp(kept) / np.exp(kept).sum(axis=-1, keepdims=True), rtol=1e-12)


def test_ties_go_to_the_lower_expert():
    experts, weights, _ = top_k_routing(np.zeros((2, 4)), 2)
    assert experts.tolist() == [[0, 1], [0, 1]] and weights.tolist() == [[0.5, 0.5], [0.5, 0.5]]


def random_ffn(seed, d_model=6, d_ff=12):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(d_model, d_ff)),
        rng.normal(size=(d_model, d_ff)),
        rng.normal(size=(d_ff, d_model)),
        rng.normal(size=(5, d_model)),
    )


@pytest.mark.parametrize("n_expert", [1, 2, 3, 4, 6, 12])
def test_split_ffn_experts_sum_to_the_dense_ffn(n_expert):
    w_gate, w_up, w_down, x = random_ffn(n_expert)
    experts = split_ffn(w_gate, w_up, w_down, n_expert)
    d_expert = 12 // n_expert
    for e in range(n_expert):  # expert e is hidden units e*d_expert .. (e+1)*d_expert - 1
        units = slice(e * d_expert, (e + 1) * d_expert)
        np.testing.assert_array_equal(experts["w_gate"][e], w_gate[:, units])
        np.testing.assert_array_equal(experts["w_up"][e], w_up[:, units])
        np.testing.assert_array_equal(experts["w_down"][e], w_down[units])
    dense, _ = swiglu(x, w_gate, w_up, w_down)
    np.testing.assert_allclose(expert_outputs(x, experts).sum(axis=1), dense, rtol=1e-12, atol=1e-12)


def test_split_ffn_refuses_an_uneven_split():
    w_gate, w_up, w_down, _ = random_ffn(0)
    with pytest.raises(ValueError, match="12 hidden units"):
        split_ffn(w_gate, w_up, w_down, 5)


def naive_moe(x, experts, chosen, weights):  # token by token, slot by slot, unit by unit
    n_seq, d_model = x.shape
    out = np.zeros((n_seq, d_model))
    for s in range(n_seq):
        for slot, e in enumerate(chosen[s]):
            wg, wu, wd = experts["w_gate"][e], experts["w_up"][e], experts["w_down"][e]
            for f in range(wg.shape[1]):
                g = sum(x[s, d] * wg[d, f] for d in range(d_model))
                u = sum(x[s, d] * wu[d, f] for d in range(d_model))
                h = g / (1 + math.exp(-g)) * u
                for d in range(d_model):
                    out[s, d] += weights[s][slot] * h * wd[f, d]
    return out


@pytest.mark.parametrize("n_expert, k", [(4, 1), (4, 2), (6, 3), (3, 3)])
def test_moe_swiglu_matches_a_naive_loop(n_expert, k):
    w_gate, w_up, w_down, x = random_ffn(10 + k)
    experts = split_ffn(w_gate, w_up, w_down, n_expert)
    logits = router_logits(x, np.random.default_rng(k).normal(size=(6, n_expert)))
    chosen, weights, _ = top_k_routing(logits, k)
    out, tokens_per_expert = moe_swiglu(x, experts, chosen, weights)
    np.testing.assert_allclose(out, naive_moe(x, experts, chosen, weights), rtol=1e-10, atol=1e-12)
    assert tokens_per_expert.tolist() == [int((chosen == e).sum()) for e in range(n_expert)]
    assert tokens_per_expert.sum() == x.shape[0] * k
    # the same weighted sum from every expert's output on every token
    full = expert_outputs(x, experts)
    ref = sum(weights[:, slot, None] * full[np.arange(len(x)), chosen[:, slot]] for slot in range(k))
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)


def test_every_expert_at_weight_one_is_the_dense_ffn_bit_for_bit_in_any_slot_order():
    w_gate, w_up, w_down, x = random_ffn(7)
    experts = split_ffn(w_gate, w_up, w_down, 4)
    in_order = np.tile(np.arange(4), (5, 1))
    shuffled = np.array([np.random.default_rng(s).permutation(4) for s in range(5)])
    a, _ = moe_swiglu(x, experts, in_order, np.ones((5, 4)))
    b, _ = moe_swiglu(x, experts, shuffled, np.ones((5, 4)))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, swiglu(x, w_gate, w_up, w_down)[0], rtol=1e-12, atol=1e-12)


# --- the balance loss, closed forms ------------------------------------------------------------------


@pytest.mark.parametrize("n_expert, k", [(4, 1), (8, 2), (6, 3)])
def test_uniform_routing_gives_exactly_one(n_expert, k):
    n_seq = n_expert * 3
    chosen = np.array([[(s + j) % n_expert for j in range(k)] for s in range(n_seq)])  # every expert equally
    loss, f, p = load_balancing_loss(np.full((n_seq, n_expert), 1 / n_expert), chosen)
    assert loss == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_allclose(f, 1 / n_expert) and np.testing.assert_allclose(p, 1 / n_expert)


def test_collapse_onto_one_expert_gives_n_expert():
    probs = np.zeros((5, 8))
    probs[:, 3] = 1.0
    loss, f, p = load_balancing_loss(probs, np.full((5, 1), 3))
    assert loss == 8.0 and f[3] == 1.0 and p[3] == 1.0


def test_balance_loss_on_a_hand_made_routing():
    # 4 tokens, 2 experts, top 1: three go to expert 0, one to expert 1 -> f = (3/4, 1/4)
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.7, 0.3], [0.2, 0.8]])
    loss, f, p = load_balancing_loss(probs, probs.argmax(axis=1)[:, None])
    assert f.tolist() == [0.75, 0.25]
    np.testing.assert_allclose(p, [0.6, 0.4])
    assert loss == pytest.approx(2 * (0.75 * 0.6 + 0.25 * 0.4))  # 1.1


# --- parameter counts --------------------------------------------------------------------------------


def checkpoint_shapes(key):
    """Every weight tensor one layer holds, named as the model's checkpoint names them, plus the rest."""
    cfg = MOE_CONFIGS[key]
    d, q, kv = cfg.d_model, cfg.n_head * cfg.d_head, cfg.n_kv_head * cfg.d_head
    shapes = {"embed_tokens": (cfg.n_vocab, d), "lm_head": (cfg.n_vocab, d), "norm": (d,)}
    for i in range(cfg.n_layer):
        layer = {"input_layernorm": (d,), "post_attention_layernorm": (d,)}
        if cfg.mla:  # DeepSeek-V3's modeling_deepseek.py
            q_rank, kv_rank, nope, rope, v = cfg.mla
            layer |= {
                "q_a_proj": (q_rank, d),
                "q_a_layernorm": (q_rank,),
                "q_b_proj": (cfg.n_head * (nope + rope), q_rank),
                "kv_a_proj_with_mqa": (kv_rank + rope, d),
                "kv_a_layernorm": (kv_rank,),
                "kv_b_proj": (cfg.n_head * (nope + v), kv_rank),
                "o_proj": (d, cfg.n_head * v),
            }
        else:
            layer |= {"q_proj": (q, d), "k_proj": (kv, d), "v_proj": (kv, d), "o_proj": (d, q)}
        if cfg.bias:  # gpt-oss: attention biases and sinks
            layer |= {
                "q_proj.bias": (q,),
                "k_proj.bias": (kv,),
                "v_proj.bias": (kv,),
                "o_proj.bias": (d,),
                "sinks": (cfg.n_head,),
            }
        if cfg.qk_norm:  # Qwen3
            layer |= {"q_norm": (cfg.d_head,), "k_norm": (cfg.d_head,)}
        if i < cfg.n_dense_layer:
            layer |= {f"mlp.{m}": (cfg.d_ff_dense, d) for m in ("gate_proj", "up_proj", "down_proj")}
        else:
            layer["router"] = (cfg.n_expert, d)
            if cfg.bias or cfg.router_bias:
                layer["router.bias"] = (cfg.n_expert,)
            for e in range(cfg.n_expert + cfg.n_shared):
                layer |= {f"experts.{e}.{m}": (cfg.d_expert, d) for m in ("gate_proj", "up_proj", "down_proj")}
                if cfg.bias:
                    layer |= {f"experts.{e}.gate_up.bias": (2 * cfg.d_expert,), f"experts.{e}.down.bias": (d,)}
        shapes |= {f"layers.{i}.{name}": shape for name, shape in layer.items()}
    return shapes


def size(shapes):
    return sum(math.prod(s) for s in shapes.values())


@pytest.mark.parametrize("key", sorted(MOE_CONFIGS))
def test_parameter_counts_equal_the_checkpoint_tensors(key):
    cfg, n = MOE_CONFIGS[key], parameter_counts(MOE_CONFIGS[key])
    shapes = checkpoint_shapes(key)
    assert n["total"] == size(shapes)
    unused = {
        k: s
        for k, s in shapes.items()  # the routed experts a token skips: all but top_k per MoE layer
        if ".experts." in k
        and int(k.split(".experts.")[1].split(".")[0]) >= cfg.top_k
        and int(k.split(".experts.")[1].split(".")[0]) < cfg.n_expert
    }
    assert n["active"] == n["total"] - size(unused)
    assert n["active_no_embedding"] == n["active"] - cfg.n_vocab * cfg.d_model


# Counted by hand from each config.json, and the published (total, active) with how close they are:
COUNTED = {  # key: (total, active, active without the input embedding)
    "mixtral-8x7b": (46_702_792_704, 12_879_925_248, 12_748_853_248),
    "deepseek-v3": (671_026_419_200, 37_552_297_472, 36_625_618_432),
    "qwen3-30b-a3b": (30_532_122_624, 3_353_032_704, 3_041_867_776),
    "gpt-oss-120b": (116_829_156_672, 5_711_982_912, 5_132_849_472),
}


@pytest.mark.parametrize("key", sorted(COUNTED))
def test_counts_by_hand(key):
    n = parameter_counts(MOE_CONFIGS[key])
    assert (n["total"], n["active"], n["active_no_embedding"]) == COUNTED[key]


def test_counts_against_the_published_figures():
    """Each published (total, active), and what it counts.

    Mixtral 8x7B: 46.7B / 12.9B (Mistral's announcement; the paper, arXiv:2401.04088, rounds to 47B / 13B):
    both equal once rounded, the active count with the embedding table. DeepSeek-V3: 671B / 37B
    (arXiv:2412.19437): the total equal once rounded; the active count leaves out the input embedding,
    36.6B (DeepSeek's README_WEIGHTS.md: 36.6B, "including 0.9B for the output head"), which the paper
    rounds up to 37B; with the embedding it would be 37.6B. Qwen3-30B-A3B: 30.5B / 3.3B, the active count
    with the embedding (3.35B; without it 3.04B). gpt-oss-120b: 116.8B / 5.1B (model card,
    arXiv:2508.10925): the total equal once rounded; the active count without the embedding table (5.13B;
    with it 5.71B).
    """

    def billions(n, digits=1):
        return round(n / 1e9, digits)

    mixtral, ds, qwen, oss = (
        parameter_counts(MOE_CONFIGS[k]) for k in ("mixtral-8x7b", "deepseek-v3", "qwen3-30b-a3b", "gpt-oss-120b")
    )
    assert (billions(mixtral["total"]), billions(mixtral["active"])) == (46.7, 12.9)
    assert (billions(mixtral["total"], 0), billions(mixtral["active"], 0)) == (47, 13)
    assert billions(ds["total"], 0) == 671 and billions(ds["active_no_embedding"]) == 36.6
    assert billions(ds["active"]) == 37.6  # the embedding is why the paper's 37B is not 38B
    assert (billions(qwen["total"]), billions(qwen["active"])) == (30.5, 3.4)  # published 3.3B: 3.35 truncated
    assert billions(qwen["active"], 2) == 3.35
    assert (billions(oss["total"]), billions(oss["active_no_embedding"])) == (116.8, 5.1)
    for key, n in zip(("mixtral-8x7b", "deepseek-v3", "qwen3-30b-a3b", "gpt-oss-120b"), (mixtral, ds, qwen, oss)):
        total, active = MOE_CONFIGS[key].published
        assert abs(n["total"] / total - 1) < 0.002  # within 0.2% of the published total
        best = min(abs(n["active"] / active - 1), abs(n["active_no_embedding"] / active - 1))
        assert best < 0.02, key  # one of the two conventions within 2% of the published active count


# config.json values written out by hand (hidden_size, num_hidden_layers, num_attention_heads,
# num_key_value_heads, head_dim, vocab_size, experts, experts per token, expert width)
CONFIG_JSON = {
    "mixtral-8x7b": (4096, 32, 32, 8, 128, 32000, 8, 2, 14336),
    "deepseek-v3": (7168, 61, 128, 128, 128, 129280, 256, 8, 2048),
    "qwen3-30b-a3b": (2048, 48, 32, 4, 128, 151936, 128, 8, 768),
    "gpt-oss-120b": (2880, 36, 64, 8, 64, 201088, 128, 4, 2880),
}


@pytest.mark.parametrize("key", sorted(CONFIG_JSON))
def test_config_matches_its_config_json(key):
    c = MOE_CONFIGS[key]
    assert (
        c.d_model,
        c.n_layer,
        c.n_head,
        c.n_kv_head,
        c.d_head,
        c.n_vocab,
        c.n_expert,
        c.top_k,
        c.d_expert,
    ) == CONFIG_JSON[key]
    assert "arXiv:" in c.source and "huggingface.co" in c.source and "config.json" in c.source
    assert sorted(MOE_CONFIGS) == sorted(CONFIG_JSON)


def test_deepseek_v3_extras():
    c = MOE_CONFIGS["deepseek-v3"]  # first_k_dense_replace 3, intermediate_size 18432, n_shared_experts 1
    assert (c.n_dense_layer, c.d_ff_dense, c.n_shared, c.mla) == (3, 18432, 1, (1536, 512, 128, 64, 128))


def test_memory_and_flops():
    n = parameter_counts(MOE_CONFIGS["mixtral-8x7b"])
    assert weights_bytes(n["total"], 16) == 2 * n["total"] and weights_bytes(n["total"], 4) == n["total"] / 2
    assert flops_per_token(n["active"]) == 2 * n["active"]


# --- experts read by a batch -----------------------------------------------------------------------


# the published contexts and sliding windows, written out from each config.json: (max_position_embeddings,
# sliding_window, layers with sliding-window attention)
CONTEXTS = {
    "mixtral-8x7b": (32768, 0, 0),  # sliding_window null
    "deepseek-v3": (163840, 0, 0),
    "qwen3-30b-a3b": (40960, 0, 0),  # use_sliding_window false
    "gpt-oss-120b": (131072, 128, 18),  # layer_types: sliding_attention and full_attention alternating, 36
}


@pytest.mark.parametrize("key", sorted(CONTEXTS))
def test_contexts_and_windows_match_config_json(key):
    c = MOE_CONFIGS[key]
    assert (c.n_ctx, c.sliding_window, c.n_sliding_layer) == CONTEXTS[key]


@pytest.mark.parametrize("n_expert, k, batch", [(8, 2, 4), (128, 8, 16), (256, 8, 32), (16, 1, 40)])
def test_expected_experts_used_matches_simulated_uniform_routing(n_expert, k, batch):
    """Each token draws k distinct experts uniformly; count the distinct experts a batch touched."""
    rng = np.random.default_rng(n_expert * 1000 + batch)
    trials = 4000
    used = [
        len({int(e) for _ in range(batch) for e in rng.choice(n_expert, size=k, replace=False)}) for _ in range(trials)
    ]
    mean, sd = np.mean(used), np.std(used)
    assert abs(mean - expected_experts_used(n_expert, k, batch)) < 5 * sd / np.sqrt(trials) + 1e-9


def test_expected_experts_used_closed_forms():
    assert expected_experts_used(8, 2, 0) == 0 and expected_experts_used(8, 2, 1) == 2  # one token: its k
    assert expected_experts_used(8, 2, 2) == pytest.approx(
        2 + 2 * 6 / 8
    )  # the second token: k picks, each new w.p. 6/8
    assert expected_experts_used(8, 8, 3) == 8  # k = E: every expert, whatever the batch
    assert expected_experts_used(128, 8, 10_000) == pytest.approx(128, rel=1e-12)
    with pytest.raises(ValueError):
        expected_experts_used(8, 9, 1)


@pytest.mark.parametrize("key", sorted(MOE_CONFIGS))
def test_params_read_from_active_to_total(key):
    cfg, n = MOE_CONFIGS[key], parameter_counts(MOE_CONFIGS[key])
    assert params_read(cfg, 1) == pytest.approx(n["active"], rel=1e-15)  # one token: its active parameters
    assert params_read(cfg, 10**6) == pytest.approx(n["total"], rel=1e-12)  # a huge batch: every expert
    per_expert = n["routed_experts"] / ((cfg.n_layer - cfg.n_dense_layer) * cfg.n_expert)
    for batch in (2, 8, 64):  # everything but the routed experts, plus the experts picked in each MoE layer
        e = cfg.n_expert * (1 - (1 - cfg.top_k / cfg.n_expert) ** batch)
        expected = n["total"] - n["routed_experts"] + (cfg.n_layer - cfg.n_dense_layer) * e * per_expert
        assert params_read(cfg, batch) == pytest.approx(expected, rel=1e-12)
    w = 2 * n["total"]  # bf16
    assert weight_bytes_read(cfg, w, 1) == pytest.approx(2 * n["active"], rel=1e-12)
