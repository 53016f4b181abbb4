"""The using-models chapter's widgets, computed in CPython: diagnose and serving_sim.

diagnose is checked against its own answer key, a naive n-gram count and the tiny model's own greedy and
seeded generations; serving_sim against the roofline closed forms worked by hand (2 N P / FLOP/s,
bandwidth / bytes per step, the weights read once per batch step) with parameter and KV counts from
llm_core.configs; plus clamping and the bad-input messages.
"""

import pytest

from llm_core.configs import CONFIGS, parameter_count, weights_bytes
from llm_core.kv_cache import kv_bytes_per_token
from llm_core.serving import HARDWARE
from widget_loader import load_widget, run
from llm_core.models import tiny_model


diagnose = load_widget("diagnose")
serving_sim = load_widget("serving_sim")


# diagnose


@pytest.mark.parametrize("scenario", list(diagnose.SCENARIOS))
@pytest.mark.parametrize("lens", ["", *diagnose.LENSES])
def test_diagnose_answer_key(scenario, lens):
    r = run(diagnose, scenario=scenario, lens=lens)
    accept = diagnose.SCENARIOS[scenario]["accept"]
    assert r["answered"] == (lens != "") and r["correct"] == (lens in accept)
    assert r["verdict"].startswith("Pick" if not lens else "Yes" if lens in accept else "Not quite")
    assert r["why"] and (r["demo"] is not None) == (scenario in ("repeat", "vary"))


def naive_repeats(ids, n):
    return [
        i >= n - 1 and any(ids[j : j + n] == ids[i - n + 1 : i + 1] for j in range(0, i - n + 1))
        for i in range(len(ids))
    ]


@pytest.mark.parametrize("ids", [[5, 6, 7, 5, 6, 7], [1, 1, 1, 1], [1, 2, 3], [], [4, 5, 4, 5, 4, 5, 4]])
def test_repeated_matches_a_naive_search(ids):
    assert diagnose.repeated(ids, 3) == naive_repeats(ids, 3)
    assert diagnose.repeated(ids, 2) == naive_repeats(ids, 2)


def test_diagnose_repeat_demo_is_the_tiny_models_greedy_loop():
    d = run(diagnose)["demo"]
    greedy, sampled = d["runs"]
    tiny = tiny_model()
    ids, _ = diagnose.prompt_ids(tiny, diagnose.REPEAT_PROMPT, diagnose.REPEAT_TOKENS)
    out = tiny.generate(ids, diagnose.REPEAT_TOKENS, temperature=0)
    assert [c["id"] for c in greedy["tokens"]] == out["new_ids"]
    flags = naive_repeats(out["prompt_ids"] + out["new_ids"], 3)[len(out["prompt_ids"]) :]
    assert [c["repeat"] for c in greedy["tokens"]] == flags and greedy["n_repeated"] == sum(flags)
    assert sampled["n_tokens"] == diagnose.REPEAT_SAMPLED_TOKENS
    assert greedy["n_repeated"] == 8 and sampled["n_repeated"] == 0  # the numbers the chapter quotes
    assert greedy["mean_p"] == 1.0 and 0 < sampled["mean_p"] < 1


def test_diagnose_vary_demo_gives_different_text_per_seed():
    runs = run(diagnose, scenario="vary")["demo"]["runs"]
    texts = {tuple(c["id"] for c in r["tokens"]) for r in runs}
    assert len(texts) == len(diagnose.VARY_SEEDS) and [r["seed"] for r in runs] == list(diagnose.VARY_SEEDS)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"scenario": "nope"}, "scenario"),
        ({"lens": "vibes"}, "lens"),
        ({"lens": None}, "lens"),
        ({"scenario": "<script>"}, "scenario"),
    ],
)
def test_diagnose_rejects_bad_values(params, message):
    with pytest.raises(ValueError, match=message):
        diagnose.compute(params)


# serving_sim


