"""Serving simulator: time to first token, tokens per second and memory for a real model on real hardware.

The reader picks a model shape (llm_core.configs, or Glassbox's tiny model), the precision of its
weights, an accelerator (datasheet presets, or their own numbers), the prompt and answer lengths and how
many requests are served together. `llm_core.serving.simulate` runs the roofline estimate step by step:
prefill (2 N FLOPs per prompt token) gives the time to first token, each decode step reads every weight
once for the whole batch plus each sequence's KV cache, and the token arrival times are drawn as a
stream. These are upper bounds: real kernels reach a fraction of peak bandwidth and FLOP/s.

A mixture of experts (`llm_core.moe.MOE_CONFIGS`) holds every expert in memory, but FLOPs follow its active
parameters, and a pass reads only the experts its tokens route to: `llm_core.moe.weight_bytes_read`, under
uniform routing E (1 - (1 - k/E)^B) experts per layer for B tokens, handed to `simulate` as `bytes_read`.
The KV cache comes from `llm_core.kv_cache.kv_cache_bytes` (latent attention, sliding-window layers).
"""

import functools
import math

from llm_core.configs import CONFIGS, MOE_CONFIGS, ArchConfig, parameter_count, weights_bytes
from llm_core.controls import as_choice, as_int, as_number
from llm_core.kv_cache import kv_bytes_per_token, kv_cache_bytes
from llm_core.moe import expected_experts_used, parameter_counts, weight_bytes_read
from llm_core.quantization import quantized_bytes
from llm_core.serving import HARDWARE, Hardware, compute_bound_batch, decode_step, simulate
from widgetlib.fmt import power_of_ten
from widgetlib.model import tiny_arch
from widgetlib.plot import frame

PRECISIONS = {  # key -> (label, bits per weight, group size for one fp16 scale)
    "fp32": ("fp32 (32 bits)", 32, None),
    "bf16": ("bf16 / fp16 (16 bits)", 16, None),
    "int8": ("int8, groups of 32 (8.5 bits)", 8, 32),
    "int4": ("int4, groups of 32 (4.5 bits)", 4, 32),
}
KV_BYTES = 2  # the KV cache kept in 16 bits whatever the weights' precision
MAX_PROMPT, MAX_OUTPUT, MAX_BATCH = 131_072, 512, 256
BATCHES = [1, 4, 16, 64, 256]  # rows of the batching table
WIDTH, HEIGHT = 380, 92
LEFT, RIGHT, TOP, BOTTOM = 10, 14, 30, 30
MAX_PLAY_S = 10  # the Play button replays a longer answer sped up to this many seconds

DEFAULTS = {
    "model": "llama-3-8b",
    "precision": "bf16",
    "hardware": "h100-sxm",
    "bandwidth_gbs": 3350,
    "tflops": 989,
    "prompt_tokens": 1000,
    "output_tokens": 200,
    "batch": 1,
}
EXAMPLES = [
    {"model": "tiny", "precision": "fp32", "hardware": "laptop-m2", "prompt_tokens": 5000, "output_tokens": 64},
    {"model": "llama-3-70b", "precision": "int4", "hardware": "a100-80gb", "batch": 64, "output_tokens": 64},
    {"model": "llama-3.1-405b", "hardware": "custom", "bandwidth_gbs": "", "tflops": 5000, "batch": 256},
    {"model": "mixtral-8x7b", "batch": 16},
    {"model": "gpt-oss-120b", "precision": "int4", "prompt_tokens": 20000, "output_tokens": 32},
    {"model": "deepseek-v3", "precision": "int8", "hardware": "custom", "tflops": 2000, "batch": 64},
]
DATA = ["models/tiny/config.json"]
CODE = [
    "llm_core.serving.simulate",
    "llm_core.serving.prefill_seconds",
    "llm_core.serving.decode_step",
    "llm_core.serving.compute_bound_batch",
    "llm_core.serving.stream_timeline",
    "llm_core.configs.weights_bytes",
    "llm_core.kv_cache.kv_bytes_per_token",
    "llm_core.kv_cache.kv_cache_bytes",
    "llm_core.moe.weight_bytes_read",
    "llm_core.moe.params_read",
    "llm_core.moe.expected_experts_used",
]


