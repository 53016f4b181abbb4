"""Parallelism calculator: train a real model on n_data x n_tensor x n_pipeline GPUs; what each GPU holds.

The reader picks a published model (llm_core.configs), the GPU, the data, tensor and pipeline degrees,
the ZeRO stage, what is recomputed, the sequence length and micro-batches per step, the tokens of the
run and the MFU. `llm_core.parallelism` gives the busiest GPU's memory (weights, gradients, fp32 master
weights, Adam moments, activations) against the GPU's memory, the bytes each GPU sends per step over
NVLink or InfiniBand and the seconds that takes, and the run's GPU-hours, days and cost. The tokens
default to Chinchilla's 20 per parameter (llm_core.scaling.TOKENS_PER_PARAM), and the scaling chapter's
fitted loss is shown for the run. Every number is a float64 closed form: the browser matches CPython to
the default REL_TOL.
"""

from llm_core.configs import CONFIGS, parameter_count
from llm_core.controls import as_choice, as_int, as_number
from llm_core.parallelism import (
    PUBLISHED_RUNS,
    TRAINING_GPUS,
    Layout,
    communication_bytes,
    implied_mfu,
    links,
    run_cost,
    step_time,
    training_memory,
)
from llm_core.scaling import TOKENS_PER_PARAM, chinchilla_loss
from widgetlib.fmt import css_percent, fixed, integer, percent, significant

DATA_DEGREES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
TENSOR_DEGREES = [1, 2, 4, 8]
PIPELINE_DEGREES = [1, 2, 4, 8, 16]
SEQ_LENS = [2048, 4096, 8192]
TOKENS_PER_PARAM_CHOICES = [1, 2, 5, 10, TOKENS_PER_PARAM, 50, 100, 200, 500, 1000, 2000]
RECOMPUTE = {
    "none": "nothing (keep every activation)",
    "selective": "attention scores (selective)",
    "full": "whole layers (full checkpointing)",
}
PARTS = {  # key -> label in the bar and the table
    "weights": "weights (bf16)",
    "gradients": "gradients (bf16)",
    "master": "master weights (fp32)",
    "adam": "Adam moments (fp32)",
    "activations": "activations",
}

DEFAULTS = {
    "model": "llama-3-70b",
    "gpu": "h100",
    "n_data": 64,
    "n_tensor": 8,
    "n_pipeline": 1,
    "zero_stage": 1,
    "recompute": "selective",
    "seq_len": 8192,
    "n_micro": 4,
    "tokens_per_param": TOKENS_PER_PARAM,
    "mfu": 0.4,
    "price": 2.0,
}
EXAMPLES = [
    # Llama 3 405B as Meta trained it (arXiv:2407.21783, table 4): 16,384 H100s, TP 8, PP 16, DP 128, 16M tokens
    {"model": "llama-3.1-405b", "n_data": 128, "n_pipeline": 16, "n_micro": 16, "tokens_per_param": 50, "mfu": 0.41},
    {"model": "llama-3-8b", "n_data": 8, "n_tensor": 1, "zero_stage": 3, "recompute": "full", "gpu": "a100"},
    {"model": "gpt2-xl", "n_data": 1, "n_tensor": 8, "n_pipeline": 16, "zero_stage": 0, "recompute": "none"},
    {"model": "llama-2-7b", "n_data": "1024", "n_micro": "64", "mfu": "0.7", "price": "10", "seq_len": 2048},
]
DATA: list[str] = []
CODE = [
    "llm_core.parallelism.training_memory",
    "llm_core.parallelism.model_state_bytes",
    "llm_core.parallelism.activation_bytes_per_layer",
    "llm_core.parallelism.communication_bytes",
    "llm_core.parallelism.pipeline_bubble",
    "llm_core.parallelism.step_time",
    "llm_core.parallelism.run_cost",
    "llm_core.scaling.chinchilla_loss",
]


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    return {
        "model": as_choice("model", p["model"], list(CONFIGS)),
        "gpu": as_choice("gpu", p["gpu"], list(TRAINING_GPUS)),
        "n_data": as_choice("data-parallel degree", as_int("n_data", p["n_data"], 1, 1024), DATA_DEGREES),
        "n_tensor": as_choice("tensor-parallel degree", as_int("n_tensor", p["n_tensor"], 1, 8), TENSOR_DEGREES),
        "n_pipeline": as_choice("pipeline stages", as_int("n_pipeline", p["n_pipeline"], 1, 16), PIPELINE_DEGREES),
        "zero_stage": as_int("ZeRO stage", p["zero_stage"], 0, 3),
        "recompute": as_choice("recompute", p["recompute"], list(RECOMPUTE)),
        "seq_len": as_choice("sequence length", as_int("seq_len", p["seq_len"], 2048, 8192), SEQ_LENS),
        "n_micro": as_int("micro-batches per step", p["n_micro"], 1, 64),
        "tokens_per_param": as_choice(
            "tokens per parameter", as_int("tokens_per_param", p["tokens_per_param"], 1, 2000), TOKENS_PER_PARAM_CHOICES
        ),
        "mfu": round(as_number("MFU", p["mfu"], 0.05, 0.8), 2),
        "price": round(as_number("price per GPU-hour", p["price"], 0.5, 10.0), 2),
    }