def test_serving_defaults_by_hand():
    r = run(serving_sim)
    cfg, hw = CONFIGS["llama-3-8b"], HARDWARE["h100-sxm"]
    n, w, kv = parameter_count(cfg)["total"], weights_bytes(cfg, bits=16), kv_bytes_per_token(cfg, 2)
    assert r["ttft"] == pytest.approx(2 * n * 1000 / hw.flops_per_s, rel=1e-12)
    assert r["step"]["seconds"] == pytest.approx((w + kv * 1001) / hw.bandwidth, rel=1e-12)
    decode = sum((w + kv * (1000 + j)) / hw.bandwidth for j in range(1, 200))
    assert r["total_seconds"] == pytest.approx(r["ttft"] + decode, rel=1e-12)
    assert r["per_seq_tokens_per_s"] == pytest.approx(199 / decode, rel=1e-12)
    assert r["memory"]["weights"] == w and r["memory"]["kv"] == kv * 1199  # the 200th token is never fed back
    assert len(r["arrivals"]) == 200 and len(r["timeline"]["ticks"]) == 200
    # the numbers the chapter quotes
    assert (r["ttft_text"], r["per_seq_text"], r["total_text"]) == ("16.2 ms", "207", "979 ms")
    assert (r["memory"]["weights_text"], r["kv_per_position_text"]) == ("16.1 GB", "128 KiB")
    b64 = run(serving_sim, batch=64)
    assert (b64["per_seq_text"], b64["aggregate_text"]) == ("132", "8,478")
    assert (r["requests_text"], b64["requests_text"]) == ("1 request", "64 requests")
    assert r["shown"] == {"output_tokens": "200", "batch": "1"}


def test_serving_timeline_and_replay():
    r = run(serving_sim)  # 979 ms: replayed in real time
    t = r["timeline"]
    assert float(t["prefill_width"]) == pytest.approx(t["prefill_end"] - t["left"], abs=0.005)
    assert t["bar_height"] == t["bottom"] - t["top"] and t["title_y"] < t["top"] < t["bottom"] < t["label_y"]
    assert [a["anchor"] for a in t["axis"]] == ["start"] + ["middle"] * (len(t["axis"]) - 1)
    assert r["replay"]["at_ms"] == pytest.approx([1000 * a for a in r["arrivals"]], rel=1e-12)
    assert r["replay"]["playing"] == "Replaying in real time…"
    assert r["replay"]["done"] == "Replayed 200 tokens: the whole answer took 979 ms (in real time)."
    slow = run(serving_sim, model="llama-3.1-405b", hardware="laptop-m2", output_tokens=64)  # minutes: sped up
    speed = slow["total_seconds"] / serving_sim.MAX_PLAY_S
    assert speed > 1 and slow["replay"]["at_ms"][-1] == pytest.approx(1000 * serving_sim.MAX_PLAY_S, rel=1e-12)
    assert slow["replay"]["playing"] == f"Replaying {round(speed)}× faster…"
    assert slow["replay"]["done"].endswith(f" (shown {round(speed)}× faster).")


@pytest.mark.parametrize("batch", [1, 4, 64, 256])
def test_serving_batching_reads_weights_once(batch):
    r = run(serving_sim, batch=batch, prompt_tokens=100)
    cfg, hw = CONFIGS["llama-3-8b"], HARDWARE["h100-sxm"]
    n, w, kv = parameter_count(cfg)["total"], weights_bytes(cfg, bits=16), kv_bytes_per_token(cfg, 2)
    row = next(b for b in r["batching"] if b["batch"] == batch)
    step = max((w + batch * kv * 101) / hw.bandwidth, batch * 2 * n / hw.flops_per_s)
    assert row["aggregate_tokens_per_s"] == pytest.approx(batch / step, rel=1e-12) and row["yours"]
    assert r["ttft"] == pytest.approx(max(2 * n * 100 * batch / hw.flops_per_s, w / hw.bandwidth), rel=1e-12)
    crossover = r["crossover"]
    assert (w + crossover * kv * 101) / hw.bandwidth == pytest.approx(crossover * 2 * n / hw.flops_per_s, rel=1e-9)


