"""MoE parameters: total versus active, weight memory versus FLOPs per token, for published MoE models.

`llm_core.moe.parameter_counts` counts every weight of the configuration (from its config.json) and the
ones a token uses: every expert must sit in memory, since any token may pick any of them, but each token
runs only its top-k. Memory is the total at the chosen precision (`llm_core.moe.weights_bytes`); FLOPs per
token are 2 x active (`llm_core.moe.flops_per_token`). Beside it, the dense model of the catalogue in
`llm_core.configs` whose size is closest to the MoE's active count (closest on a log scale): about the same
work per token, for a fraction of the memory.
"""

import math

from llm_core.configs import CONFIGS, parameter_count
from llm_core.controls import as_choice
from llm_core.moe import MOE_CONFIGS, flops_per_token, parameter_counts, weights_bytes
from widgetlib.fmt import fixed, percent, significant

PRECISIONS = {"bf16": 16, "fp8": 8, "4-bit": 4}

DEFAULTS = {"config": "mixtral-8x7b", "precision": "bf16"}
EXAMPLES = [
    {"config": "deepseek-v3", "precision": "fp8"},
    {"config": "gpt-oss-120b", "precision": "4-bit"},
    {"config": "qwen3-30b-a3b"},
]
DATA: list[str] = []
CODE = [
    "llm_core.moe.parameter_counts",
    "llm_core.moe.attention_params",
    "llm_core.moe.weights_bytes",
    "llm_core.moe.flops_per_token",
    "llm_core.configs.parameter_count",
]


def billions(n: float) -> str:
    """Parameters in billions: 3.35B, 46.7B, 671.0B."""
    return f"{fixed(n / 1e9, 2 if n < 10e9 else 1)}B"


def closest_dense(n_active: int) -> str:
    """The key of the dense configuration whose total is closest to n_active, on a log scale."""
    return min(CONFIGS, key=lambda key: abs(math.log(parameter_count(CONFIGS[key])["total"] / n_active)))


def bar(value: float, largest: float) -> str:
    """A bar's width as a CSS percentage of the larger of the two compared."""
    return f"{100 * value / largest:.2f}%"


def model_row(key: str, bits: int) -> dict:
    cfg = MOE_CONFIGS[key]
    n = parameter_counts(cfg)
    total, active = n["total"], n["active"]
    published_total, published_active = cfg.published
    return {
        "key": key,
        "name": cfg.name,
        "total": total,
        "active": active,
        "active_no_embedding": n["active_no_embedding"],
        "total_text": billions(total),
        "active_text": billions(active),
        "active_no_embedding_text": billions(n["active_no_embedding"]),
        "share_text": percent(active / total),
        "experts_text": f"{cfg.top_k} of {cfg.n_expert}" + (f" + {cfg.n_shared} shared" if cfg.n_shared else ""),
        "published_text": f"{billions(published_total)} / {billions(published_active)}",
        "memory": weights_bytes(total, bits),
        "memory_text": f"{significant(weights_bytes(total, bits) / 1e9, 3)} GB",
        "flops": flops_per_token(active),
        "flops_text": f"{fixed(flops_per_token(active) / 1e9, 1)} GFLOPs",
        "notes": cfg.notes,
        "source": cfg.source,
    }


def compute(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    key = as_choice("config", p["config"], list(MOE_CONFIGS))
    precision = as_choice("precision", p["precision"], list(PRECISIONS))
    bits = PRECISIONS[precision]
    rows = [model_row(k, bits) for k in MOE_CONFIGS]
    moe = next(r for r in rows if r["key"] == key)
    dense_key = closest_dense(moe["active"])
    dense_cfg = CONFIGS[dense_key]
    dense_total = parameter_count(dense_cfg)["total"]
    dense = {
        "name": dense_cfg.name,
        "total": dense_total,
        "total_text": billions(dense_total),
        "memory": weights_bytes(dense_total, bits),
        "memory_text": f"{significant(weights_bytes(dense_total, bits) / 1e9, 3)} GB",
        "flops": flops_per_token(dense_total),
        "flops_text": f"{fixed(flops_per_token(dense_total) / 1e9, 1)} GFLOPs",
    }
    memory_max, flops_max = max(moe["memory"], dense["memory"]), max(moe["flops"], dense["flops"])
    bars = [  # per quantity, the MoE's bar then the dense model's, both scaled to the larger
        {
            "what": what,
            "items": [
                {"name": m["name"], "text": m[f"{key}_text"], "width": bar(m[key], top), "moe": m is moe}
                for m in (moe, dense)
            ],
        }
        for what, key, top in (("Weight memory", "memory", memory_max), ("FLOPs per token", "flops", flops_max))
    ]
    memory_ratio, flops_ratio = moe["memory"] / dense["memory"], moe["flops"] / dense["flops"]
    return {
        "params": {"config": key, "precision": precision},
        "moe": moe,
        "dense": dense,
        "bars": bars,
        "rows": rows,
        "memory_ratio_text": fixed(memory_ratio, 1),
        "flops_ratio_text": fixed(flops_ratio, 2),
        "summary": (
            f"{moe['name']} holds {moe['total_text']} parameters and runs {moe['active_text']} of them per "
            f"token ({moe['share_text']}): experts {moe['experts_text']} in each MoE layer. At {precision} "
            f"({bits} bits a weight) its weights take {moe['memory_text']}, {fixed(memory_ratio, 1)} times "
            f"{dense['name']}'s {dense['memory_text']}, while a token costs {fixed(flops_ratio, 2)} times "
            f"the FLOPs."
        ),
        "dense_note": (
            f"{dense['name']} ({dense['total_text']}) is the dense model of Glassbox's catalogue closest in "
            f"size to {moe['name']}'s active count."
        ),
        "options": {
            "config": [{"value": k, "label": MOE_CONFIGS[k].name} for k in MOE_CONFIGS],
            "precision": [{"value": k, "label": f"{k} ({b} bits)"} for k, b in PRECISIONS.items()],
        },
    }
