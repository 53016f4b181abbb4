"""Parameter counter: where the parameters of a real model sit, by part, per layer and in total.

The shapes come from `llm_core.configs` (each real config copied from its published config.json, with
its source) or from the tiny model's own models/tiny/config.json; a "custom" choice reads the six numbers
typed by the reader as a Llama-style model (RMSNorm, SwiGLU, RoPE, no biases). Every count is
`llm_core.configs.parameter_count`, and the memory line `llm_core.configs.weights_bytes`.

The mixtures of experts (`llm_core.configs.MOE_CONFIGS`, counted by `llm_core.moe.parameter_counts`) add
rows for the router, shared experts and routed experts, and a column for what one token runs: every
expert is stored, but a token runs only top_k of the routed ones in each MoE block.
"""

import functools

from llm_core.configs import CONFIGS, MOE_CONFIGS, ArchConfig, parameter_count, source_links, weights_bytes
from llm_core.controls import as_bool, as_choice, as_int
from llm_core.moe import flops_per_token, parameter_counts
from llm_core.moe import weights_bytes as moe_weights_bytes
from widgetlib.fmt import fixed, integer, percent, significant
from widgetlib.model import tiny_arch

MODEL = "models/tiny"
TINY = "glassbox-tiny"
CUSTOM = "custom"
LIMITS = {  # custom shape: name -> (low, high), clamped
    "d_model": (2, 65_536),
    "n_layer": (1, 1_000),
    "n_head": (1, 1_024),
    "n_kv_head": (1, 1_024),
    "d_ff": (1, 1_000_000),
    "n_vocab": (1, 10_000_000),
}

DEFAULTS = {
    "config": TINY,
    "d_model": 128,
    "n_layer": 6,
    "n_head": 4,
    "n_kv_head": 2,
    "d_ff": 384,
    "n_vocab": 4096,
    "tied": True,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"config": "llama-3-8b"},
    {"config": "gpt2"},
    {
        "config": CUSTOM,
        "d_model": 4096,
        "n_layer": 32,
        "n_head": 32,
        "n_kv_head": 8,
        "d_ff": 14336,
        "n_vocab": 128256,
        "tied": False,
    },
    {"config": "mixtral-8x7b"},
    {"config": "deepseek-v3"},
]
DATA = ["models/tiny/config.json"]
CODE = [
    "llm_core.configs.parameter_count",
    "llm_core.configs.arch_from_model",
    "llm_core.configs.weights_bytes",
    "llm_core.configs.ArchConfig",
    "llm_core.moe.parameter_counts",
    "llm_core.moe.attention_params",
]


@functools.cache
def tiny() -> ArchConfig:
    return tiny_arch()


def choices() -> dict:  # key -> ArchConfig or MoEConfig, in menu order (custom last)
    return {TINY: tiny(), **CONFIGS, **MOE_CONFIGS}


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    out = {"config": as_choice("config", p["config"], [*choices(), CUSTOM])}
    for name, (low, high) in LIMITS.items():
        out[name] = as_int(name, p[name], low, high)
    out["n_kv_head"] = min(out["n_kv_head"], out["n_head"])  # no more key/value heads than query heads
    out["tied"] = as_bool("tied", p["tied"])
    return out