def test_serving_precision_and_custom_hardware():
    r = run(serving_sim, precision="int4", hardware="custom", bandwidth_gbs=1000, tflops=100)
    w = weights_bytes(CONFIGS["llama-3-8b"], bits=4, group_size=32, scale_bytes=2)
    assert r["memory"]["weights"] == w and r["hardware"]["bandwidth_text"] == "1,000"
    assert r["step"]["seconds"] == pytest.approx((w + kv_bytes_per_token(CONFIGS["llama-3-8b"], 2) * 1001) / 1e12)
    assert run(serving_sim, hardware="custom", bandwidth_gbs="", tflops="")["hardware"]["tflops_text"] == "989"
    # presets ignore the number boxes
    assert run(serving_sim, hardware="a100-80gb", bandwidth_gbs=1)["params"]["bandwidth_gbs"] == 2039


def test_serving_tiny_model_and_context_limit():
    r = run(serving_sim, model="tiny", prompt_tokens=5000, output_tokens=512)
    assert r["model"]["n_params"] == 1_705_600 and r["n_out"] == 255 and r["n_prompt"] == 1
    assert "256" in r["note"]
    big = run(serving_sim, model="llama-3-70b")
    assert not big["memory"]["fits"] and "80 GB" in big["note"]


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"batch": 0}, "batch", 1),
        ({"batch": 10**9}, "batch", 256),
        ({"output_tokens": -5}, "output_tokens", 1),
        ({"prompt_tokens": 10**12}, "prompt_tokens", 131072),
        ({"batch": "8"}, "batch", 8),
    ],
)
def test_serving_clamps(params, key, expected):
    assert run(serving_sim, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"model": "gpt-9"}, "model"),
        ({"precision": "int3"}, "precision"),
        ({"batch": 2.5}, "batch"),
        ({"prompt_tokens": ""}, "prompt"),
        ({"hardware": "custom", "bandwidth_gbs": "fast"}, "bandwidth"),
        ({"output_tokens": float("nan")}, "output"),
    ],
)
def test_serving_rejects_bad_values(params, message):
    with pytest.raises(ValueError, match=message):
        serving_sim.compute(params)


# the numbers the chapter's prose quotes (chapter 10 quotes the same break-even)


def test_chapter_prefill_is_memory_bound_for_short_prompts():
    """TTFT = max(2 N P / FLOP/s, W / bandwidth): Llama 3 8B bf16 on an H100 reads its weights in 4.8 ms,
    the two terms meet at about 295 prompt tokens, and 1,000 tokens take 16.2 ms."""
    from llm_core.serving import prefill_seconds

    cfg, hw = CONFIGS["llama-3-8b"], HARDWARE["h100-sxm"]
    n, w = parameter_count(cfg)["total"], weights_bytes(cfg, bits=16)
    assert round(1e3 * w / hw.bandwidth, 1) == 4.8
    break_even = w * hw.flops_per_s / (2 * n * hw.bandwidth)
    assert round(break_even) == 295
    short = [prefill_seconds(n, p, hw.flops_per_s, w, hw.bandwidth) for p in (1, 100, 295)]
    assert short == [w / hw.bandwidth] * 3  # memory-bound: the same time whatever the length
    assert prefill_seconds(n, 296, hw.flops_per_s, w, hw.bandwidth) > w / hw.bandwidth
    assert round(1e3 * prefill_seconds(n, 1000, hw.flops_per_s, w, hw.bandwidth), 1) == 16.2


def test_chapter_quantization_figures_are_the_reports():
    """The int8 / int4 perplexity changes the chapter quotes, on the 12 held-out addresses (113,920 tokens)."""
    from pathlib import Path

    report = (Path(__file__).parents[2] / "models" / "tiny" / "REPORT.md").read_text()
    assert "All 113,920 next-token predictions of the 12 held-out addresses" in report
    assert "| int8 | 1,813,760 | 0.0048 | +0.03% |" in report
    assert "| int4 | 962,480 | 0.0876 | +5.75% |" in report
    assert "| model, int4 group-wise (groups of 32) | 3.6900 | 40.04 |" in report


# benchmark_run: the chapter's benchmark, scored again here with explicit loops

benchmark_run = load_widget("benchmark_run")


