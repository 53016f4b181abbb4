"""LoRA parameters: what full fine-tuning trains and stores, against LoRA, for published model shapes.

Full fine-tuning trains every parameter (`llm_core.configs.parameter_count`). LoRA freezes them and
trains rank * (d_in + d_out) numbers for each target matrix of every block
(`llm_core.lora.lora_model_parameter_count`). Memory for training with Adam in mixed precision follows
ZeRO's accounting (Rajbhandari et al. 2019, arXiv:1910.02054, section 3.1): 16 bytes per trained
parameter (fp16 weight and gradient, 2 + 2; fp32 master weight, momentum and variance, 4 + 4 + 4) and, for
LoRA, 2 bytes per frozen fp16 weight. Activations are left out: they depend on batch and sequence length.
"""

from llm_core import configs
from llm_core.configs import CONFIGS, parameter_count
from llm_core.controls import as_choice, as_int
from llm_core.lora import TARGETS, block_linear_shapes, lora_model_parameter_count
from widgetlib.fmt import integer, percent

MODELS = [
    "llama-3.2-1b",
    "llama-2-7b",
    "mistral-7b",
    "llama-3-8b",
    "qwen2.5-7b",
    "llama-2-13b",
    "llama-2-70b",
    "llama-3-70b",
    "gpt2",
]
TARGET_LABELS = {
    "qv": "query and value (the LoRA paper)",
    "attention": "all of attention (q, k, v, o)",
    "all": "every linear layer (attention and FFN)",
}
MAX_RANK = 256
TRAINED_BYTES = 16  # per trained parameter with Adam in mixed precision (ZeRO, section 3.1)
FROZEN_BYTES = 2  # per frozen fp16 weight

DEFAULTS = {"model": "llama-2-7b", "rank": 8, "targets": "qv"}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"model": "llama-3-70b", "rank": 64, "targets": "all"},
    {"model": "gpt2", "rank": 256, "targets": "attention"},
    {"model": "llama-3.2-1b", "rank": 1, "targets": "all"},
]
DATA: list[str] = []
CODE = [
    "llm_core.lora.lora_model_parameter_count",
    "llm_core.lora.block_linear_shapes",
    "llm_core.configs.parameter_count",
]


def source_links(source: str) -> list:  # a config's source text -> [{"label", "url"}]
    """The paper and the Hugging Face config.json a config's source names, labelled for the figure."""
    return [
        {"label": "paper" if label.startswith("arXiv") else "config.json", "url": url}
        for label, url in configs.source_links(source)
    ]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    return {
        "model": as_choice("model", p["model"], MODELS),
        "rank": as_int("rank", p["rank"], 1, MAX_RANK),
        "targets": as_choice("targets", p["targets"], list(TARGETS)),
    }


def gigabytes(n: int) -> str:
    """Bytes as GB: 3 significant digits or so (0.52 GB, 13.5 GB, 140 GB)."""
    x = n / 1e9
    if x >= 100:
        return f"{integer(round(x))} GB"
    return f"{x:.1f} GB" if x >= 10 else f"{x:.2f} GB"


def compute(params: dict) -> dict:
    p = read_params(params)
    cfg = CONFIGS[p["model"]]
    total = parameter_count(cfg)["total"]
    count = lora_model_parameter_count(cfg, p["rank"], p["targets"])
    shapes = block_linear_shapes(cfg)
    full_bytes = TRAINED_BYTES * total
    lora_bytes = FROZEN_BYTES * total + TRAINED_BYTES * count["lora"]
    matrices = list(count["per_matrix"].items())
    return {
        # The table: per method, what it trains and the memory it needs (a bar relative to full fine-tuning).
        "rows": [
            {
                "head": "Full fine-tuning",
                "trained": f"{integer(total)} (100%)",
                "width": "100.0%",
                "memory": gigabytes(full_bytes),
            },
            {
                "head": f"LoRA, rank {p['rank']}",
                "trained": f"{integer(count['lora'])} ({percent(count['lora'] / total, 3)})",
                "width": f"{100 * lora_bytes / full_bytes:.1f}%",
                "memory": gigabytes(lora_bytes),
            },
        ],
        # Per layer: each targeted matrix's shape and the LoRA numbers it gets, listed with "; " between.
        "per_layer": [
            {
                "name": n,
                "text": f" {shapes[n][0]} × {shapes[n][1]} gets {integer(v)}"
                + ("; " if i < len(matrices) - 1 else "."),
            }
            for i, (n, v) in enumerate(matrices)
        ],
        "adapter_text": f"{FROZEN_BYTES * count['lora'] / 1e6:.1f} MB",
        "name": cfg.name,
        "source": cfg.source,
        "links": source_links(cfg.source),
        "n_layer": cfg.n_layer,
        "total": total,
        "lora": count["lora"],
        "fraction": count["lora"] / total,
        "targeted": count["targeted"],
        "matrices": [{"name": n, "shape": list(shapes[n]), "lora": v} for n, v in count["per_matrix"].items()],
        "full_bytes": full_bytes,
        "lora_bytes": lora_bytes,
        "adapter_bytes": FROZEN_BYTES * count["lora"],  # the trained update saved in fp16
        "lora_bar": lora_bytes / full_bytes,
        "targets_label": TARGET_LABELS[p["targets"]],
        "models": [{"key": k, "name": CONFIGS[k].name} for k in MODELS],
        "params": p,
    }
