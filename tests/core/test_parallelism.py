"""llm_core.parallelism against published numbers and references that share no code with it.

The ZeRO paper's figure 1 (arXiv:1910.02054), Korthikanti et al.'s table 2 (arXiv:2205.05198) written out
term by term, a ring all-reduce simulated chunk by chunk (bytes counted, sums checked), a pipeline
schedule simulated step by step (its idle time measured), and the published run of Llama 3.1 405B.
"""

import math

import numpy as np
import pytest

from llm_core.configs import CONFIGS, parameter_count
from llm_core.parallelism import (
    A100,
    BYTES_PER_PARAM,
    H100,
    LLAMA3_MFU,
    PUBLISHED_RUNS,
    Layout,
    activation_bytes_per_layer,
    communication_bytes,
    implied_mfu,
    in_flight,
    links,
    model_state_bytes,
    pipeline_bubble,
    ring_all_gather_bytes,
    ring_all_reduce_bytes,
    run_cost,
    stage_params,
    step_time,
    training_memory,
)

LLAMA_405B = CONFIGS["llama-3.1-405b"]


def test_zero_figure_1():
    """Rajbhandari et al. 2020, figure 1: a 7.5B model, K = 12, N_d = 64: 120, 31.4, 16.6, 1.9 GB."""
    assert sum(BYTES_PER_PARAM.values()) == 16  # 2 + 2 + K, K = 12 (section 3.1)
    gb = [model_state_bytes(7.5e9, 64, stage)["total"] / 1e9 for stage in range(4)]
    assert [round(x, 1) for x in gb] == [120.0, 31.4, 16.6, 1.9]
    # the paper's formulas: (2 + 2 + K) psi, 2 psi + 2 psi + K psi / N_d, 2 psi + (2 + K) psi / N_d, (2 + 2 + K) psi / N_d
    psi, k, n = 7.5e9, 12, 64
    assert gb == pytest.approx(
        [16 * psi / 1e9, (4 * psi + k * psi / n) / 1e9, (2 * psi + 14 * psi / n) / 1e9, 16 * psi / n / 1e9]
    )


def test_model_states_without_zero_ignore_n_data():
    assert model_state_bytes(1e9, 8, 0) == model_state_bytes(1e9, 1, 3)


@pytest.mark.parametrize("t", [1, 2, 4, 8])
@pytest.mark.parametrize("s, b", [(2048, 1), (8192, 4)])
def test_activations_korthikanti_table_2(t, s, b):
    """Table 2, per layer (their total is times L): every row, written out from the paper."""
    cfg = CONFIGS["llama-3-70b"]
    h, a = cfg.d_model, cfg.n_head

    def f(recompute, sp):
        return activation_bytes_per_layer(cfg, s, b, t, recompute, sequence_parallel=sp)

    assert f("none", False) == pytest.approx(s * b * h * (10 + 24 / t + 5 * a * s / (h * t)))
    assert f("none", True) == pytest.approx(s * b * h / t * (34 + 5 * a * s / h))
    assert f("selective", False) == pytest.approx(s * b * h * (10 + 24 / t))
    assert f("selective", True) == pytest.approx(s * b * h / t * 34)
    assert f("full", False) == pytest.approx(2 * s * b * h)
    if t == 1:  # no parallelism: s b h (34 + 5 a s / h)
        assert f("none", False) == pytest.approx(s * b * h * (34 + 5 * a * s / h))


