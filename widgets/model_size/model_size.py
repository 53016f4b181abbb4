"""Model size: how much memory a model's weights take at fp32, fp16, int8 and int4, next to real devices.

Two models side by side: a published one, its parameters counted from its config
(`llm_core.configs.parameter_count`, source named in the config), and one of any size set with a slider.
A mixture-of-experts model (`llm_core.configs.MOE_CONFIGS`, counted by `llm_core.moe.parameter_counts`)
needs every expert in memory, since any token may pick any of them, while a token runs only its active
parameters: the bars show the total, and a line beside them the active count and its FLOPs per token.
Bytes come from `llm_core.configs.weights_bytes` / `llm_core.quantization.quantized_bytes`: bits per weight,
plus, for int8 and int4, one fp16 scale per group of group_size weights (int4 in groups of 32 is
4.5 bits a weight). Only the weights are counted: running a model also needs its KV cache and activations.
"""

import math

from llm_core import configs
from llm_core.configs import CONFIGS, MOE_CONFIGS, parameter_count, weights_bytes
from llm_core.controls import as_choice, as_int, as_number
from llm_core.moe import flops_per_token, parameter_counts
from llm_core.quantization import quantized_bytes
from widgetlib.fmt import fixed, integer, significant

FORMATS = [("fp32", 32), ("fp16", 16), ("int8", 8), ("int4", 4)]  # (name, bits per weight)
GROUP_SIZES = [32, 64, 128]
SCALE_BYTES = 2  # fp16 scales, as llama.cpp's Q8_0 / Q4_0 blocks and Glassbox's checkpoints store them
MODELS = [
    "llama-3.2-1b",
    "llama-2-7b",
    "mistral-7b",
    "qwen2.5-7b",
    "llama-3-8b",
    "llama-2-13b",
    "llama-2-70b",
    "llama-3-70b",
    "llama-3.1-405b",
    "gpt2-xl",
    # mixture of experts: every expert in memory, a few run per token
    "qwen3-30b-a3b",
    "mixtral-8x7b",
    "gpt-oss-120b",
    "deepseek-v3",
]
MIN_B, MAX_B = 0.5, 100.0  # the slider's range, in billions of parameters
# Memory of common devices, in GB (10^9 bytes), with where the number comes from.
DEVICES = [
    {"name": "Google Pixel 8 phone", "gb": 8, "source": "https://store.google.com/product/pixel_8_specs"},
    {"name": "16 GB laptop", "gb": 16, "source": None},
    {
        "name": "NVIDIA RTX 4090",
        "gb": 24,
        "source": "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4090/",
    },
    {"name": "NVIDIA H100", "gb": 80, "source": "https://www.nvidia.com/en-us/data-center/h100/"},
    {"name": "NVIDIA H200", "gb": 141, "source": "https://www.nvidia.com/en-us/data-center/h200/"},
    {"name": "8 × H100 server", "gb": 640, "source": "https://www.nvidia.com/en-us/data-center/h100/"},
]
# Bars on a log scale from 0.1 GB to 2,000 GB (the view sets widths from "frac").
LOG_LO, LOG_HI = math.log10(0.1), math.log10(2000)

