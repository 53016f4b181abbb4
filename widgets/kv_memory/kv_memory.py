"""KV-cache memory of real models, and of the same models rewritten as MHA, GQA and MQA.

During generation a model keeps every layer's keys and values for every position it has read (the KV
cache), so that each new token does not recompute them. Its size is a closed form
(`llm_core.kv_cache.kv_cache_bytes`):

    bytes = 2 (K and V) x n_layer x n_kv_head x d_head x bytes_per_value x context x batch

Only n_kv_head differs between multi-head attention (one key/value head per query head), grouped-query
attention (a group of query heads shares one) and multi-query attention (all share one), so the widget
shows the chosen published config next to its MHA and MQA rewrites (`attention_variants`), with the
weights' own size for scale.

The mixtures of experts of `llm_core.configs.MOE_CONFIGS` are here too: their cache depends on attention,
not on experts. Mixtral 8x7B and Qwen3-30B-A3B use plain grouped-query attention; gpt-oss-120b's every
other layer attends to a sliding window of 128 positions and keeps no more; DeepSeek-V3's multi-head
latent attention (MLA) keeps one 512-number latent and a 64-number RoPE key per position and layer
(`kv_cache_bytes` counts both). Their weights are the total parameters: every expert sits in memory.

The context slider moves in powers of two: it sends its position, log2_context (0 to 20), and the
context is 2 ** log2_context tokens.
"""

from llm_core.configs import CONFIGS, MOE_CONFIGS, weights_bytes
from llm_core.controls import as_choice, as_int
from llm_core.kv_cache import attention_variants, kv_bytes_per_token, kv_cache_bytes, kv_values_per_layer
from llm_core.moe import parameter_counts
from llm_core.moe import weights_bytes as moe_weights_bytes
from widgetlib.fmt import fixed, integer, significant

MAX_LOG2_CONTEXT = 20  # 2**20 = 1,048,576 tokens: beyond any config listed
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
    "MLA": "multi-head latent attention, as published",
}
MODELS = {**CONFIGS, **MOE_CONFIGS}

