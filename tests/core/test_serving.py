"""llm_core.serving: the roofline estimates against their closed forms, worked by hand."""

import doctest

import pytest

from llm_core import serving
from llm_core.serving import (
    HARDWARE,
    Hardware,
    compute_bound_batch,
    decode_step,
    prefill_seconds,
    simulate,
    stream_timeline,
)

HW = Hardware("test chip", bandwidth=1e12, flops_per_s=100e12, memory=80e9, source="made up for the test")


def test_docstring_examples():
    assert doctest.testmod(serving).failed == 0


# Each accelerator's datasheet, written out from it: memory bandwidth (bytes/s), dense 16-bit FLOP/s, memory.
DATASHEETS = {
    # H100 SXM: "GPU memory bandwidth 3.35TB/s", "BF16 Tensor Core 1,979 teraFLOPS" with sparsity (the
    # datasheet's footnote), so 989 dense (1,979 / 2 = 989.5, which NVIDIA writes 989); "GPU memory 80GB"
    "h100-sxm": (3.35e12, 989e12, 80e9),
    # A100 80GB SXM: "GPU Memory Bandwidth 2,039GB/s", "BF16 Tensor Core 312 TFLOPS | 624 TFLOPS*" (* with
    # sparsity), "GPU Memory 80GB HBM2e"
    "a100-80gb": (2.039e12, 312e12, 80e9),
    # Apple's M2 announcement: "100GB/s of unified memory bandwidth", "up to 24GB". subtle: it gives no
    # FLOP/s; 3.6 TFLOP/s (the 10-core GPU's FP32 peak, as commonly quoted) is not from this source, and
    # not confirmed here
    "laptop-m2": (100e9, 3.6e12, 24e9),
}


def test_presets_are_their_datasheets():
    assert sorted(HARDWARE) == sorted(DATASHEETS)  # a new preset comes with its row above
    for key, hw in HARDWARE.items():
        assert hw.source.startswith("https://")
        assert (hw.bandwidth, hw.flops_per_s, hw.memory) == DATASHEETS[key], key


def test_prefill_is_two_flops_per_parameter_per_token():
    assert prefill_seconds(7e9, 1000, 100e12) == pytest.approx(2 * 7e9 * 1000 / 100e12, rel=1e-15)
    # one token still reads every weight once
    assert prefill_seconds(7e9, 1, 100e12, 14e9, 1e12) == pytest.approx(14e9 / 1e12, rel=1e-15)
    with pytest.raises(ValueError):
        prefill_seconds(0, 10, 1e12)


def test_single_sequence_decode_is_bandwidth_over_bytes():
    step = decode_step(14e9, 5e5, 7e9, [2000], HW.bandwidth, HW.flops_per_s)
    assert step["bytes"] == 14e9 + 5e5 * 2000
    assert step["tokens_per_s"] == pytest.approx(1e12 / (14e9 + 1e9), rel=1e-15)
    assert step["bound"] == "memory" and step["flops"] == 2 * 7e9


@pytest.mark.parametrize("batch", [1, 2, 8, 64, 512])
def test_batching_reads_the_weights_once_per_step(batch):
    step = decode_step(14e9, 5e4, 7e9, [1000] * batch, HW.bandwidth, HW.flops_per_s)
    memory = (14e9 + batch * 5e4 * 1000) / 1e12
    compute = batch * 2 * 7e9 / 100e12
    assert step["seconds"] == pytest.approx(max(memory, compute), rel=1e-15)
    assert step["aggregate_tokens_per_s"] == pytest.approx(batch * step["tokens_per_s"], rel=1e-15)
    assert step["bound"] == ("memory" if memory >= compute else "compute") == ("memory" if batch < 156 else "compute")


def test_compute_bound_batch_is_where_the_two_times_cross():
    b = compute_bound_batch(14e9, 5e4, 7e9, 1000, HW.bandwidth, HW.flops_per_s)
    assert (14e9 + b * 5e4 * 1000) / 1e12 == pytest.approx(b * 2 * 7e9 / 100e12, rel=1e-12)
    # without a KV cache: FLOPs per byte of the chip times bytes per weight, over 2
    assert compute_bound_batch(14e9, 0, 7e9, 1000, 1e12, 100e12) == pytest.approx(100 * 2 / 2, rel=1e-12)
    # a huge context: every sequence's own KV reads cost more than its compute, never compute-bound
    assert compute_bound_batch(14e9, 5e5, 7e9, 10**6, HW.bandwidth, HW.flops_per_s) is None


def test_stream_timeline_is_a_running_sum():
    assert stream_timeline(0.5, [0.1, 0.2, 0.3]) == pytest.approx([0.5, 0.6, 0.8, 1.1])
    assert stream_timeline(0.5, []) == [0.5]


def test_simulate_matches_the_arithmetic_series():
    # memory-bound throughout: step j reads W + kv (P + j) bytes, so arrivals are a closed-form sum
    w, kv, n, p, out = 14e9, 5e5, 7e9, 300, 50
    r = simulate(n, w, kv, p, out, 1, HW)
    assert r["ttft"] == pytest.approx(max(2 * n * p / 100e12, w / 1e12), rel=1e-15)
    for k in (1, 2, 10, out):
        j = k - 1  # decode steps before token k
        expected = r["ttft"] + (j * w + kv * (j * p + j * (j + 1) / 2)) / 1e12
        assert r["arrivals"][k - 1] == pytest.approx(expected, rel=1e-12)
    # the cache ends with the prompt and every output token but the last, which is sampled, never fed back
    assert r["steps"][-1]["bytes"] == w + kv * (p + out - 1)  # the last step reads the whole cache
    assert r["kv_bytes"] == kv * (p + out - 1) and r["memory_bytes"] == w + kv * (p + out - 1) and r["fits"]
    assert len(r["steps"]) == out - 1 and r["total_seconds"] == r["arrivals"][-1]


