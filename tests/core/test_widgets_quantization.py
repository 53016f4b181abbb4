"""The quantization chapter's widgets, computed in CPython: weight_quantizer, quantized_model, model_size.

Checked against llm_core and naive references: the quantizer's error and bytes against a by-hand absmax
loop and closed forms (half a step at most, bits * n / 8 + scales), the quantized model's perplexity
against a direct cross-entropy over the same held-out windows, the sizes against parameter counts times
bits; plus clamping and bad-input messages.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from llm_core.checkpoints import pack_weights, unpack_weights
from llm_core import moe
from llm_core.configs import CONFIGS, MOE_CONFIGS, parameter_count
from llm_core.loss import cross_entropy
from tests.tolerances import within_rounding
from widget_loader import load_widget, run
from llm_core.models import tiny_model


weight_quantizer = load_widget("weight_quantizer")
quantized_model = load_widget("quantized_model")
model_size = load_widget("model_size")


# -- weight_quantizer --------------------------------------------------------------------------------


def naive_absmax(w, bits, scale_of):  # a loop over weights: round(w / s) * s, s from scale_of(i, j)
    qmax = 2 ** (bits - 1) - 1
    out = np.empty_like(w, dtype=np.float64)
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            s = scale_of(i, j) / qmax
            out[i, j] = np.clip(np.round(w[i, j] / s), -qmax, qmax) * s if s else 0.0
    return out


@pytest.mark.parametrize(
    "granularity, group", [("per-tensor", 32), ("per-channel", 32), ("group-wise", 32), ("group-wise", 128)]
)
@pytest.mark.parametrize("fmt", ["int8", "int4"])
def test_integer_error_matches_a_naive_absmax_loop(fmt, granularity, group):
    r = run(weight_quantizer, layer=1, matrix="wo", format=fmt, granularity=granularity, group_size=group)
    w = tiny_model().weights["layers.1.wo"].astype(np.float64)  # [128, 128]
    if granularity == "per-tensor":
        scale_of = lambda i, j: np.abs(w).max()  # noqa: E731
    elif granularity == "per-channel":
        scale_of = lambda i, j: np.abs(w[:, j]).max()  # noqa: E731
    else:
        scale_of = lambda i, j: np.abs(w[i, j // group * group : (j // group + 1) * group]).max()  # noqa: E731
    w_hat = naive_absmax(w, 4 if fmt == "int4" else 8, scale_of)
    diff = w_hat - w
    # the widget rounds in float32, this loop in float64: each dequantized weight q * s is two roundings
    # (the scale's and the product's) from this one, at most |w| large
    max_abs, relative, rmse = np.abs(diff).max(), np.linalg.norm(diff) / np.linalg.norm(w), np.sqrt(np.mean(diff**2))
    assert r["error"]["max_abs"] == within_rounding(max_abs, 2, np.abs(w).max())
    assert r["error"]["relative"] == within_rounding(relative, 2, 1 + relative)
    assert r["error"]["rmse"] == within_rounding(rmse, 2, np.sqrt(np.mean(w**2)) + max_abs)


def test_per_tensor_error_is_at_most_half_a_step_and_finer_scales_help():
    r = run(weight_quantizer)  # layer 0 wq, int4, per-tensor
    step = r["absmax"] / 7
    assert r["error"]["max_abs"] <= step / 2 + 1e-7
    rel = {g: run(weight_quantizer, granularity=g)["error"]["relative"] for g in weight_quantizer.GRANULARITIES}
    assert rel["group-wise"] < rel["per-channel"] < rel["per-tensor"]
    assert run(weight_quantizer, format="int8")["error"]["relative"] < rel["per-tensor"] / 10


@pytest.mark.parametrize(
    "params, n_scales, bits",
    [
        ({"granularity": "per-tensor"}, 1, 4),
        ({"granularity": "per-channel"}, 128, 4),
        ({"granularity": "group-wise", "group_size": 32}, 128 * 128 // 32, 4),
        ({"granularity": "group-wise", "group_size": 64, "format": "int8"}, 128 * 128 // 64, 8),
        ({"format": "fp16"}, 0, 16),
        ({"format": "bf16"}, 0, 16),
    ],
)
def test_bytes_are_bits_times_weights_plus_scales(params, n_scales, bits):
    r = run(weight_quantizer, **params)
    assert r["n_weights"] == 128 * 128 and r["bytes_fp32"] == 4 * 128 * 128
    assert r["n_scales"] == n_scales
    assert r["bytes_after"] == 128 * 128 * bits // 8 + 2 * n_scales


def test_histograms_count_every_weight():
    r = run(weight_quantizer, matrix="w_down", layer=4, granularity="group-wise")
    for hist in (r["weights"], r["errors"]):
        assert sum(b["count"] for b in hist["bars"]) == r["n_weights"] == 384 * 128
        assert len(hist["bars"]) == weight_quantizer.N_BINS
    assert max(b["count"] for b in r["weights"]["bars"]) == r["weights"]["max_count"]


def test_fp16_is_exact_on_fp16_shipped_weights_and_bf16_is_not():
    fp16 = run(weight_quantizer, format="fp16")
    assert fp16["error"]["max_abs"] == 0 and "fp16" in fp16["note"]
    assert sum(b["count"] for b in fp16["errors"]["bars"]) == fp16["n_weights"]
    bf16 = run(weight_quantizer, format="bf16")
    assert 0 < bf16["error"]["relative"] < 2**-8  # 8 significant bits: at most half a unit in the last place
    assert (fp16["text"]["max_abs"], fp16["text"]["relative"]) == ("0", "0%")


def test_weight_quantizer_texts():
    r = run(weight_quantizer)  # layers.0.wq in int4, one scale for the tensor
    t, e = r["text"], r["error"]
    assert (t["n_weights"], t["bytes_fp32"], t["bits_per_weight"]) == ("16,384", "65,536", "4")
    assert t["bytes_after"] == "8,194 (1 scale: 2 bytes)" and t["ratio"] == f"{65536 / 8194:.2f}"
    assert t["absmax"] == f"{r['absmax']:.4f}" and t["max_abs"] == f"{e['max_abs']:.4f}"
    assert t["relative"] == f"{100 * e['relative']:.2f}%"
    grouped = run(weight_quantizer, granularity="group-wise", group_size=32, format="int8")["text"]
    assert grouped["bytes_after"] == "17,408 (512 scales: 1,024 bytes)" and grouped["bits_per_weight"] == "8.5"
    assert weight_quantizer.small(6.1e-05) == "6.10e−05" and weight_quantizer.small(0.01234) == "0.0123"
    ticks = r["weights"]["x_ticks"]
    assert [x["anchor"] for x in ticks] == ["start", "middle", "end"]
    assert ticks[0]["label"] == "−" + ticks[2]["label"] and ticks[1]["label"] == "0"


def test_embedding_per_channel_is_per_token_and_narrow_rows_take_one_group():
    emb = run(weight_quantizer, matrix="tok_emb", granularity="per-channel")
    assert emb["shape"] == [4096, 128] and emb["n_scales"] == 4096
    wk = run(weight_quantizer, matrix="wk", granularity="group-wise", group_size=128)
    assert wk["n_scales"] == 128 and "64" in wk["note"]


@pytest.mark.parametrize(
    "params, word",
    [
        ({"matrix": "wz"}, "matrix"),
        ({"format": "int3"}, "format"),
        ({"granularity": "per-row"}, "granularity"),
        ({"group_size": 48}, "group_size"),
        ({"group_size": ""}, "group_size"),
        ({"layer": "one"}, "layer"),
        ({"layer": 1.5}, "layer"),
    ],
)
def test_weight_quantizer_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        weight_quantizer.compute(params)


def test_weight_quantizer_layer_is_clamped():
    assert run(weight_quantizer, layer=99)["params"]["layer"] == 5
    assert run(weight_quantizer, layer=-3)["name"] == "layers.0.wq"


# -- quantized_model ---------------------------------------------------------------------------------


def test_held_out_perplexity_matches_a_direct_cross_entropy():
    r = run(quantized_model, format="int8", group_size=64, n_tokens=2)
    windows = np.load(Path(__file__).resolve().parents[2] / "models/tiny/val_windows.npy")[
        quantized_model.WINDOWS, :129
    ]
    weights = unpack_weights(pack_weights(tiny_model().weights, "int8", 64)[0])
    cfg = tiny_model().cfg
    from llm_core.model import forward

    losses = [
        cross_entropy(forward(weights, cfg, w[:-1].astype(np.int64))[0], w[1:].astype(np.int64))[1] for w in windows
    ]
    assert r["n_eval_tokens"] == 4 * 128 == sum(len(x) for x in losses)
    assert math.isclose(r["loss_quant"], float(np.mean(np.concatenate(losses))), rel_tol=1e-6)
    assert math.isclose(r["ppl_quant"], math.exp(r["loss_quant"]), rel_tol=1e-12)


def test_fp16_model_is_the_shipped_model_and_int4_costs_more_than_int8():
    fp16 = run(quantized_model, format="fp16", n_tokens=8)
    assert fp16["first_difference"] is None and fp16["ppl_quant"] == fp16["ppl_full"]
    assert fp16["full"] == fp16["quant"] and fp16["weight_error"] == 0
    int8 = run(quantized_model, format="int8", group_size=32, n_tokens=2)
    int4 = run(quantized_model, format="int4", group_size=32, n_tokens=2)
    assert 0 <= int8["ppl_change"] < 0.01 < int4["ppl_change"]
    assert int4["bytes_quant"] < int8["bytes_quant"] < fp16["bytes_quant"] == fp16["bytes_fp32"] // 2
    assert fp16["verdict"] == "The two continuations are identical for all 8 tokens."
    assert (fp16["text"]["weight_error"], fp16["text"]["ppl_quant"]) == ("0%", fp16["text"]["ppl_full"] + " (0.0%)")
    t = int4["text"]
    assert t["ppl_quant"] == f"{int4['ppl_quant']:.2f} (+{100 * int4['ppl_change']:.1f}%)"
    assert t["bytes_fp32"] == f"{int4['bytes_fp32'] / 1e6:.2f} MB" and t["n_eval_tokens"] == "512"
    assert t["weight_error"] == f"{100 * int4['weight_error']:.2f}%"


def test_greedy_continuations_match_llm_core_and_the_first_difference_is_marked():
    from llm_core.generation import generate

    r = run(quantized_model)  # int4, groups of 128: the defaults part early
    tiny = tiny_model()
    ids = tiny.encoding.encode(quantized_model.DEFAULTS["prompt"])
    assert [c["id"] for c in r["full"]] == generate(tiny, ids, r["params"]["n_tokens"], temperature=0)["new_ids"]
    first = r["first_difference"]
    assert first is not None and r["full"][first]["id"] != r["quant"][first]["id"]
    assert [c["id"] for c in r["full"][:first]] == [c["id"] for c in r["quant"][:first]]
    assert all(c["differs"] == (i >= first) for i, c in enumerate(r["quant"]))
    assert r["verdict"].startswith(f"They part at new token {first + 1} (marked ▶;")  # counted from 1
    assert r["prompt_label"] == "Prompt:"
    long = run(quantized_model, prompt="The revenue of the Government " * 5, n_tokens=1, format="fp16")
    assert long["prompt_label"] == f"Prompt (last 16 of {long['n_prompt_tokens']} tokens):"


def test_quantized_model_limits_and_notes():
    assert len(run(quantized_model, n_tokens=0, format="fp16")["full"]) == 1
    assert run(quantized_model, n_tokens=10**6, format="fp16")["params"]["n_tokens"] == quantized_model.MAX_NEW_TOKENS
    assert "empty" in run(quantized_model, prompt="", n_tokens=1)["note"]
    long = run(quantized_model, prompt="x" * 1_000_000, n_tokens=1, format="fp16")
    assert "last 2,000" in long["note"] and len(long["params"]["prompt"]) == 2_000
    run(quantized_model, prompt="👍🏽 e\u0301 \ud800 \x00\x1b مرحبا", n_tokens=2, format="fp16")


@pytest.mark.parametrize(
    "params, word",
    [
        ({"prompt": None}, "prompt"),
        ({"format": "int2"}, "format"),
        ({"group_size": 16}, "group_size"),
        ({"n_tokens": "many"}, "n_tokens"),
        ({"n_tokens": float("nan")}, "n_tokens"),
    ],
)
def test_quantized_model_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        quantized_model.compute(params)


# -- model_size --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", model_size.MODELS)
@pytest.mark.parametrize("group", [32, 128])
def test_sizes_are_parameters_times_bits_plus_scales(key, group):
    r = run(model_size, model=key, group_size=group)
    cfg = MOE_CONFIGS.get(key) or CONFIGS[key]
    n = moe.parameter_counts(cfg)["total"] if key in MOE_CONFIGS else parameter_count(cfg)["total"]
    sizes = {row["format"]: row["bytes"] for row in r["real"]["rows"]}
    assert r["real"]["n_params"] == n
    assert sizes["fp32"] == 4 * n and sizes["fp16"] == 2 * n
    assert sizes["int8"] == n + 2 * math.ceil(n / group)
    assert sizes["int4"] == math.ceil(n / 2) + 2 * math.ceil(n / group)
    assert r["real"]["source"] == cfg.source
    assert any(link["url"].startswith("https://huggingface.co/") for link in r["real"]["links"])
    assert (r["real"]["moe"] is None) == (key not in MOE_CONFIGS)


# Memory holds every expert; a token runs the active ones: (total, active, GFLOPs per token as printed),
# the counts pinned against config.json and the published figures in test_moe.py.
MOE_LINES = {
    "mixtral-8x7b": ("46,702,792,704", "12,879,925,248", "25.8"),
    "qwen3-30b-a3b": ("30,532,122,624", "3,353,032,704", "6.71"),
    "gpt-oss-120b": ("116,829,156,672", "5,711,982,912", "11.4"),
    "deepseek-v3": ("671,026,419,200", "37,552,297,472", "75.1"),
}


@pytest.mark.parametrize("key", sorted(MOE_LINES))
def test_moe_memory_follows_the_total_and_flops_the_active_parameters(key):
    r = run(model_size, model=key)
    n = moe.parameter_counts(MOE_CONFIGS[key])
    assert r["real"]["moe"]["active"] == n["active"] and r["real"]["moe"]["flops_per_token"] == 2 * n["active"]
    fp16 = next(row for row in r["real"]["rows"] if row["format"] == "fp16")
    assert fp16["bytes"] == moe.weights_bytes(n["total"], 16) == 2 * n["total"]  # all experts, in memory
    total, active, gflops = MOE_LINES[key]
    text = r["real"]["moe"]["text"]
    assert f"all {total} parameters" in text and f"only {active} of them" in text and f"{gflops} GFLOPs" in text


def test_llama_3_8b_in_fp16_is_16_gb_and_int4_group_32_is_4_5_bits():
    r = run(model_size)
    rows = {row["format"]: row for row in r["real"]["rows"]}
    assert round(rows["fp16"]["gb"], 1) == 16.1 and math.isclose(r["int4_bits"], 4.5, rel_tol=1e-6)
    assert rows["int4"]["fits"] == model_size.DEVICES[0]["name"]  # 4.5 GB: the 8 GB phone
    assert (rows["fp16"]["gb_text"], rows["int4"]["fits_text"]) == ("16.1 GB", ", fits: Google Pixel 8 phone (8 GB)")
    assert r["bits_text"] == {"int8": "8.5", "int4": "4.5"} and r["real"]["n_params_text"] == "8,030,261,248"


def test_slider_model_and_devices():
    r = run(model_size, billions=70)
    rows = {row["format"]: row for row in r["any"]["rows"]}
    assert rows["fp16"]["bytes"] == 140 * 10**9 and rows["fp32"]["fits"] == "8 × H100 server"
    assert all(0 <= row["frac"] <= 1 for row in r["any"]["rows"])
    big = run(model_size, model="llama-3.1-405b")
    assert {row["format"]: row for row in big["real"]["rows"]}["fp32"]["fits"] is None
    assert {row["format"]: row for row in big["real"]["rows"]}["fp32"]["gb_text"] == "1,623 GB"
    assert [row["width"] for row in r["any"]["rows"]] == [f"{100 * row['frac']:.1f}%" for row in r["any"]["rows"]]
    assert [t["left"] for t in r["ticks"]][0] == "0.0%" and r["billions_text"] == "70"
    assert run(model_size, billions="13.5")["billions_text"] == "13.5"
    assert [d["gb_text"] for d in r["devices"]][-1] == "640 GB"


@pytest.mark.parametrize(
    "gb, text",
    [
        (0.523, "0.52 GB"),
        (16.06, "16.1 GB"),
        (99.9, "99.9 GB"),
        (9.996, "10.00 GB"),
        (141.2, "141 GB"),
        (1612.4, "1,612 GB"),
    ],
)
def test_model_size_gigabytes(gb, text):
    assert model_size.gigabytes(gb) == text


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"billions": 0}, "billions", 0.5),
        ({"billions": 1e9}, "billions", 100.0),
        ({"billions": "13.5"}, "billions", 13.5),
    ],
)
def test_model_size_clamps(params, key, expected):
    assert run(model_size, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, word",
    [
        ({"model": "gpt-5"}, "model"),
        ({"billions": ""}, "billions"),
        ({"group_size": 0}, "group_size"),
    ],
)
def test_model_size_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        model_size.compute(params)


def test_int4_per_tensor_grid_lines_are_the_15_storable_values():
    r = run(weight_quantizer)
    h = r["weights"]
    assert len(r["grid"]) == 15 and r["grid"][0] == h["left"] and r["grid"][-1] == h["right"]
    assert math.isclose(r["grid"][7], (h["left"] + h["right"]) / 2)  # q = 0 sits at w = 0
    assert run(weight_quantizer, format="int8")["grid"] == [] == run(weight_quantizer, granularity="group-wise")["grid"]


@pytest.mark.parametrize("n_tokens", [1, 9, 32])
def test_cut_continuations_equal_runs_of_that_length(n_tokens):
    from llm_core.generation import generate
    from widgetlib.prompt import prompt_ids

    params = {**quantized_model.DEFAULTS, "n_tokens": n_tokens, "format": "int8", "group_size": 64}
    r = quantized_model.compute(params)
    tiny = tiny_model()
    ids, _ = prompt_ids(tiny, params["prompt"], quantized_model.MAX_NEW_TOKENS)
    for key, m in [("full", tiny), ("quant", quantized_model.quantized("int8", 64)[0])]:
        direct = generate(m, ids, n_tokens, temperature=0)["new_ids"]
        assert [c["id"] for c in r[key]] == direct
