"""The mixture-of-experts chapter's widgets, computed in CPython: moe_router and moe_params.

moe_router is checked against its own inputs recomputed here (the traced forward pass's FFN input), naive
references (each token's routing by hand, its top-k groups summed expert by expert, the dense FFN from
llm_core.ffn.swiglu) and the balance loss by its formula; moe_params against llm_core.moe and
llm_core.configs; and the numbers chapters/20-mixture-of-experts.md quotes.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from llm_core.configs import CONFIGS, parameter_count
from llm_core.ffn import swiglu
from llm_core.moe import MOE_CONFIGS, parameter_counts
from widget_loader import load_widget, run
from llm_core.models import tiny_model

moe_router = load_widget("moe_router")
moe_params = load_widget("moe_params")


def reference(p):
    """The FFN input, the groups' outputs and the dense FFN for params p, recomputed step by step."""
    ids, _ = moe_router.read_ids(p["text"])
    tiny = tiny_model()
    _, trace = tiny.forward(ids, trace=True, lens=False)  # the whole model, not just up to the layer
    from llm_core.norms import rms_norm

    layer = p["layer"]
    x = rms_norm(trace["residual"][2 * layer + 1], tiny.weights[f"layers.{layer}.ffn_norm"], tiny.cfg.norm_eps).astype(
        np.float64
    )
    w = moe_router.ffn_weights(layer)
    n, d_ff = p["n_experts"], tiny.cfg.d_ff
    groups = []  # [n_seq, n, d_model]: group e's output, hidden units e*d_ff/n ..
    for e in range(n):
        units = slice(e * d_ff // n, (e + 1) * d_ff // n)
        groups.append(swiglu(x, w["w_gate"][:, units], w["w_up"][:, units], w["w_down"][units])[0])
    dense = swiglu(x, w["w_gate"], w["w_up"], w["w_down"])[0]
    return ids, x, np.stack(groups, axis=1), dense


@pytest.mark.parametrize(
    "params", [{}, *moe_router.EXAMPLES, {"n_experts": 3, "top_k": 3}, {"router": "gate", "top_k": 8, "n_experts": 32}]
)
def test_moe_router_against_naive_references(params):
    r = run(moe_router, **params)
    p = r["params"]
    ids, x, groups, dense = reference(p)
    n, k = p["n_experts"], p["top_k"]
    assert r["n_tokens"] == len(ids) and len(r["rows"]) == min(len(ids), moe_router.N_ROWS)
    # the dense FFN is the sum of the groups (float64: rounding only)
    np.testing.assert_allclose(groups.sum(axis=1), dense, rtol=0, atol=1e-9 * np.abs(dense).max())
    # the router's scores, recomputed
    if p["router"] == "oracle":
        scores = np.linalg.norm(groups, axis=-1)
    elif p["router"] == "gate":
        d_e = 384 // n
        gate = x @ moe_router.ffn_weights(p["layer"])["w_gate"]
        silu = gate / (1 + np.exp(-gate))
        scores = np.stack([np.linalg.norm(silu[:, e * d_e : (e + 1) * d_e], axis=-1) for e in range(n)], axis=1)
    else:
        w_router = np.random.default_rng(moe_router.ROUTER_SEED).normal(0, 128**-0.5, (128, n))
        scores = x @ w_router
    for t, row in enumerate(r["rows"]):  # each listed token: softmax, top k, renormalised, by hand
        exps = [math.exp(s - max(scores[t])) for s in scores[t]]
        probs = [e / sum(exps) for e in exps]
        top = sorted(range(n), key=lambda e: (-probs[e], e))[:k]
        assert [q["expert"] for q in row["picks"]] == top
        total = sum(probs[e] for e in top)
        for q in row["picks"]:
            assert q["weight"] == pytest.approx(probs[q["expert"]] / total, rel=1e-9)
        approx = sum(groups[t, e] for e in top)
        assert row["error"] == pytest.approx(
            np.linalg.norm(approx - dense[t]) / np.linalg.norm(dense[t]), rel=1e-6, abs=1e-9
        )
        assert [c["chosen"] for c in row["cells"]] == [e in top for e in range(n)]
    # errors for every k, every router, over all tokens; 0 at k = n
    for name, errs in r["errors"].items():
        assert len(errs) == n and errs[-1] == 0.0
    assert r["errors"][p["router"]][k - 1] == pytest.approx(r["error"], rel=1e-9, abs=1e-12)
    # the load and the balance loss by its formula
    f = [row["f"] for row in r["load"]]
    assert sum(f) == pytest.approx(1.0) and sum(e["tokens"] for e in r["load"]) == len(ids) * k
    assert r["balance_loss"] == pytest.approx(n * sum(e["f"] * e["p"] for e in r["load"]), rel=1e-12)
    assert r["balance_loss"] >= 0


def test_moe_router_clamps_and_refuses():
    assert run(moe_router, top_k=8, n_experts=4)["params"]["top_k"] == 4
    assert run(moe_router, layer=99, top_k=0)["params"] | {"text": ""} == {
        "text": "",
        "layer": 5,
        "n_experts": 8,
        "top_k": 1,
        "router": "oracle",
    }
    for params, word in [
        ({"n_experts": 5}, "n_experts"),
        ({"n_experts": "many"}, "n_experts"),
        ({"top_k": 1.5}, "top_k"),
        ({"layer": None}, "layer"),
        ({"router": "learned"}, "router"),
        ({"text": 42}, "text"),
    ]:
        with pytest.raises(ValueError, match=word):
            moe_router.compute(params)


@pytest.mark.parametrize("text", ["", "x", "👍🏽 e\u0301 \ud800 \x00\x1b مرحبا", "the Union " * 400, "y" * 1_000_000])
def test_moe_router_awkward_text(text):
    r = run(moe_router, text=text)
    assert r["n_tokens"] >= 1 and r["n_tokens"] <= moe_router.MAX_TOKENS
    if len(text) > moe_router.MAX_TEXT_CHARS:
        assert "characters" in r["note"]


def test_moe_params_against_llm_core():
    for key in MOE_CONFIGS:
        for precision, bits in moe_params.PRECISIONS.items():
            r = run(moe_params, config=key, precision=precision)
            n = parameter_counts(MOE_CONFIGS[key])
            assert (r["moe"]["total"], r["moe"]["active"]) == (n["total"], n["active"])
            assert r["moe"]["memory"] == n["total"] * bits / 8 and r["moe"]["flops"] == 2 * n["active"]
            dense = min(CONFIGS.values(), key=lambda c: abs(math.log(parameter_count(c)["total"] / n["active"])))
            assert r["dense"]["name"] == dense.name
            assert r["dense"]["memory"] == parameter_count(dense)["total"] * bits / 8
    for params, word in [({"config": "gpt-4"}, "config"), ({"precision": "fp4"}, "precision")]:
        with pytest.raises(ValueError, match=word):
            moe_params.compute(params)


# --- the numbers chapters/20-mixture-of-experts.md quotes --------------------------------------------


def test_chapter_router_numbers():
    r = run(moe_router)
    assert r["n_tokens"] == 34 and r["params"] == moe_router.DEFAULTS
    assert [r["errors_text"][name][1] for name in ("oracle", "gate", "random")] == ["70.8%", "77.4%", "85.7%"]
    assert r["errors_text"]["oracle"][3] == "51.4%"
    assert all(o < g < rnd for o, g, rnd in zip(*(r["errors"][n][:-1] for n in ("oracle", "gate", "random"))))
    assert (r["balance_text"], r["busiest_text"], r["ideal_text"]) == ("1.005", "19.1%", "12.5%")
    assert run(moe_router, router="random")["balance_text"] == "1.190"


def test_chapter_parameter_numbers():
    def b(n, digits=1):
        return round(n / 1e9, digits)

    mixtral = parameter_counts(MOE_CONFIGS["mixtral-8x7b"])
    assert (b(mixtral["total"]), b(mixtral["active"]), b(mixtral["routed_experts"])) == (46.7, 12.9, 45.1)
    r = run(moe_params)
    assert r["moe"]["memory_text"] == "93.4 GB" and r["dense"]["name"] == "Llama 2 13B"
    assert (r["dense"]["memory_text"], r["memory_ratio_text"], r["flops_ratio_text"]) == ("26.0 GB", "3.6", "0.99")
    rows = {row["key"]: row for row in r["rows"]}
    assert (
        rows["deepseek-v3"]["total_text"],
        rows["deepseek-v3"]["active_text"],
        rows["deepseek-v3"]["active_no_embedding_text"],
    ) == ("671.0B", "37.6B", "36.6B")
    assert (rows["qwen3-30b-a3b"]["total_text"], rows["qwen3-30b-a3b"]["active_text"]) == ("30.5B", "3.35B")
    assert (
        rows["gpt-oss-120b"]["total_text"],
        rows["gpt-oss-120b"]["active_text"],
        rows["gpt-oss-120b"]["active_no_embedding_text"],
    ) == ("116.8B", "5.71B", "5.13B")


def test_chapter_model_size_numbers():
    """Chapter 20 points to model_size's MoE entries: Qwen3-30B-A3B at bf16, and its FLOPs per token."""
    r = run(load_widget("model_size"), model="qwen3-30b-a3b")
    fp16 = next(row for row in r["real"]["rows"] if row["format"] == "fp16")
    assert fp16["gb_text"] == "61.1 GB" and "about 6.71 GFLOPs per token" in r["real"]["moe"]["text"]
    text = (Path(__file__).parents[2] / "chapters" / "20-mixture-of-experts.md").read_text()
    assert "Qwen3-30B-A3B shows 61.1 GB at bf16 beside 6.71 GFLOPs per token" in text
