"""KV-cache memory of real models, and of the same models rewritten as MHA, GQA and MQA.

During generation a model keeps every layer's keys and values for every position it has read (the KV
cache), so that each new token does not recompute them. Its size is a closed form
(`llm_core.kv_cache.kv_cache_bytes`):

    bytes = 2 (K and V) x n_layer x n_kv_head x d_head x bytes_per_value x context x batch

Only n_kv_head differs between multi-head attention (one key/value head per query head), grouped-query
attention (a group of query heads shares one) and multi-query attention (all share one), so the widget
shows the chosen published config next to its MHA and MQA rewrites (`attention_variants`), with the
weights' own size for scale.
"""

import math

from llm_core.configs import CONFIGS, weights_bytes
from llm_core.controls import as_choice, as_int
from llm_core.kv_cache import attention_variants, kv_bytes_per_token, kv_cache_bytes

MAX_CONTEXT = 2**20  # 1,048,576 tokens: beyond any config listed
MAX_BATCH = 256
PRECISIONS = {  # key -> (label, bytes per value)
    "fp32": ("fp32 (4 bytes)", 4),
    "fp16": ("fp16 / bf16 (2 bytes)", 2),
    "int8": ("int8 / fp8 (1 byte)", 1),
    "int4": ("int4 (half a byte)", 0.5),
}
VARIANT_TEXT = {
    "MHA": "multi-head: one key/value head per query head",
    "GQA": "grouped-query, as published",
    "MQA": "multi-query: one key/value head for all",
}

DEFAULTS = {"model": "llama-2-70b", "context": 4096, "batch": 1, "precision": "fp16"}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"model": "llama-3-8b", "context": 8192},
    {"model": "llama-3.1-405b", "context": 131072, "batch": 8, "precision": "int8"},
    {"model": "gpt2", "context": 1, "batch": 256, "precision": "int4"},
]
DATA = []
CODE = [
    "llm_core.kv_cache.kv_cache_bytes",
    "llm_core.kv_cache.kv_bytes_per_token",
    "llm_core.kv_cache.attention_variants",
    "llm_core.configs.weights_bytes",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    return {
        "model": as_choice("model", p["model"], list(CONFIGS)),
        "context": as_int("context", p["context"], 1, MAX_CONTEXT),
        "batch": as_int("batch", p["batch"], 1, MAX_BATCH),
        "precision": as_choice("precision", p["precision"], list(PRECISIONS)),
    }


def human(n_bytes: float) -> str:
    """Bytes in binary units, as memory is sold: 1.25 GiB, 320 KiB, 768 B."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}" if n_bytes / size < 1000 else f"{n_bytes / size:,.0f} {unit}"
    return f"{n_bytes:g} B"


def as_int_bytes(n: float) -> int:
    """kv_cache_bytes is a float for half-byte values; the count itself is always whole here."""
    return int(round(n))


def compute(params: dict) -> dict:
    p = read_params(params)
    cfg = CONFIGS[p["model"]]
    label, per_value = PRECISIONS[p["precision"]]
    variants = []
    for name, v in attention_variants(cfg).items():
        total = as_int_bytes(kv_cache_bytes(v, p["context"], p["batch"], per_value))
        variants.append({
            "name": name,
            "text": VARIANT_TEXT[name],
            "n_kv_head": v.n_kv_head,
            "group": v.n_head // v.n_kv_head,  # query heads per kv head
            "per_token": as_int_bytes(kv_bytes_per_token(v, per_value)),
            "per_token_h": human(kv_bytes_per_token(v, per_value)),
            "bytes": total,
            "human": human(total),
            "published": v.n_kv_head == cfg.n_kv_head,
        })
    mha = variants[0]["bytes"]
    for v in variants:
        v["fraction"] = v["bytes"] / mha  # of the MHA cache: bar length
        v["saving"] = mha // v["bytes"]   # MHA / this, a whole number (n_kv_head divides n_head)
    weights = weights_bytes(cfg, bits=16)
    published = variants[1]
    return {
        "params": p,
        "models": [{"key": key, "name": c.name} for key, c in CONFIGS.items()],
        "precisions": [{"key": key, "label": text} for key, (text, _) in PRECISIONS.items()],
        "name": cfg.name,
        "source": cfg.source,
        "notes": cfg.notes or None,
        "n_layer": cfg.n_layer, "n_head": cfg.n_head, "n_kv_head": cfg.n_kv_head, "d_head": cfg.d_head,
        "n_ctx": cfg.n_ctx,
        "precision_label": label,
        "bytes_per_value": per_value,
        "variants": variants,
        "weights_bytes": weights,
        "weights_human": human(weights),
        "cache_vs_weights": published["bytes"] / weights,
        "is_mha": cfg.n_kv_head == cfg.n_head,
        "beyond_context": p["context"] > cfg.n_ctx,
        "log2_context": round(math.log2(p["context"])),  # the slider's position
    }