def loop_picks():
    """Per item (acc right, acc_norm right), from choice_logprobs and argmax loops (ties: the earlier choice)."""
    from llm_core.evaluation import choice_logprobs

    out = []
    for it in benchmark_run.benchmark()["items"]:
        lps = [s["logprob"] for s in choice_logprobs(tiny_model(), it["context"], it["choices"])]
        best = max(range(len(lps)), key=lambda i: (lps[i], -i))
        norm = max(range(len(lps)), key=lambda i: (lps[i] / len(it["choices"][i]), -i))
        out.append((best == it["answer"], norm == it["answer"]))
    return out


def test_benchmark_run_scores_equal_loops():
    r = run(benchmark_run)
    picks = loop_picks()
    assert [(c["acc"], c["norm"]) for c in r["grid"]] == picks
    n = len(picks)
    for key, i in (("acc", 0), ("acc_norm", 1)):
        k = sum(p[i] for p in picks)
        assert r[key]["acc"] == k / n and r[key]["stderr"] == pytest.approx((k / n * (1 - k / n) / n) ** 0.5)
    items = benchmark_run.benchmark()["items"]
    for g in r["groups"]:
        idx = [i for i, it in enumerate(items) if it["group"] == g["key"]]
        assert g["acc"] == sum(picks[i][0] for i in idx) / len(idx)
        assert g["acc_norm"] == sum(picks[i][1] for i in idx) / len(idx)
    assert r["n_disagree"] == sum(c["disagree"] for c in r["grid"])


def test_benchmark_run_chapter_numbers():
    """What chapter 19 says about the benchmark, its default item and its contamination check."""
    import json
    from pathlib import Path

    r = run(benchmark_run)
    assert r["acc_text"] == "15 of 30 right: 50.0% ± 9.1%" and r["norm_text"] == "14 of 30 right: 46.7% ± 9.1%"
    assert r["chance_text"] == "25.0%" and r["n_disagree"] == 10
    d = r["item"]
    assert d["n"] == 4 and d["source_text"] == "Lyndon B Johnson, 1964 address"
    rows = {row["choice"]: row for row in d["rows"]}
    assert (
        rows["crime"]["acc"] and rows["crime"]["logprob_text"] == "−6.09" and rows["crime"]["per_char_text"] == "−1.217"
    )
    poverty = rows["poverty in America"]
    assert poverty["right"] and poverty["acc_norm"] and not poverty["acc"]
    assert (poverty["logprob_text"], poverty["per_char_text"]) == ("−11.87", "−0.660")
    groups = {g["key"]: g for g in r["groups"]}
    assert groups["train"]["acc"] == groups["heldout"]["acc"] == 0.5  # 5 of 10 each: contamination did not help
    assert [g["cells"][3] for g in r["groups"]] == ["10", "0", "1"]  # items sharing an 8-gram with training text
    items = benchmark_run.benchmark()["items"]
    assert max(it["overlap"]["longest_run"] for it in items if it["group"] == "heldout") == 6
    (dirty_fact,) = [it for it in items if it["group"] == "fact" and it["overlap"]["dirty"]]
    assert dirty_fact["context"].startswith("The Constitution asks the President to give Congress information")
    log = json.loads((Path(__file__).parents[2] / "models" / "tiny" / "train_log.json").read_text())
    assert (
        log["epochs"] == 7.18 and round(log["n_params"] / 1e6, 1) == 1.7 and round(log["train_tokens"] / 1e6, 1) == 2.4
    )
    from llm_core.evaluation import accuracy

    assert round(100 * accuracy([1, 0] * 500)["stderr"], 1) == 1.6  # "still 1.6 with 1,000"


def test_benchmark_run_readers_item():
    r = run(
        benchmark_run, context="I ask the Congress to", choices="act | the the the | provide for the common defense"
    )
    y = r["yours"]
    assert y["message"] is None and [row["choice"] for row in y["rows"]] == [
        "act",
        "the the the",
        "provide for the common defense",
    ]
    assert y["rows"][0]["right"] and sum(row["acc"] for row in y["rows"]) == 1
    assert r["acc_text"] == run(benchmark_run)["acc_text"]  # the reader's item is not counted


