"""Parameter counter: where the parameters of a real model sit, by part, per layer and in total.

The shapes come from `llm_core.configs` (each real config copied from its published config.json, with
its source) or from the tiny model's own models/tiny/config.json; a "custom" choice reads the six numbers
typed by the reader as a Llama-style model (RMSNorm, SwiGLU, RoPE, no biases). Every count is
`llm_core.configs.parameter_count`, and the memory line `llm_core.configs.weights_bytes`.
"""

import functools

from llm_core.configs import CONFIGS, ArchConfig, parameter_count, source_links, weights_bytes
from llm_core.controls import as_bool, as_choice, as_int
from widgetlib.fmt import fixed, integer, percent
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
]
DATA = ["models/tiny/config.json"]
CODE = [
    "llm_core.configs.parameter_count",
    "llm_core.configs.arch_from_model",
    "llm_core.configs.weights_bytes",
    "llm_core.configs.ArchConfig",
]


@functools.cache
def tiny() -> ArchConfig:
    return tiny_arch()


def choices() -> dict:  # key -> ArchConfig, in menu order (custom last)
    return {TINY: tiny(), **CONFIGS}


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


def compute(params: dict) -> dict:
    p = read_params(params)
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
    parts = [
        {
            "key": key,
            "label": label,
            "formula": formula,
            "count": counts[key],
            "per_layer": counts[key] // per if per else None,
            "share": counts[key] / total,
            "count_text": integer(counts[key]),
            "per_layer_text": integer(counts[key] // per) if per else "–",
            "share_text": percent(counts[key] / total),
            "bar": f"{100 * counts[key] / total:.1f}%",
        }
        for key, label, formula, per in rows
    ]
    for part in parts:
        if part["key"] == "lm_head" and cfg.tied_embeddings:
            part["formula"] = "tied: the embedding table is reused, so nothing is added"
        if part["key"] == "position" and cfg.position != "learned":
            part["formula"] = "none: positions enter through RoPE, which has no weights"
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
        "options": [{"key": k, "name": c.name} for k, c in choices().items()] + [{"key": CUSTOM, "name": "Custom"}],
        "params": p,
        "note": " ".join(notes) or None,
    }