@functools.cache
def tiny_config() -> ArchConfig:
    """Glassbox's tiny model as an ArchConfig (RMSNorm, SwiGLU, RoPE, no biases, tied embeddings)."""
    return tiny_arch("Glassbox tiny (1.7M)")


def config(key: str):  # -> ArchConfig, or an MoEConfig
    return tiny_config() if key == "tiny" else CONFIGS.get(key) or MOE_CONFIGS[key]


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    out = {
        "model": as_choice("model", p["model"], ["tiny", *CONFIGS, *MOE_CONFIGS]),
        "precision": as_choice("precision", p["precision"], list(PRECISIONS)),
        "hardware": as_choice("hardware", p["hardware"], [*HARDWARE, "custom"]),
        "prompt_tokens": as_int("prompt length", p["prompt_tokens"], 1, MAX_PROMPT),
        "output_tokens": as_int("output length", p["output_tokens"], 1, MAX_OUTPUT),
        "batch": as_int("batch size", p["batch"], 1, MAX_BATCH),
    }
    if out["hardware"] == "custom":  # the number boxes count only for custom hardware; "" is their default
        out["bandwidth_gbs"] = as_number(
            "memory bandwidth",
            p["bandwidth_gbs"] if p["bandwidth_gbs"] != "" else DEFAULTS["bandwidth_gbs"],
            1,
            100_000,
        )
        out["tflops"] = as_number("FLOP/s", p["tflops"] if p["tflops"] != "" else DEFAULTS["tflops"], 0.01, 100_000)
    else:
        hw = HARDWARE[out["hardware"]]
        out["bandwidth_gbs"], out["tflops"] = hw.bandwidth / 1e9, hw.flops_per_s / 1e12
    return out


def seconds(t: float) -> str:
    """A duration for a reader: 412 µs, 16.2 ms, 3.41 s, 2.5 min."""
    if t < 1e-3:
        return f"{t * 1e6:.3g} µs"
    if t < 1:
        return f"{t * 1e3:.3g} ms"
    return f"{t:.3g} s" if t < 120 else f"{t / 60:.3g} min"


def gigabytes(n: float) -> str:
    """Bytes in GB (10^9) with three digits, or whole GB from 1,000 up: 4.65 GB, 93.4 GB, 1,342 GB, 131 MB."""
    if n >= 1e12:
        return f"{n / 1e9:,.0f} GB"
    return f"{n / 1e9:,.3g} GB" if n >= 1e9 else f"{n / 1e6:,.3g} MB"