DEFAULTS = {"model": "llama-3-8b", "billions": 70, "group_size": 32}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"model": "llama-3.2-1b", "billions": 1, "group_size": 128},
    {"model": "llama-3.1-405b", "billions": 100, "group_size": 64},
    {"model": "llama-2-70b", "billions": "13.5"},
    {"model": "mixtral-8x7b", "billions": 13, "group_size": 32},
]
DATA: list[str] = []
CODE = [
    "llm_core.configs.parameter_count",
    "llm_core.configs.weights_bytes",
    "llm_core.quantization.quantized_bytes",
    "llm_core.moe.parameter_counts",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    return {
        "model": as_choice("model", p["model"], MODELS),
        "billions": round(as_number("billions", p["billions"], MIN_B, MAX_B), 1),
        "group_size": as_choice("group_size", as_int("group_size", p["group_size"], 0, 10**6), GROUP_SIZES),
    }


def frac(n_bytes: int) -> float:
    """Where n_bytes falls on the log axis, 0 (0.1 GB) to 1 (2,000 GB)."""
    gb = max(n_bytes / 1e9, 10**LOG_LO)
    return min((math.log10(gb) - LOG_LO) / (LOG_HI - LOG_LO), 1.0)


def at(f: float) -> str:
    """A position on the log axis as a CSS percentage: 0.4567 -> "45.7%"."""
    return f"{100 * f:.1f}%"


def gigabytes(x: float) -> str:
    """GB as the bars print them: 0.52 GB, 16.1 GB, 141 GB, 1,612 GB."""
    return integer(round(x)) + " GB" if x >= 100 else fixed(x, 1 if x >= 10 else 2) + " GB"


def source_links(source: str) -> list:  # a config's source text -> [{"label", "url"}]
    """The paper and the Hugging Face config.json a config's source names, labelled for the figure."""
    return [
        {"label": "paper" if label.startswith("arXiv") else "config.json", "url": url}
        for label, url in configs.source_links(source)
    ]


def moe_line(cfg) -> tuple:  # MoEConfig -> total parameters, the sentence on what a token runs
    """A mixture of experts: all its parameters (in memory) and the active ones a token runs, with their FLOPs."""
    n = parameter_counts(cfg)
    active, total = n["active"], n["total"]
    routed = f"{cfg.top_k} of its {cfg.n_expert} experts" + (
        f" and {cfg.n_shared} shared one"
        if cfg.n_shared == 1
        else f" and {cfg.n_shared} shared"
        if cfg.n_shared
        else ""
    )
    text = (
        f"Mixture of experts: memory holds all {integer(total)} parameters, since any token may pick any expert, "
        f"but a token runs only {integer(active)} of them ({routed} per layer, "
        f"{fixed(100 * active / total, 1)}% of the weights): about {significant(flops_per_token(active) / 1e9, 3)} "
        f"GFLOPs per token, as a dense model of {significant(active / 1e9, 3)}B parameters would."
    )
    return total, {"active": active, "flops_per_token": flops_per_token(active), "text": text, "notes": cfg.notes}


def rows(sizes: dict) -> list:  # {format: bytes} -> one row per format
    out = []
    for name, bits in FORMATS:
        n = sizes[name]
        fits = next((d for d in DEVICES if n <= d["gb"] * 1e9), None)
        out.append(
            {
                "format": name,
                "bits": bits,
                "bytes": n,
                "gb": n / 1e9,
                "frac": frac(n),
                "fits": fits["name"] if fits else None,
                "fits_gb": fits["gb"] if fits else None,
                "gb_text": gigabytes(n / 1e9),
                "width": at(frac(n)),
                "fits_text": f", fits: {fits['name']} ({integer(fits['gb'])} GB)"
                if fits
                else ", more than one 8-GPU server holds",
            }
        )
    return out


def compute(params: dict) -> dict:
    p = read_params(params)
    g = p["group_size"]
    if p["model"] in MOE_CONFIGS:
        cfg = MOE_CONFIGS[p["model"]]
        n_real, moe = moe_line(cfg)
        real = {
            name: quantized_bytes(n_real, bits, -(-n_real // g) if bits < 16 else 0, SCALE_BYTES)
            for name, bits in FORMATS
        }  # as weights_bytes counts a dense model: every parameter, one scale per group
    else:
        cfg, moe = CONFIGS[p["model"]], None
        n_real = parameter_count(cfg)["total"]
        real = {name: weights_bytes(cfg, bits, g if bits < 16 else None) for name, bits in FORMATS}
    n_any = round(p["billions"] * 1e9)
    scales = -(-n_any // g)  # ceil(n / group_size) groups
    any_size = {name: quantized_bytes(n_any, bits, scales if bits < 16 else 0, SCALE_BYTES) for name, bits in FORMATS}
    return {
        "real": {
            "key": p["model"],
            "name": cfg.name,
            "n_params": n_real,
            "n_params_text": integer(n_real),
            "source": cfg.source,
            "links": source_links(cfg.source),
            "rows": rows(real),
            "moe": moe,
        },
        "any": {
            "name": f"Any model of {p['billions']:g} billion parameters",
            "n_params": n_any,
            "rows": rows(any_size),
        },
        "int4_bits": 8 * real["int4"] / n_real,  # bits a weight, scales included
        "int8_bits": 8 * real["int8"] / n_real,
        "bits_text": {"int8": f"{8 * real['int8'] / n_real:.3g}", "int4": f"{8 * real['int4'] / n_real:.3g}"},
        "devices": [
            {**d, "frac": frac(d["gb"] * 10**9), "left": at(frac(d["gb"] * 10**9)), "gb_text": f"{integer(d['gb'])} GB"}
            for d in DEVICES
        ],
        "ticks": [
            {"label": label, "frac": frac(gb * 10**9), "left": at(frac(gb * 10**9))}
            for label, gb in [("0.1", 0.1), ("1", 1), ("10", 10), ("100", 100), ("1,000", 1000)]
        ],
        "billions_text": f"{p['billions']:g}",  # the slider's <output>
        "models": [{"key": k, "name": (MOE_CONFIGS.get(k) or CONFIGS.get(k)).name} for k in MODELS],
        "params": p,
    }