def test_simulate_one_output_token_is_the_prefill_alone():
    r = simulate(7e9, 14e9, 5e5, 300, 1, 2, HW)
    assert r["steps"] == [] and r["arrivals"] == [r["ttft"]] and r["kv_bytes"] == 5e5 * 300 * 2


def test_simulate_batch_shares_prefill_and_memory():
    one, many = simulate(7e9, 14e9, 5e5, 300, 20, 1, HW), simulate(7e9, 14e9, 5e5, 300, 20, 64, HW)
    assert many["ttft"] == pytest.approx(max(2 * 7e9 * 300 * 64 / 100e12, 14e9 / 1e12), rel=1e-15)
    assert many["kv_bytes"] == 64 * one["kv_bytes"]
    assert many["steps"][0]["aggregate_tokens_per_s"] > 10 * one["steps"][0]["aggregate_tokens_per_s"]
    assert not simulate(7e9, 14e9, 5e5, 300, 20, 4000, HW)["fits"]
    with pytest.raises(ValueError):
        simulate(7e9, 14e9, 5e5, 0, 20, 1, HW)


# --- mixtures of experts: FLOPs from the active parameters, reads from the experts the batch picks ----


def test_moe_decode_reads_the_active_experts_at_batch_one_and_more_with_a_batch():
    from llm_core.kv_cache import kv_bytes_per_token
    from llm_core.moe import MOE_CONFIGS, parameter_counts, weight_bytes_read

    cfg = MOE_CONFIGS["mixtral-8x7b"]
    n = parameter_counts(cfg)
    w, kv, p = 2 * n["total"], kv_bytes_per_token(cfg, 2), 1000

    def read(t):
        return weight_bytes_read(cfg, w, t)

    for batch in (1, 4, 64):
        r = simulate(n["active"], w, kv, p, 3, batch, HW, bytes_read=read)
        # the closed form: E (1 - (1 - k/E)^B) experts per layer, each 3 d_model d_expert parameters
        experts = 8 * (1 - (1 - 2 / 8) ** batch)
        params = n["total"] - n["routed_experts"] + 32 * experts * 3 * 4096 * 14336
        assert r["step_weight_bytes"] == pytest.approx(2 * params, rel=1e-12)
        memory = (2 * params + batch * kv * (p + 1)) / HW.bandwidth
        compute = batch * 2 * n["active"] / HW.flops_per_s
        assert r["steps"][0]["seconds"] == pytest.approx(max(memory, compute), rel=1e-12)
        assert r["memory_bytes"] == w + kv * (p + 2) * batch  # memory holds every expert
        prefill_bytes = 2 * (n["total"] - n["routed_experts"] + 32 * 8 * (1 - 0.75 ** (batch * p)) * 3 * 4096 * 14336)
        assert r["ttft"] == pytest.approx(
            max(2 * n["active"] * p * batch / HW.flops_per_s, prefill_bytes / HW.bandwidth), rel=1e-12
        )
    one = simulate(n["active"], w, kv, p, 3, 1, HW, bytes_read=read)
    assert one["step_weight_bytes"] == pytest.approx(2 * n["active"], rel=1e-12)  # batch 1: the active weights


def test_moe_compute_bound_batch_solves_the_crossing():
    from llm_core.moe import MOE_CONFIGS, parameter_counts, weight_bytes_read

    cfg = MOE_CONFIGS["qwen3-30b-a3b"]
    n = parameter_counts(cfg)
    w, kv, bw, flops = 2 * n["total"], 2 * 48 * 4 * 128 * 2, 1e12, 2e12  # a chip of few FLOPs: a small batch

    def read(t):
        return weight_bytes_read(cfg, w, t)

    b = compute_bound_batch(w, kv, n["active"], 101, bw, flops, bytes_read=read)
    assert (read(b) + b * kv * 101) / bw == pytest.approx(b * 2 * n["active"] / flops, rel=1e-9)
    dense = compute_bound_batch(w, kv, n["active"], 101, bw, flops)
    assert 1 < b < dense / 2  # far fewer bytes read than all the weights: compute-bound much sooner
    # reading everything whatever the batch is the dense closed form
    same = compute_bound_batch(w, kv, n["active"], 101, bw, flops, bytes_read=lambda t: w)
    assert same == pytest.approx(dense, rel=1e-12)


def test_sliding_window_kv_as_a_function():
    from functools import partial

    from llm_core.kv_cache import kv_cache_bytes
    from llm_core.moe import MOE_CONFIGS

    oss = MOE_CONFIGS["gpt-oss-120b"]
    kv = partial(kv_cache_bytes, oss, bytes_per_value=2)
    step = decode_step(1e9, kv, 5e9, [1000, 2000], HW.bandwidth, HW.flops_per_s)
    per_layer = 2 * 8 * 64 * 2
    assert step["bytes"] == 1e9 + per_layer * 18 * ((1000 + 128) + (2000 + 128))
    r = simulate(5e9, 1e9, kv, 500, 10, 2, HW)
    assert r["kv_bytes"] == 2 * per_layer * 18 * (509 + 128)