def gb(n_bytes: float) -> str:
    """Bytes in GB (10^9, as GPU memory is sold): 1.88 GB, 71.3 GB, 1,150 GB."""
    return f"{significant(n_bytes / 1e9, 3)} GB"


def seconds(s: float) -> str:
    if s < 1e-3:
        return "0 ms" if s == 0 else f"{significant(s * 1e6, 3)} µs"
    if s < 1:
        return f"{significant(s * 1e3, 3)} ms"
    if s < 3600:
        return f"{significant(s, 3)} s"
    return f"{significant(s / 3600, 3)} hours"


def count(n: float) -> str:
    """A count with a suffix: 1.41T, 70.6B, 8,192."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if n >= size:
            return f"{significant(n / size, 3)}{suffix}"
    return integer(round(n))


def power_of_ten(x: float) -> dict:
    """x as mantissa and exponent, for "3.79 × 10^25": the view puts the exponent in a <sup>."""
    mantissa, exponent = f"{x:.2e}".split("e")
    return {"mantissa": mantissa, "exponent": str(int(exponent))}


def fit_degrees(cfg, p: dict) -> tuple[int, int, list[str]]:
    """The tensor and pipeline degrees this model allows, nearest below the reader's, with what changed."""
    notes = []
    t = max(x for x in TENSOR_DEGREES if x <= p["n_tensor"] and cfg.n_head % x == 0)
    if t != p["n_tensor"]:
        notes.append(
            f"{cfg.name}’s {cfg.n_head} heads do not split {p['n_tensor']} ways: tensor parallelism {t} is used."
        )
    pp = max(x for x in PIPELINE_DEGREES if x <= min(p["n_pipeline"], cfg.n_layer))
    if pp != p["n_pipeline"]:
        notes.append(f"{cfg.name} has {cfg.n_layer} layers: {pp} pipeline stages are used.")
    return t, pp, notes


def memory_view(memory: dict, capacity: float) -> dict:
    """The stacked bar: each part's width, and the GPU's memory as a marker, on a scale that holds both."""
    scale = max(memory["total"], capacity)
    return {
        "segments": [
            {
                "key": k,
                "label": label,
                "bytes": memory[k],
                "text": gb(memory[k]),
                "width": css_percent(memory[k] / scale),
                "share": percent(memory[k] / memory["total"], 0),
            }
            for k, label in PARTS.items()
        ],
        "capacity_at": css_percent(capacity / scale),
        "total": memory["total"],
        "total_text": gb(memory["total"]),
        "capacity_text": gb(capacity),
        "fits": memory["total"] <= capacity,
    }