DEFAULTS = {"model": "llama-2-70b", "log2_context": 12, "batch": 1, "precision": "fp16"}  # 4,096 tokens
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"model": "llama-3-8b", "log2_context": 13},
    {"model": "llama-3.1-405b", "log2_context": 17, "batch": 8, "precision": "int8"},
    {"model": "gpt2", "log2_context": 0, "batch": 256, "precision": "int4"},
    {"model": "deepseek-v3", "log2_context": 17},
    {"model": "gpt-oss-120b", "log2_context": 16, "batch": 4},
    {"model": "qwen3-30b-a3b", "log2_context": 15, "precision": "int8"},
]
DATA = []
CODE = [
    "llm_core.kv_cache.kv_cache_bytes",
    "llm_core.kv_cache.kv_bytes_per_token",
    "llm_core.kv_cache.attention_variants",
    "llm_core.kv_cache.kv_values_per_layer",
    "llm_core.kv_cache.cached_positions",
    "llm_core.configs.weights_bytes",
    "llm_core.moe.parameter_counts",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    return {
        "model": as_choice("model", p["model"], list(MODELS)),
        "log2_context": as_int("log2_context", p["log2_context"], 0, MAX_LOG2_CONTEXT),
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


def share(x: float) -> str:
    """A ratio as a percentage, with as many digits as its size needs: 1,250%, 12%, 0.5%, 0.0029%."""
    if x >= 0.1:
        return f"{integer(round(100 * x))}%"
    if x >= 0.001:
        return f"{fixed(100 * x, 1)}%"
    return f"{significant(100 * x, 2)}%"


def plural(n: int, word: str) -> str:
    return f"{integer(n)} {word}{'' if n == 1 else 's'}"


def compute(params: dict) -> dict:
    p = read_params(params)
    context = 2 ** p["log2_context"]
    cfg = MODELS[p["model"]]
    moe = p["model"] in MOE_CONFIGS
    mla, n_sliding = getattr(cfg, "mla", None), getattr(cfg, "n_sliding_layer", 0)
    label, per_value = PRECISIONS[p["precision"]]
    variants = []
    for name, v in attention_variants(cfg).items():
        total = as_int_bytes(kv_cache_bytes(v, context, p["batch"], per_value))
        group = v.n_head // v.n_kv_head  # query heads per kv head
        latent = name == "MLA"
        variants.append(
            {
                "name": name,
                "text": VARIANT_TEXT[name],
                "n_kv_head": v.n_kv_head,
                "group": group,
                "heads_text": (
                    f"{mla[1]} + {mla[3]} numbers per layer (a latent and a RoPE key), shared by all {v.n_head} heads"
                    if latent
                    else f"n_kv_head = {v.n_kv_head} ({plural(group, 'query head')} per KV head)"
                ),
                "per_token": as_int_bytes(kv_bytes_per_token(v, per_value)),
                "per_token_h": human(kv_bytes_per_token(v, per_value)),
                "bytes": total,
                "human": human(total),
                "published": v is cfg or (not mla and v.n_kv_head == cfg.n_kv_head),  # MHA published: two
            }
        )
    mha = variants[0]["bytes"]
    for v in variants:
        v["fraction"] = v["bytes"] / mha  # of the MHA cache: bar length
        v["saving"] = round(mha / v["bytes"])  # MHA / this: whole when n_kv_head divides n_head, not for MLA
        exact = v["saving"] * v["bytes"] == mha
        v["bar_width"] = f"{100 * v['fraction']:.2f}%"
        v["saving_text"] = (
            "the MHA size"
            if v["saving"] == 1 and exact
            else f"{'' if exact else 'about '}{v['saving']}× smaller than MHA"
        )
    weights = moe_weights_bytes(parameter_counts(cfg)["total"], 16) if moe else weights_bytes(cfg, bits=16)
    published = variants[1]
    tokens = integer(context)
    if mla:  # one latent and one RoPE key per position and layer
        head = f"{cfg.n_layer} layers × ({mla[1]} + {mla[3]}) numbers × {per_value:g} bytes = "
    else:
        head = f"2 × {cfg.n_layer} layers × {cfg.n_kv_head} KV heads × {cfg.d_head} × {per_value:g} bytes = "
    formula = [
        (head, False),
        (f"{integer(published['per_token'])} bytes", True),
        (
            f" ({published['per_token_h']}) per token while the context is under {cfg.sliding_window} tokens; past "
            f"it the {n_sliding} sliding-window layers keep only their last {cfg.sliding_window} positions. For "
            f"{tokens} tokens × {plural(p['batch'], 'sequence')}: "
            if n_sliding
            else f" ({published['per_token_h']}) per token; × {tokens} tokens × {plural(p['batch'], 'sequence')} = ",
            False,
        ),
        (f"{integer(published['bytes'])} bytes = {published['human']}", True),
        (".", False),
    ]
    scale = (
        f"For scale: the weights of {cfg.name} at 16 bits take {human(weights)}; the cache as published is "
        f"{share(published['bytes'] / weights)} of that."
    )
    if moe:
        scale += " A mixture of experts: its weights are every expert, its cache only attention's."
    if cfg.n_kv_head == cfg.n_head and not mla:
        scale += f" {cfg.name} was published with multi-head attention, so its GQA column is the MHA one."
    if mla:
        scale += (
            f" MLA keeps {kv_values_per_layer(cfg)} numbers per position and layer, where MHA with its "
            f"{cfg.n_head} heads of {cfg.d_head} would keep {2 * cfg.n_head * cfg.d_head:,} (arXiv:2412.19437, "
            "section 2.1.1)."
        )
    return {
        "params": p,
        "context": context,
        "context_text": tokens,
        "shape_text": (
            f": n_layer {cfg.n_layer}, n_head {cfg.n_head}, n_kv_head {cfg.n_kv_head}, d_head {cfg.d_head}, "
            f"published context {integer(cfg.n_ctx)} tokens."
        ),
        "formula": [{"text": text, "strong": strong} for text, strong in formula],
        "scale_text": scale,
        "warning": (
            f"{tokens} tokens is beyond the {integer(cfg.n_ctx)} this model was released for: the memory is "
            "what the cache would take, but the model was not trained to read that far."
            if context > cfg.n_ctx
            else None
        ),
        "models": [
            {"key": key, "name": c.name + (" (mixture of experts)" if key in MOE_CONFIGS else "")}
            for key, c in MODELS.items()
        ],
        "precisions": [{"key": key, "label": text} for key, (text, _) in PRECISIONS.items()],
        "name": cfg.name,
        "source": cfg.source,
        "notes": cfg.notes or None,
        "n_layer": cfg.n_layer,
        "n_head": cfg.n_head,
        "n_kv_head": cfg.n_kv_head,
        "d_head": cfg.d_head,
        "n_ctx": cfg.n_ctx,
        "precision_label": label,
        "bytes_per_value": per_value,
        "variants": variants,
        "weights_bytes": weights,
        "weights_human": human(weights),
        "cache_vs_weights": published["bytes"] / weights,
        "is_mha": cfg.n_kv_head == cfg.n_head and not mla,
        "beyond_context": context > cfg.n_ctx,
    }