def custom(p: dict):  # -> ArchConfig, notes
    """The reader's shape as a Llama-style model; d_head = d_model // n_head."""
    notes = []
    d_head = max(1, p["d_model"] // p["n_head"])
    if d_head * p["n_head"] != p["d_model"]:
        notes.append(
            f"d_model = {p['d_model']:,} is not a multiple of n_head = {p['n_head']:,}: each head is "
            f"d_head = {d_head:,} wide, so the heads together are {d_head * p['n_head']:,} wide."
        )
    if p["n_head"] % p["n_kv_head"]:
        notes.append(
            f"n_kv_head = {p['n_kv_head']:,} does not divide n_head = {p['n_head']:,}: grouped-query "
            "attention needs whole groups, but the count below does not depend on it."
        )
    cfg = ArchConfig(
        "Custom (Llama-style)",
        p["d_model"],
        p["n_layer"],
        p["n_head"],
        p["n_kv_head"],
        d_head,
        p["d_ff"],
        p["n_vocab"],
        0,
        p["tied"],
        "rmsnorm",
        "swiglu",
        "rope",
        "none",
        10000.0,
        "your numbers",
    )
    return cfg, notes


def in_words(n: int) -> str:
    """A large count as read aloud: 8.03 billion, 124.44 million, 1,234."""
    if n >= 1e9:
        return f"{fixed(n / 1e9, 2)} billion"
    if n >= 1e6:
        return f"{fixed(n / 1e6, 2)} million"
    return integer(n)


def gigabytes(n_bytes: float) -> str:
    """93.4 GB; 1,342 GB."""
    return f"{integer(round(n_bytes / 1e9))} GB" if n_bytes >= 1e12 else f"{fixed(n_bytes / 1e9, 1)} GB"


def options() -> list:
    return [
        {"key": k, "name": c.name + (" (mixture of experts)" if k in MOE_CONFIGS else "")} for k, c in choices().items()
    ] + [{"key": CUSTOM, "name": "Custom"}]


def part(key: str, label: str, formula: str, count: int, total: int, per: int | None, active: int | None) -> dict:
    """One row of the table: the count, per layer where it repeats, its share and (MoE) what a token runs."""
    cells = [integer(count // per) if per else "–", integer(count)]
    return {
        "key": key,
        "label": label,
        "formula": formula,
        "count": count,
        "per_layer": count // per if per else None,
        "share": count / total,
        "count_text": integer(count),
        "per_layer_text": cells[0],
        "share_text": percent(count / total),
        "bar": f"{100 * count / total:.1f}%",
        "active": active,
        "cells": cells + ([integer(active)] if active is not None else []),
    }


def moe_compute(p: dict) -> dict:
    """A mixture of experts: parts by llm_core.moe.parameter_counts, with the parameters one token runs."""
    cfg = MOE_CONFIGS[p["config"]]
    n = parameter_counts(cfg)
    total, active, d = n["total"], n["active"], cfg.d_model
    n_moe = cfg.n_layer - cfg.n_dense_layer
    bias = " + biases" if cfg.bias else ""
    if cfg.mla:
        q_rank, kv_rank, d_nope, d_rope, d_v = cfg.mla
        attention = (
            f"q: d_model → {q_rank:,} → n_head × ({d_nope} + {d_rope}); kv: d_model → {kv_rank:,} + {d_rope} → "
            f"n_head × ({d_nope} + {d_v}); W_o; n_head = {cfg.n_head}"
        )
        attention_label = "latent attention (MLA)"
    else:
        attention = (
            f"d_model × d_head × (2 n_head + 2 n_kv_head) = {d:,} × {cfg.d_head:,} × "
            f"(2 × {cfg.n_head:,} + 2 × {cfg.n_kv_head:,})" + bias + (" + q/k norm gains" if cfg.qk_norm else "")
        )
        attention_label = "attention: W_q, W_k, W_v, W_o" + (" and biases" if cfg.bias else "")
    bias_experts = " + biases" if cfg.bias else ""

    def experts(name: str, count: int) -> str:
        return f"{name} × 3 × d_model × d_expert = {count:,} × 3 × {d:,} × {cfg.d_expert:,}" + bias_experts

    rows = [
        ("embedding", "token embedding table", f"n_vocab × d_model = {cfg.n_vocab:,} × {d:,}", None, None),
        ("attention", attention_label, attention, cfg.n_layer, None),
        (
            "dense_ffn",
            f"dense FFN (the first {cfg.n_dense_layer} blocks)",
            f"3 × d_model × d_ff = 3 × {d:,} × {cfg.d_ff_dense:,}",
            cfg.n_dense_layer,
            None,
        ),
        (
            "router",
            "router",
            f"d_model × n_expert = {d:,} × {cfg.n_expert:,}"
            + (" + a bias per expert" if cfg.bias or cfg.router_bias else ""),
            n_moe,
            None,
        ),
        ("shared_experts", "shared experts, run for every token", experts("n_shared", cfg.n_shared), n_moe, None),
        ("routed_experts", "routed experts", experts("n_expert", cfg.n_expert), n_moe, "active_experts"),
        (
            "norms",
            "norms (RMSNorm, d_model gains)",
            f"(2 per layer + 1 final) × d_model = {2 * cfg.n_layer + 1:,} × {d:,}",
            None,
            None,
        ),
        ("lm_head", "output projection", f"n_vocab × d_model = {cfg.n_vocab:,} × {d:,}", None, None),
    ]
    parts = [
        part(key, label, formula, n[key], total, per, n[runs] if runs else n[key])
        for key, label, formula, per, runs in rows
        if n[key]  # no dense blocks or shared experts: no row
    ]
    bytes_16 = moe_weights_bytes(total, 16)
    shared = f" and its {cfg.n_shared} shared expert" if cfg.n_shared == 1 else ""
    published_total, published_active = cfg.published
    return {
        "name": cfg.name,
        "shape": {"d_model": d, "n_layer": cfg.n_layer, "n_head": cfg.n_head, "n_kv_head": cfg.n_kv_head},
        "kind": "mixture of experts",
        "parts": parts,
        "total": total,
        "active": active,
        "bytes_16": bytes_16,
        "total_text": integer(total),
        "active_text": integer(active),
        "head_text": (
            f" parameters ({in_words(total)}), of which one token runs {integer(active)} ({in_words(active)}, "
            f"{percent(active / total)}). d_model {integer(d)}, n_layer {integer(cfg.n_layer)}, "
            f"n_head {integer(cfg.n_head)}, n_kv_head {integer(cfg.n_kv_head)}, d_head {integer(cfg.d_head)}, "
            f"n_expert {integer(cfg.n_expert)}, top_k {cfg.top_k}, d_expert {integer(cfg.d_expert)}, "
            f"n_vocab {integer(cfg.n_vocab)}; RMSNorm, SwiGLU experts, RoPE."
        ),
        "foot_text": (
            f"The routed experts hold {percent(n['routed_experts'] / total)} of the parameters. All of them sit "
            f"in memory, since any token may pick any expert: at 16 bits per parameter (bf16) the weights take "
            f"{gigabytes(bytes_16)}. A token runs its {cfg.top_k} of {cfg.n_expert} experts{shared} in "
            f"each of the {n_moe} MoE blocks, plus everything outside the experts: "
            f"{significant(flops_per_token(active) / 1e9, 3)} GFLOPs per token (2 per active parameter). "
            f"Published: {published_total / 1e9:g}B total, {published_active / 1e9:g}B active."
        ),
        "source": cfg.source,
        "links": [{"label": label, "url": url} for label, url in source_links(cfg.source)],
        "notes": cfg.notes,
        "options": options(),
        "columns": ["part (how it is counted)", "per layer", "all", "share", "one token runs"],
        "foot_cells": ["–", integer(total), "100%", integer(active)],
        "params": p,
        "note": None,
    }


def compute(params: dict) -> dict:
    p = read_params(params)
    if p["config"] in MOE_CONFIGS:
        return moe_compute(p)
    cfg, notes = custom(p) if p["config"] == CUSTOM else (choices()[p["config"]], [])
    counts = parameter_count(cfg)
    total, n_layer = counts["total"], cfg.n_layer
    norm = "RMSNorm, d_model gains" if cfg.norm == "rmsnorm" else "LayerNorm, d_model gains and biases"
    rows = [
        ("embedding", "token embedding table", f"n_vocab × d_model = {cfg.n_vocab:,} × {cfg.d_model:,}", None),
        ("position", "learned position table", f"n_ctx × d_model = {cfg.n_ctx:,} × {cfg.d_model:,}", None),
        (
            "attention",
            "attention: W_q, W_k, W_v, W_o" + (" and biases" if cfg.bias != "none" else ""),
            f"d_model × d_head × (2 n_head + 2 n_kv_head) = {cfg.d_model:,} × {cfg.d_head:,} × "
            f"(2 × {cfg.n_head:,} + 2 × {cfg.n_kv_head:,})" + (" + biases" if cfg.bias != "none" else ""),
            n_layer,
        ),
        (
            "ffn",
            "feed-forward: " + ("W_gate, W_up, W_down" if cfg.ffn == "swiglu" else "two matrices and biases"),
            (
                f"3 × d_model × d_ff = 3 × {cfg.d_model:,} × {cfg.d_ff:,}"
                if cfg.ffn == "swiglu"
                else f"2 × d_model × d_ff + biases = 2 × {cfg.d_model:,} × {cfg.d_ff:,} + {cfg.d_ff + cfg.d_model:,}"
            ),
            n_layer,
        ),
        (
            "norms",
            f"norms ({norm})",
            f"(2 per layer + 1 final) × {'2 × ' if cfg.norm == 'layernorm' else ''}d_model"
            f" = {2 * n_layer + 1:,} × {'2 × ' if cfg.norm == 'layernorm' else ''}{cfg.d_model:,}",
            None,
        ),
        ("lm_head", "output projection", f"n_vocab × d_model = {cfg.n_vocab:,} × {cfg.d_model:,}", None),
    ]
    parts = [part(key, label, formula, counts[key], total, per, None) for key, label, formula, per in rows]
    for row in parts:
        if row["key"] == "lm_head" and cfg.tied_embeddings:
            row["formula"] = "tied: the embedding table is reused, so nothing is added"
        if row["key"] == "position" and cfg.position != "learned":
            row["formula"] = "none: positions enter through RoPE, which has no weights"
    links = [{"label": label, "url": url} for label, url in source_links(cfg.source)]
    layers_share, bytes_16 = n_layer * counts["per_layer"] / total, weights_bytes(cfg, bits=16)
    size = f"{fixed(bytes_16 / 1e9, 2)} GB" if bytes_16 >= 1e8 else f"{fixed(bytes_16 / 1e6, 1)} MB"
    kind = f"{cfg.norm}, {cfg.ffn}, {cfg.position} positions, biases: {cfg.bias}"
    return {
        "name": cfg.name,
        "shape": {
            "d_model": cfg.d_model,
            "n_layer": n_layer,
            "n_head": cfg.n_head,
            "n_kv_head": cfg.n_kv_head,
            "d_head": cfg.d_head,
            "d_ff": cfg.d_ff,
            "n_vocab": cfg.n_vocab,
            "tied": cfg.tied_embeddings,
        },
        "kind": kind,
        "parts": parts,
        "total": total,
        "per_layer": counts["per_layer"],
        "layers_share": layers_share,
        "bytes_16": bytes_16,
        "total_text": integer(total),
        "per_layer_text": integer(counts["per_layer"]),
        "head_text": (
            f" parameters ({in_words(total)}). d_model {integer(cfg.d_model)}, n_layer {integer(n_layer)}, "
            f"n_head {integer(cfg.n_head)}, n_kv_head {integer(cfg.n_kv_head)}, d_head {integer(cfg.d_head)}, "
            f"d_ff {integer(cfg.d_ff)}, n_vocab {integer(cfg.n_vocab)}; {kind}."
        ),
        "foot_text": (
            f"One block (attention, FFN and its two norms) holds {integer(counts['per_layer'])} parameters; "
            f"the {n_layer} blocks together hold {percent(layers_share)} of the model. Stored at 16 bits "
            f"per parameter (bf16), the weights take {size}."
        ),
        "source": cfg.source,
        "links": links,
        "notes": cfg.notes,
        "options": options(),
        "columns": ["part (how it is counted)", "per layer", "all", "share"],
        "foot_cells": [integer(counts["per_layer"]), integer(total), "100%"],
        "params": p,
        "note": " ".join(notes) or None,
    }