@pytest.mark.parametrize("key", ["llama-3-8b", "llama-3.1-405b", "gpt2", "llama-3.2-1b"])
@pytest.mark.parametrize("p", [1, 2, 3, 16])
def test_stages_hold_the_model(key, p):
    cfg = CONFIGS[key]
    stages = stage_params(cfg, p)
    parts = parameter_count(cfg)
    copy = parts["embedding"] if cfg.tied_embeddings and p > 1 else 0  # the last stage's own table
    assert len(stages) == p and sum(stages) == parts["total"] + copy
    layers = [(x - (i == 0) * (parts["embedding"] + parts["position"])) for i, x in enumerate(stages[:-1])]
    assert all(n % parts["per_layer"] == 0 for n in layers)  # whole layers
    counts = [n // parts["per_layer"] for n in layers]
    assert counts == sorted(counts, reverse=True) and (not counts or counts[0] - counts[-1] <= 1)


def test_memory_adds_up():
    layout = Layout(n_data=128, n_tensor=8, n_pipeline=16, zero_stage=1, seq_len=8192, n_micro=16)
    m = training_memory(LLAMA_405B, layout)
    n = max(stage_params(LLAMA_405B, 16)) / 8
    assert m["params_per_gpu"] == n
    assert m["weights"] == 2 * n and m["gradients"] == 2 * n and m["master"] == 4 * n / 128 and m["adam"] == 8 * n / 128
    per_layer = 34 * 8192 * 16384 / 8  # selective, sequence parallel
    assert m["activations"] == pytest.approx(8 * 16 * per_layer)  # 8 layers on the first stage, 16 in flight
    assert m["total"] == pytest.approx(sum(m[k] for k in ("weights", "gradients", "master", "adam", "activations")))
    full = training_memory(LLAMA_405B, Layout(**{**layout.__dict__, "recompute": "full"}))
    assert full["activations"] == pytest.approx(8 * 16 * 2 * 8192 * 16384 / 8 + per_layer)


def test_schedules_hold_different_micro_batches():
    assert in_flight(Layout(n_pipeline=4, n_micro=32)) == 4
    assert in_flight(Layout(n_pipeline=4, n_micro=2)) == 2
    assert in_flight(Layout(n_pipeline=4, n_micro=32, schedule="gpipe")) == 32


def ring_all_reduce(arrays):  # n lists of equal arrays -> (each GPU's result, elements each GPU sent)
    """The ring algorithm, chunk by chunk: n - 1 reduce-scatter steps, then n - 1 all-gather steps."""
    n = len(arrays)
    chunks = [np.array_split(a.astype(np.float64), n) for a in arrays]
    sent = [0] * n
    for step in range(n - 1):  # GPU i sends chunk (i - step) to GPU i + 1, which adds it
        msgs = [(i, (i - step) % n, chunks[i][(i - step) % n].copy()) for i in range(n)]
        for i, c, data in msgs:
            chunks[(i + 1) % n][c] += data
            sent[i] += data.size
    for step in range(n - 1):  # GPU i now owns the sum of chunk (i + 1); pass the sums round
        msgs = [(i, (i + 1 - step) % n, chunks[i][(i + 1 - step) % n].copy()) for i in range(n)]
        for i, c, data in msgs:
            chunks[(i + 1) % n][c] = data
            sent[i] += data.size
    return [np.concatenate(c) for c in chunks], sent


@pytest.mark.parametrize("n", [2, 3, 4, 8])
def test_ring_all_reduce_simulated(n):
    rng = np.random.default_rng(n)
    arrays = [rng.normal(size=96) for _ in range(n)]
    results, sent = ring_all_reduce(arrays)
    for r in results:
        np.testing.assert_allclose(r, np.sum(arrays, axis=0), rtol=1e-12)
    assert sent == [ring_all_reduce_bytes(96, n)] * n  # elements; 96 divides evenly by 2, 3, 4, 8
    assert ring_all_gather_bytes(96, n) * 2 == ring_all_reduce_bytes(96, n)


def simulated_bubble(p, m, schedule):
    """Run every micro-batch's forward (1 unit) and backward (2 units) through p stages; idle share.

    gpipe: all forwards, then all backwards. 1f1b: stage i runs p - i forwards, then alternates.
    """
    order = []
    for i in range(p):
        warm = m if schedule == "gpipe" else min(p - i, m)
        ops = [("f", j) for j in range(warm)]
        f, b = warm, 0
        while b < m:
            ops.append(("b", b))
            b += 1
            if f < m and schedule == "1f1b":
                ops.append(("f", f))
                f += 1
        order.append(ops)
    done = {}
    free = [0.0] * p
    pending = [list(ops) for ops in order]
    while any(pending):
        for i in range(p):
            if not pending[i]:
                continue
            kind, j = pending[i][0]
            dep = (
                (("f", i - 1, j) if i > 0 else None) if kind == "f" else (("b", i + 1, j) if i < p - 1 else ("f", i, j))
            )
            if dep is not None and dep not in done:
                continue
            start = max(free[i], done[dep] if dep else 0.0)
            free[i] = done[(kind, i, j)] = start + (1.0 if kind == "f" else 2.0)
            pending[i].pop(0)
    makespan = max(free)
    return 1 - 3.0 * m / makespan


@pytest.mark.parametrize("p, m", [(2, 1), (4, 4), (4, 12), (8, 3), (16, 16)])
@pytest.mark.parametrize("schedule", ["gpipe", "1f1b"])
def test_bubble_against_a_simulated_schedule(p, m, schedule):
    assert simulated_bubble(p, m, schedule) == pytest.approx(pipeline_bubble(p, m), abs=1e-12)


def test_interleaving_shrinks_the_bubble():
    assert pipeline_bubble(16, 16) == 15 / 31 and pipeline_bubble(16, 16, n_virtual=4) == 15 / 79
    assert pipeline_bubble(1, 5) == 0


def test_communication_closed_forms():
    cfg = CONFIGS["llama-3-8b"]
    n = parameter_count(cfg)["total"]
    dp = communication_bytes(cfg, Layout(n_data=64, zero_stage=1))
    assert dp["data"] == pytest.approx(2 * 63 / 64 * 2 * n) and dp["tensor"] == 0 and dp["pipeline"] == 0
    assert communication_bytes(cfg, Layout(n_data=64, zero_stage=0))["data"] == dp["data"]  # ZeRO 1, 2 = DP
    z3 = communication_bytes(cfg, Layout(n_data=64, zero_stage=3))
    assert z3["data"] == pytest.approx(1.5 * dp["data"])  # ZeRO section 7: 3 psi against 2 psi
    z3m = communication_bytes(cfg, Layout(n_data=64, zero_stage=3, n_micro=4))
    assert z3m["data"] == pytest.approx(9 * 63 / 64 * 2 * n)  # gathered for 4 forwards and 4 backwards
    tp = communication_bytes(cfg, Layout(n_tensor=4, seq_len=2048, micro_batch=2, n_micro=3))
    sbh = 2048 * 2 * 4096 * 2  # bytes
    assert tp["tensor"] == pytest.approx(32 * 3 * 4 * 2 * 3 / 4 * sbh)  # layers x micro x 4 all-reduces
    assert tp["data"] == 0  # one copy: nothing to sum
    pp = communication_bytes(cfg, Layout(n_pipeline=4, n_tensor=2, n_micro=8, seq_len=1024))
    assert pp["pipeline"] == pytest.approx(8 * 2 * 1024 * 4096 * 2 / 2)


def test_links_follow_the_layout():
    assert links(Layout(n_data=1, n_tensor=8))["tensor"] is H100.nvlink
    two_nodes = links(Layout(n_data=2, n_tensor=8))
    assert two_nodes["tensor"] is H100.nvlink and two_nodes["data"] is H100.network
    assert links(Layout(n_data=4, n_tensor=2), A100)["data"] is A100.nvlink


def test_interconnect_datasheets():
    """NVLink's "900GB/s" (H100) and "600GB/s" (A100) are both directions; NDR 400 Gb/s, HDR 200 Gb/s."""
    assert (H100.nvlink.bandwidth, H100.network.bandwidth) == (900e9 / 2, 400e9 / 8)
    assert (A100.nvlink.bandwidth, A100.network.bandwidth) == (600e9 / 2, 200e9 / 8)
    assert H100.hardware.memory == A100.hardware.memory == 80e9


def test_step_time():
    layout = Layout(n_data=8, n_tensor=8, seq_len=4096, n_micro=2)
    t = step_time(CONFIGS["llama-3-70b"], layout, H100, mfu=0.5)
    n = parameter_count(CONFIGS["llama-3-70b"])["total"]
    assert t["compute"] == pytest.approx(6 * n * 8 * 2 * 4096 / (64 * 989e12 * 0.5))
    sent = communication_bytes(CONFIGS["llama-3-70b"], layout)
    assert t["data"] == pytest.approx(sent["data"] / 50e9) and t["tensor"] == pytest.approx(sent["tensor"] / 450e9)


def test_llama_405b_published_run():
    """Model card: 30.84M H100 GPU-hours; paper: 15.6T tokens, 3.8e25 FLOPs, 38-43% MFU (table 4)."""
    run = PUBLISHED_RUNS[0]
    assert (run.n_params, run.n_tokens, run.gpu_hours) == (405e9, 15.6e12, 30.84e6)
    assert LLAMA3_MFU == (0.38, 0.43)
    cost = run_cost(run.n_params, run.n_tokens, 16384, 989e12, 0.4, 2.0)
    assert cost["flops"] == pytest.approx(3.79e25, rel=1e-3)  # "3.8 x 10^25 FLOPs"
    assert cost["gpu_hours"] == pytest.approx(3.7908e25 / (989e12 * 0.4) / 3600)
    assert cost["days"] == pytest.approx(cost["gpu_hours"] / 16384 / 24) and cost["cost"] == 2 * cost["gpu_hours"]
    mfu = implied_mfu(run.n_params, run.n_tokens, run.gpu_hours, 989e12)
    assert round(mfu, 3) == 0.345 < LLAMA3_MFU[0]  # the card's hours cover more than the 8K pre-training
    at = run_cost(run.n_params, run.n_tokens, 1, 989e12, mfu)["gpu_hours"]
    assert math.isclose(at, run.gpu_hours, rel_tol=1e-12)


@pytest.mark.parametrize(
    "layout, word",
    [
        (Layout(n_tensor=3), "heads"),
        (Layout(n_pipeline=500), "stage"),
        (Layout(zero_stage=4), "zero_stage"),
        (Layout(recompute="some"), "recompute"),
        (Layout(schedule="zb"), "schedule"),
        (Layout(n_micro=0), "at least 1"),
    ],
)
def test_bad_layouts_are_refused(layout, word):
    with pytest.raises(ValueError, match=word):
        training_memory(LLAMA_405B, layout)
