"""The training-at-scale chapter's widget, computed in CPython: parallelism_calculator.

Checked against 16 bytes per parameter and Korthikanti et al.'s activation count worked by hand, the ring
all-reduce's 2 (n - 1) / n, the run's 6 N D over peak x MFU, and llm_core.scaling's 20 tokens per parameter;
the numbers chapters/22-training-at-scale.md quotes are recomputed here and looked for in its text.
"""

from pathlib import Path

import numpy as np
import pytest

from llm_core.configs import CONFIGS, parameter_count
from llm_core.parallelism import PUBLISHED_RUNS, implied_mfu, model_state_bytes, run_cost
from llm_core.quantization import to_bf16
from llm_core.scaling import TOKENS_PER_PARAM, chinchilla_loss
from widget_loader import load_widget, run

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = (ROOT / "chapters" / "22-training-at-scale.md").read_text(encoding="utf-8")
PROSE = " ".join(CHAPTER.split())

calc = load_widget("parallelism_calculator")


def quoted(text: str) -> bool:
    return text in PROSE


def parts(r):
    return {s["key"]: s["bytes"] for s in r["memory"]["segments"]}


@pytest.mark.parametrize("params", [{}, *calc.EXAMPLES])
def test_memory_by_hand(params):
    r = run(calc, **params)
    p = r["params"]
    cfg = CONFIGS[p["model"]]
    t, pp, d = p["n_tensor_used"], p["n_pipeline_used"], p["n_data"]
    counts = parameter_count(cfg)
    layers = -(-cfg.n_layer // pp)
    first = layers * counts["per_layer"] + counts["embedding"] + counts["position"]
    last_layers = cfg.n_layer - (pp - 1) * layers if pp > 1 else 0
    n = max(first, counts["total"] if pp == 1 else first) / t  # the first stage is the largest here
    assert last_layers <= layers
    got = parts(r)
    shard = {
        0: (),
        1: ("master", "adam"),
        2: ("master", "adam", "gradients"),
        3: ("master", "adam", "gradients", "weights"),
    }
    for key, size in (("weights", 2), ("gradients", 2), ("master", 4), ("adam", 8)):
        assert got[key] == pytest.approx(n * size / (d if key in shard[p["zero_stage"]] else 1))
    s, h, a = p["seq_len"], cfg.d_model, cfg.n_head
    per_layer = {"none": s * h * (34 + 5 * a * s / h) / t, "selective": 34 * s * h / t, "full": 2 * s * h / t}
    held = layers * min(pp, p["n_micro"]) * per_layer[p["recompute"]]
    if p["recompute"] == "full":
        held += 34 * s * h / t
    assert got["activations"] == pytest.approx(held)
    total = sum(got.values())
    assert r["memory"]["total"] == pytest.approx(total) and r["memory"]["fits"] == (total <= 80e9)
    assert r["verdict"] == ("fits" if total <= 80e9 else "does not fit")
    assert r["n_gpus"] == d * t * pp


@pytest.mark.parametrize("params", [{}, *calc.EXAMPLES])
def test_run_by_hand(params):
    r = run(calc, **params)
    p = r["params"]
    n = parameter_count(CONFIGS[p["model"]])["total"]
    tokens = p["tokens_per_param"] * n
    peak = {"h100": 989e12, "a100": 312e12}[p["gpu"]]
    hours = 6 * n * tokens / (peak * p["mfu"]) / 3600
    assert r["run"]["n_tokens"] == tokens and r["run"]["gpu_hours"] == pytest.approx(hours)
    assert r["run"]["days"] == pytest.approx(hours / r["n_gpus"] / 24)
    assert r["run"]["cost"] == pytest.approx(hours * p["price"])
    assert r["run"]["loss"] == chinchilla_loss(n, tokens)


def test_data_parallel_traffic_by_hand():
    r = run(calc)
    n = parameter_count(CONFIGS["llama-3-70b"])["total"] / 8
    data = r["comm"][0]
    assert data["bytes"] == pytest.approx(2 * 63 / 64 * 2 * n) and data["link"] == "InfiniBand NDR"
    assert data["seconds"] == pytest.approx(data["bytes"] / 50e9)
    z3 = run(calc, zero_stage=3)["comm"][0]
    assert z3["bytes"] == pytest.approx((2 * 4 + 1) * 63 / 64 * 2 * n)  # 4 micro-batches: gathered 8 times
    tensor = r["comm"][1]
    assert tensor["bytes"] == pytest.approx(80 * 4 * 4 * 2 * 7 / 8 * 8192 * 8192 * 2) and tensor["link"] == "NVLink 4"


def test_defaults_tie_to_scaling():
    assert calc.DEFAULTS["tokens_per_param"] == TOKENS_PER_PARAM == 20


def test_degrees_a_model_cannot_take_are_lowered_with_a_note():
    r = run(calc, model="gpt2-xl", n_tensor=8)  # 25 heads
    assert r["params"]["n_tensor_used"] == 1 and "25 heads" in r["notes"][0]
    r = run(calc, model="gpt2", n_pipeline=16)  # 12 layers
    assert r["params"]["n_pipeline_used"] == 8 and "12 layers" in r["notes"][-1]


@pytest.mark.parametrize(
    "params, word", [({"model": "gpt-5"}, "model"), ({"n_data": 3}, "data"), ({"gpu": "tpu"}, "gpu")]
)
def test_bad_params_are_refused(params, word):
    with pytest.raises(ValueError, match=word):
        calc.compute(params)


# -- the numbers chapters/22-training-at-scale.md quotes -----------------------------------------------------


def test_chapter_bytes_per_parameter():
    assert quoted("2 + 2 + 12 = 16 bytes")
    gb = [round(model_state_bytes(7.5e9, 64, s)["total"] / 1e9, 1) for s in range(4)]
    assert gb == [120.0, 31.4, 16.6, 1.9]
    assert quoted(
        "needs 120 GB per GPU under plain data parallelism, 31.4 GB with stage 1, 16.6 GB with stage 2 and 1.9 GB"
    )
    assert round(2 * parameter_count(CONFIGS["llama-3-70b"])["total"] / 1e9) == 141 and quoted("fit in 141 GB")


def test_chapter_lost_update():
    one, _ = to_bf16(np.float32(1.0))
    after, _ = to_bf16(np.float32(1.0) + np.float32(1e-3))
    above, _ = to_bf16(np.float32(1.0) + np.float32(2**-7))
    assert after == one == 1.0 and above == 1.0078125 == 1 + 2**-7
    assert quoted("$1 + 2^{-7} = 1.0078125$") and quoted("`to_bf16(1.001)` is 1.0")


def test_chapter_widget_numbers():
    r = run(calc)
    assert (
        r["params"]["n_data"] * 8 == r["n_gpus"] == 512
        and r["memory"]["total_text"] == "59.7 GB"
        and r["memory"]["fits"]
    )
    assert quoted("The busiest GPU holds 59.7 GB and fits")
    assert run(calc, zero_stage=0)["memory"]["total_text"] == "164 GB" and quoted("it needs 164 GB")
    z3 = run(calc, zero_stage=3)
    assert (z3["memory"]["total_text"], z3["comm"][0]["bytes_text"], z3["comm"][0]["seconds_text"]) == (
        "25.0 GB",
        "156 GB",
        "3.13 s",
    )
    assert r["comm"][0]["bytes_text"] == "34.7 GB" and z3["compute_text"] == "4.38 s"
    assert quoted("Set it to 3: 25.0 GB, but the data-parallel traffic grows from 34.7 GB to 156 GB per step")
    assert quoted("(3.13 s over InfiniBand against 4.38 s of compute)")
    u = r["run"]
    assert (u["tokens_text"][:5], u["gpu_hours_text"], u["days_text"], u["cost_text"]) == (
        "1.41T",
        "419,433",
        "34.1 days",
        "$838,865",
    )
    assert quoted("reads 1.41T tokens: 419,433 H100-hours at 40% MFU, 34.1 days on 512 GPUs, and $838,865 at $2")


def test_chapter_llama_405b():
    meta = {"model": "llama-3.1-405b", "n_data": 128, "n_pipeline": 16, "n_micro": 16}
    r = run(calc, **meta)
    assert r["n_gpus"] == 16384 and r["memory"]["total_text"] == "87.1 GB" and not r["memory"]["fits"]
    acts = next(s for s in r["memory"]["segments"] if s["key"] == "activations")
    assert acts["text"] == "73.0 GB" and quoted("it does not fit, 87.1 GB, of which 73.0 GB are activations")
    assert -(-126 // 16) == 8 and quoted("16 micro-batches of its 8 layers")
    assert run(calc, **meta, recompute="full")["memory"]["total_text"] == "19.0 GB" and quoted("it needs 19.0 GB")
    assert r["bubble_text"] == "48%" and quoted("48% of every step")
    ref = PUBLISHED_RUNS[0]
    cost = run_cost(ref.n_params, ref.n_tokens, 16384, 989e12, 0.4)
    assert f"{cost['flops']:.2e}" == "3.79e+25" and quoted("= 3.79 \\times 10^{25}$ FLOPs")
    assert round(cost["gpu_hours"] / 1e6, 1) == 26.6 and quoted("would take 26.6M GPU-hours")
    mfu = implied_mfu(ref.n_params, ref.n_tokens, ref.gpu_hours, 989e12)
    assert round(100 * mfu, 1) == 34.5 and quoted("imply 34.5%") and quoted("an MFU of 34.5% by this count")
    assert quoted("30.84M") and quoted("38% to 43% MFU")