def compute(params: dict) -> dict:
    p = read_params(params)
    cfg = CONFIGS[p["model"]]
    gpu = TRAINING_GPUS[p["gpu"]]
    t, pp, notes = fit_degrees(cfg, p)
    layout = Layout(
        n_data=p["n_data"],
        n_tensor=t,
        n_pipeline=pp,
        zero_stage=p["zero_stage"],
        seq_len=p["seq_len"],
        n_micro=p["n_micro"],
        recompute=p["recompute"],
    )
    memory = training_memory(cfg, layout)
    bar = memory_view(memory, gpu.hardware.memory)
    sent = communication_bytes(cfg, layout)
    times = step_time(cfg, layout, gpu, p["mfu"])
    link = links(layout, gpu)
    n_params = parameter_count(cfg)["total"]
    n_tokens = p["tokens_per_param"] * n_params
    run = run_cost(n_params, n_tokens, layout.n_gpus, gpu.hardware.flops_per_s, p["mfu"], p["price"])
    comm_rows = [
        {
            "kind": kind,
            "label": label,
            "bytes": sent[kind],
            "bytes_text": gb(sent[kind]) if sent[kind] else "none",
            "link": link[kind].name if sent[kind] else "",
            "seconds": times[kind],
            "seconds_text": seconds(times[kind]) if sent[kind] else "",
        }
        for kind, label in (
            ("data", "data parallel: gradients" + (" and weights (ZeRO-3)" if p["zero_stage"] == 3 else "")),
            ("tensor", "tensor parallel: activations"),
            ("pipeline", "pipeline: activations between stages"),
        )
    ]
    reference = PUBLISHED_RUNS[0]
    ref_gpu = TRAINING_GPUS[reference.gpu].hardware
    ref_mfu = implied_mfu(reference.n_params, reference.n_tokens, reference.gpu_hours, ref_gpu.flops_per_s)
    verdict = "fits" if bar["fits"] else "does not fit"
    return {
        "params": {**p, "n_tensor_used": t, "n_pipeline_used": pp},
        "notes": notes,
        "name": cfg.name,
        "n_params": n_params,
        "gpu_name": gpu.hardware.name,
        "gpu_source": gpu.hardware.source,
        "n_gpus": layout.n_gpus,
        "layout_text": (
            f"{integer(layout.n_gpus)} GPUs = {p['n_data']} data × {t} tensor × {pp} pipeline; "
            f"{integer(layout.tokens_per_step)} tokens per step ({p['n_data']} {'copy' if p['n_data'] == 1 else 'copies'} × {p['n_micro']} "
            f"micro-batches × {integer(p['seq_len'])} tokens)."
        ),
        "memory": bar,
        "verdict": verdict,
        "verdict_text": (
            f"{bar['total_text']} on the busiest GPU: {verdict} in the {gpu.hardware.name}’s {bar['capacity_text']}."
        ),
        "params_per_gpu_text": f"{count(memory['params_per_gpu'])} parameters per GPU before ZeRO shards them.",
        "aria_label": (
            "Memory of the busiest GPU: "
            + ", ".join(f"{s['label']} {s['text']}" for s in bar["segments"])
            + f"; total {bar['total_text']} against {bar['capacity_text']}: {verdict}."
        ),
        "comm": comm_rows,
        "compute_seconds": times["compute"],
        "compute_text": seconds(times["compute"]),
        "bubble": times["bubble"],
        "bubble_text": percent(times["bubble"], 0) if pp > 1 else "",
        "bubble_sentence": (
            f"Pipeline bubble: with {pp} stages and {p['n_micro']} micro-batches per step the stages sit idle "
            f"(p − 1) / (m + p − 1) = {percent(times['bubble'], 0)} of each step while the pipeline fills and drains."
            if pp > 1
            else ""
        ),
        "n_gpus_text": f"{integer(layout.n_gpus)} GPU{'' if layout.n_gpus == 1 else 's'}",
        "run": {
            **run,
            "n_tokens": n_tokens,
            "tokens_text": f"{count(n_tokens)} tokens ({integer(p['tokens_per_param'])} per parameter)",
            "flops_text": power_of_ten(run["flops"]),
            "gpu_hours_text": count(run["gpu_hours"]) if run["gpu_hours"] >= 1e6 else integer(round(run["gpu_hours"])),
            "days_text": f"{significant(run['days'], 3)} days" if run["days"] >= 1 else seconds(run["days"] * 86400),
            "cost_text": "$" + (count(run["cost"]) if run["cost"] >= 1e6 else integer(round(run["cost"]))),
            "loss": chinchilla_loss(n_params, n_tokens),
            "loss_text": fixed(chinchilla_loss(n_params, n_tokens), 3),
        },
        "reference_text": (
            f"For scale: Meta’s model card gives {significant(reference.gpu_hours / 1e6, 4)}M H100 GPU-hours for {reference.name} "
            f"on {count(reference.n_tokens)} tokens, an MFU of {percent(ref_mfu)} by this count"
        ),
        "reference_url": reference.url,
        "options": {
            "model": [{"value": k, "label": c.name} for k, c in CONFIGS.items()],
            "gpu": [{"value": k, "label": g.hardware.name} for k, g in TRAINING_GPUS.items()],
            "n_data": DATA_DEGREES,
            "n_tensor": TENSOR_DEGREES,
            "n_pipeline": PIPELINE_DEGREES,
            "zero_stage": [{"value": 0, "label": "0: none (plain data parallel)"}]
            + [
                {"value": s, "label": f"{s}: shard {what}"}
                for s, what in ((1, "optimizer states"), (2, "+ gradients"), (3, "+ weights (FSDP)"))
            ],
            "recompute": [{"value": k, "label": v} for k, v in RECOMPUTE.items()],
            "seq_len": SEQ_LENS,
            "tokens_per_param": [
                {"value": x, "label": f"{x}" + (" (Chinchilla)" if x == TOKENS_PER_PARAM else "")}
                for x in TOKENS_PER_PARAM_CHOICES
            ],
        },
        "readouts": {
            "n_micro": str(p["n_micro"]),
            "mfu": percent(p["mfu"], 0),
            "price": f"${fixed(p['price'], 2)}",
        },
    }