def rate(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def timeline(arrivals: list, ttft: float) -> dict:
    """Token arrival ticks on a time axis in SVG units, with 1-2-5 ticks in ms or s."""
    end = arrivals[-1] * 1.02
    scale = (WIDTH - LEFT - RIGHT) / end
    step = 10 ** math.floor(math.log10(end / 5))
    step *= next(m for m in (1, 2, 5, 10) if end / (step * m) <= 6)
    n_ticks = int(end // step)
    axis = [
        {
            "at": round(LEFT + i * step * scale, 2),
            "label": seconds(i * step) if i else "0",
            "anchor": "middle" if i else "start",
        }
        for i in range(n_ticks + 1)
    ]
    prefill_end = round(LEFT + ttft * scale, 2)
    return {
        "ticks": [round(LEFT + t * scale, 2) for t in arrivals],
        "prefill_end": prefill_end,
        "prefill_width": f"{prefill_end - LEFT:.2f}",
        "bar_height": HEIGHT - BOTTOM - TOP,
        "title_y": TOP - 8,
        "label_y": HEIGHT - BOTTOM + 14,
        "axis": axis,
        **frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM),
        "viewbox": f"0 0 {WIDTH} {HEIGHT}",
    }


def replay(arrivals: list, total: float, n_out: int, total_text: str) -> dict:
    """What the Play button needs: when each token shows, in ms after the replay starts, and its words."""
    speed = max(1.0, total / MAX_PLAY_S)
    faster = f"{round(speed)}× faster"
    return {
        "at_ms": [1000 * t / speed for t in arrivals],
        "playing": f"Replaying {faster}…" if speed > 1 else "Replaying in real time…",
        "done": f"Replayed {n_out} tokens: the whole answer took {total_text}"
        + (f" (shown {faster})." if speed > 1 else " (in real time)."),
    }


def count_text(n: float) -> str:
    return f"{n / 1e9:.3g}B" if n >= 1e9 else f"{n / 1e6:.3g}M"


def moe_text(cfg, batch: int, step_bytes: float, w_bytes: float) -> str:
    """What a mixture of experts reads per decode step, in words: the experts the batch's tokens pick."""
    used = expected_experts_used(cfg.n_expert, cfg.top_k, batch)
    picked = (
        f"one token picks {cfg.top_k} of its {cfg.n_expert} experts in each MoE layer"
        if batch == 1
        else f"{batch} tokens, one per request, pick {used:.3g} of its {cfg.n_expert} experts per MoE layer "
        f"between them (expected under uniform routing: E (1 − (1 − k/E)^B))"
    )
    return (
        f"Mixture of experts: memory holds every expert ({gigabytes(w_bytes)}), and FLOPs count only the "
        f"active parameters. A decode step reads {gigabytes(step_bytes)} of weights, {step_bytes / w_bytes:.0%} "
        f"of them: {picked}."
    )


def compute(params: dict) -> dict:
    p = read_params(params)
    cfg, notes = config(p["model"]), []
    window = getattr(cfg, "n_sliding_layer", 0)
    n_ctx = cfg.n_ctx
    n_out = min(p["output_tokens"], n_ctx - 1)  # the answer is kept; the prompt loses its oldest tokens
    n_prompt = min(p["prompt_tokens"], n_ctx - n_out)
    if n_out < p["output_tokens"]:
        notes.append(f"{cfg.name} reads at most {n_ctx:,} positions, so the answer stops at {n_out:,} tokens.")
    if n_prompt < p["prompt_tokens"]:
        notes.append(
            f"Prompt and answer must fit in {n_ctx:,} positions: only the prompt’s last {n_prompt:,} tokens are kept."
        )
    label, bits, group = PRECISIONS[p["precision"]]
    moe = p["model"] in MOE_CONFIGS
    if moe:  # memory holds every expert; a token runs (and its FLOPs count) only the active parameters
        counts = parameter_counts(cfg)
        n_total, n_params = counts["total"], counts["active"]
        w_bytes = quantized_bytes(n_total, bits, -(-n_total // group) if group else 0, 2)  # as weights_bytes
        read = functools.partial(weight_bytes_read, cfg, w_bytes)  # n_tokens -> bytes a pass reads
    else:
        n_total = n_params = parameter_count(cfg)["total"]
        w_bytes = weights_bytes(cfg, bits=bits, group_size=group, scale_bytes=2)
        read = None
    kv_per_position = kv_bytes_per_token(cfg, KV_BYTES)
    kv = functools.partial(kv_cache_bytes, cfg, bytes_per_value=KV_BYTES)  # one sequence's cache at n positions
    if p["hardware"] == "custom":
        hw = Hardware("your hardware", p["bandwidth_gbs"] * 1e9, p["tflops"] * 1e12, math.inf, "")
    else:
        hw = HARDWARE[p["hardware"]]
    run = simulate(n_params, w_bytes, kv, n_prompt, n_out, p["batch"], hw, bytes_read=read)
    steps = run["steps"]
    decode_time = run["total_seconds"] - run["ttft"]
    per_seq = (n_out - 1) / decode_time if n_out > 1 else None
    first = (
        steps[0]
        if steps
        else decode_step(
            run["step_weight_bytes"], kv, n_params, [n_prompt + 1] * p["batch"], hw.bandwidth, hw.flops_per_s
        )
    )
    if not run["fits"]:
        notes.append(
            f"Weights and KV cache need {gigabytes(run['memory_bytes'])}, more than the "
            f"{gigabytes(hw.memory)} of one {hw.name}: it would have to be split across several."
        )
    batching = []
    for b in sorted({*BATCHES, p["batch"]}):
        s = decode_step(read(b) if read else w_bytes, kv, n_params, [n_prompt + 1] * b, hw.bandwidth, hw.flops_per_s)
        batching.append(
            {
                "batch": b,
                "per_seq": rate(s["tokens_per_s"]),
                "aggregate": rate(s["aggregate_tokens_per_s"]),
                "bound": s["bound"],
                "yours": b == p["batch"],
                "tokens_per_s": s["tokens_per_s"],
                "aggregate_tokens_per_s": s["aggregate_tokens_per_s"],
            }
        )
    crossover = compute_bound_batch(w_bytes, kv, n_params, n_prompt + 1, hw.bandwidth, hw.flops_per_s, bytes_read=read)
    prefill_bytes = read(n_prompt * p["batch"]) if read else w_bytes
    return {
        "model": {
            "name": cfg.name,
            "source": cfg.source,
            "n_params": n_total,
            "n_active": n_params,
            "n_ctx": n_ctx,
            "n_params_text": count_text(n_total) + (f", {count_text(n_params)} active" if moe else ""),
        },
        "moe": moe_text(cfg, p["batch"], run["step_weight_bytes"], w_bytes) if moe else None,
        "flops_basis": "active parameter" if moe else "parameter",
        "read_what": "the weights of the experts its tokens pick" if moe else "the weights once",
        "step_weights_text": gigabytes(run["step_weight_bytes"]),
        "hardware": {
            "name": hw.name,
            "source": hw.source,
            "bandwidth_text": f"{hw.bandwidth / 1e9:,.4g}",
            "tflops_text": f"{hw.flops_per_s / 1e12:,.4g}",
            "memory_text": gigabytes(hw.memory) if hw.memory != math.inf else None,
        },
        "precision": label,
        "n_prompt": n_prompt,
        "n_out": n_out,
        "batch": p["batch"],
        "requests_text": f"{p['batch']} request{'' if p['batch'] == 1 else 's'}",
        "shown": {"output_tokens": str(p["output_tokens"]), "batch": str(p["batch"])},  # the sliders' <output>s
        "ttft": run["ttft"],
        "ttft_text": seconds(run["ttft"]),
        "prefill_bound": "compute"
        if 2 * n_params * n_prompt * p["batch"] / hw.flops_per_s >= prefill_bytes / hw.bandwidth
        else "memory",
        "step": {
            "seconds": first["seconds"],
            "text": seconds(first["seconds"]),
            "bound": first["bound"],
            "bytes_text": gigabytes(first["bytes"]),
        },
        "per_seq_tokens_per_s": per_seq,
        "per_seq_text": rate(per_seq) if per_seq else None,
        "aggregate_tokens_per_s": per_seq * p["batch"] if per_seq else None,
        "aggregate_text": rate(per_seq * p["batch"]) if per_seq else None,
        "total_seconds": run["total_seconds"],
        "total_text": seconds(run["total_seconds"]),
        "memory": {
            "weights": w_bytes,
            "kv": run["kv_bytes"],
            "total": run["memory_bytes"],
            "fits": run["fits"],
            "weights_text": gigabytes(w_bytes),
            "kv_text": gigabytes(run["kv_bytes"]),
            "total_text": gigabytes(run["memory_bytes"]),
        },
        "kv_per_position_text": f"{kv_per_position / 1024:,.4g} KiB"
        + (f" while under {cfg.sliding_window} positions, then only in the full-attention layers" if window else ""),
        "batching": batching,
        "crossover": crossover,
        "crossover_text": f"{crossover:,.0f}" if crossover else None,
        "arrivals": run["arrivals"],
        "timeline": timeline(run["arrivals"], run["ttft"]),
        "replay": replay(run["arrivals"], run["total_seconds"], n_out, seconds(run["total_seconds"])),
        "options": {
            "model": [{"key": "tiny", "label": tiny_config().name}]
            + [{"key": k, "label": c.name} for k, c in CONFIGS.items()]
            + [{"key": k, "label": f"{c.name} (mixture of experts)"} for k, c in MOE_CONFIGS.items()],
            "precision": [{"key": k, "label": v[0]} for k, v in PRECISIONS.items()],
            "hardware": [{"key": k, "label": h.name} for k, h in HARDWARE.items()]
            + [{"key": "custom", "label": "Custom (the two boxes below)"}],
        },
        "prefill_flops": power_of_ten(2.0 * n_params * n_prompt * p["batch"]),
        "n_prompt_text": f"{n_prompt:,}",
        "step_positions_text": f"{n_prompt + 1:,}",
        "params": p,
        "note": " ".join(notes) or None,
    }