@pytest.mark.parametrize(
    "params, expect",
    [
        ({"context": "Only one choice", "choices": "alone"}, "at least two choices"),
        ({"context": "", "choices": " | | "}, "at least two choices"),
        ({"context": "", "choices": "🇺🇸 | Union"}, None),
        ({"context": "x" * 5000, "choices": "a | b"}, None),
        ({"context": "war", "choices": " | ".join(["peace"] * 9)}, None),
        ({"context": "war", "choices": "a | " + "🙂" * 99}, "at most 48"),
    ],
)
def test_benchmark_run_odd_input(params, expect):
    y = run(benchmark_run, **params)["yours"]
    assert (y["message"] is not None and expect in y["message"]) if expect else y["message"] is None


def test_benchmark_run_clamps_and_rejects():
    assert run(benchmark_run, item=999)["item"]["n"] == 30 and run(benchmark_run, item=-3)["item"]["n"] == 1
    assert run(benchmark_run, context="x" * 5000, choices="a | b")["note"]  # cut to the last 400 characters
    assert run(benchmark_run)["yours"] is None
    with pytest.raises(ValueError):
        run(benchmark_run, item="fourth")


def test_chapter_moe_serving_numbers():
    """Chapters 19 and 20: Qwen3-30B-A3B on an H100 in bf16, 1,000-token prompt, one request and 16.

    Memory holds every expert, FLOPs count the active parameters, and a decode step reads the experts its
    tokens pick: E (1 - (1 - k/E)^B) of E = 128 per layer, k = 8 (uniform routing), written out here."""
    from llm_core.moe import MOE_CONFIGS, parameter_counts

    cfg, hw = MOE_CONFIGS["qwen3-30b-a3b"], HARDWARE["h100-sxm"]
    n = parameter_counts(cfg)
    one, sixteen, llama16 = (
        run(serving_sim, model="qwen3-30b-a3b"),
        run(serving_sim, model="qwen3-30b-a3b", batch=16),
        run(serving_sim, batch=16),
    )
    assert one["memory"]["weights"] == 2 * n["total"] and one["model"]["n_active"] == n["active"]
    assert one["ttft"] >= 2 * n["active"] * 1000 / hw.flops_per_s
    expert = 3 * 2048 * 768  # one expert's parameters
    for r, batch in ((one, 1), (sixteen, 16)):
        used = 128 * (1 - (1 - 8 / 128) ** batch)
        read = 2 * (n["total"] - n["routed_experts"] + 48 * used * expert)
        assert r["step_weights_text"] == serving_sim.gigabytes(read)
        kv = 2 * 48 * 4 * 128 * 2 * 1001 * batch
        assert r["step"]["seconds"] == pytest.approx(
            max((read + kv) / hw.bandwidth, batch * 2 * n["active"] / hw.flops_per_s), rel=1e-12
        )
    # the numbers the chapters quote
    assert (one["memory"]["weights_text"], one["model"]["n_params_text"]) == ("61.1 GB", "30.5B, 3.35B active")
    assert (one["step_weights_text"], one["per_seq_text"]) == ("6.71 GB", "492")
    assert (sixteen["step_weights_text"], sixteen["per_seq_text"], llama16["per_seq_text"]) == (
        "40.4 GB",
        "79.5",
        "182",
    )
    assert "pick 82.4 of its 128 experts" in sixteen["moe"] and "8 of its 128 experts" in one["moe"]
    assert run(serving_sim)["per_seq_text"] == "207"


def test_serving_sliding_window_and_latent_attention_caches():
    """gpt-oss-120b's sliding-window layers keep at most 128 positions; DeepSeek-V3's MLA 576 numbers a layer."""
    from llm_core.kv_cache import kv_cache_bytes
    from llm_core.moe import MOE_CONFIGS

    r = run(serving_sim, model="gpt-oss-120b", prompt_tokens=20000, output_tokens=32)
    assert (
        r["memory"]["kv"] == 18 * 2 * 8 * 64 * 2 * (20031 + 128) == kv_cache_bytes(MOE_CONFIGS["gpt-oss-120b"], 20031)
    )
    ds = run(serving_sim, model="deepseek-v3")
    assert ds["memory"]["kv"] == 61 * (512 + 64) * 2 * 1199 and ds["memory"]["weights_text"] == "1,342 GB"
