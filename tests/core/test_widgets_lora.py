"""The LoRA chapter's widgets, computed in CPython: lora_rank and lora_params.

Checked against references: the rank-r error against numpy's own SVD and a direct ||W - AB|| / ||W||,
Eckart-Young (no other rank-r matrix does better than the truncated SVD), the parameter counts against
sums over the real matrix shapes and the well-known counts for Llama 2 7B and Llama 3 8B; plus clamping
and bad-input messages.
"""

import math

import numpy as np
import pytest

from llm_core.configs import CONFIGS, parameter_count
from widget_loader import load_widget, run
from widgetlib.fmt import fixed, percent
from llm_core.models import tiny_model


lora_rank = load_widget("lora_rank")
lora_params = load_widget("lora_params")


# -- lora_rank ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("layer, matrix, rank", [(0, "wq", 8), (3, "w_down", 32), (5, "wk", 1), (2, "w_up", 100)])
def test_error_matches_numpy_svd_and_a_direct_reconstruction(layer, matrix, rank):
    r = run(lora_rank, layer=layer, matrix=matrix, rank=rank)
    w = tiny_model().weights[f"layers.{layer}.{matrix}"].astype(np.float64)
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    approx = (u[:, :rank] * s[:rank]) @ vt[:rank]
    assert math.isclose(r["relative"], np.linalg.norm(w - approx) / np.linalg.norm(w), rel_tol=1e-6)
    assert math.isclose(r["energy"], np.sum(s[:rank] ** 2) / np.sum(s**2), rel_tol=1e-9)
    assert math.isclose(r["spectrum"]["max"], s[0], rel_tol=1e-9) and r["spectrum"]["n"] == len(s)
    assert [b["kept"] for b in r["spectrum"]["bars"]] == [i < rank for i in range(len(s))]
    assert r["lora"] == rank * sum(w.shape) and r["full"] == w.size


def test_eckart_young_no_other_rank_r_matrix_does_better():
    r = run(lora_rank, rank=8)
    w = tiny_model().weights["layers.0.wq"].astype(np.float64)
    rng = np.random.default_rng(1)
    for _ in range(5):  # random rank-8 products, and a perturbed SVD solution
        a, b = rng.normal(size=(128, 8)), rng.normal(size=(8, 128))
        scale = np.sum(w * (a @ b)) / np.sum((a @ b) ** 2)  # the best multiple of a @ b
        assert np.linalg.norm(w - scale * a @ b) / np.linalg.norm(w) > r["relative"]


def test_error_falls_with_rank_and_reaches_zero_at_full_rank():
    errors = [run(lora_rank, rank=k)["relative"] for k in (1, 4, 16, 64, 128)]
    assert all(x > y for x, y in zip(errors, errors[1:]))
    full = run(lora_rank, rank=128)
    assert full["relative"] == 0.0 and full["energy"] == 1.0 and full["fraction"] == 2.0


def test_lora_rank_text_is_widgetlib_fmt_of_the_values():
    r = run(lora_rank, layer=3, matrix="w_down", rank=32)
    assert dict(r["stats"]) == {
        "Relative error ‖W − AB‖ / ‖W‖": percent(r["relative"]),
        "Share of Σs² kept": f"{percent(r['energy'])} (90% needs rank {r['rank_for_90']})",
        "A random matrix, same shape, same rank": f"{percent(r['random_relative'])} error",
        "Numbers in A and B, r (d_in + d_out)": f"{r['lora']:,} vs {r['full']:,} in W ({100 * r['fraction']:.1f}%)",
    }
    sp = r["spectrum"]
    assert sp["max_label"]["text"] == fixed(sp["max"], 2) and sp["cut_label"]["text"] == "r = 32"
    assert sp["cut_label"]["x"] == pytest.approx(sp["cut"] + 3)
    assert f"largest {fixed(r['s_first'], 3)}, smallest {fixed(r['s_last'], 4)}" in r["aria_label"]
    full = run(lora_rank, rank=128)  # the factors of a full-rank "update" hold twice W's numbers
    assert full["stats"][0][1] == "0%" and full["stats"][3][1].endswith("in W (200.0%)")


def test_rank_is_capped_by_the_smaller_side_with_a_note():
    r = run(lora_rank, matrix="wv", rank=100)
    assert r["rank"] == 64 and r["max_rank"] == 64 and "64" in r["note"]
    assert run(lora_rank, rank=0)["rank"] == 1 and run(lora_rank, rank=10**6)["rank"] == 128


def test_trained_query_matrix_is_more_compressible_than_random():
    r = run(lora_rank, rank=8)
    assert r["relative"] < r["random_relative"] and 1 <= r["rank_for_90"] <= 128


@pytest.mark.parametrize(
    "params, word",
    [
        ({"matrix": "tok_emb"}, "matrix"),
        ({"rank": "eight"}, "rank"),
        ({"rank": 2.5}, "rank"),
        ({"layer": None}, "layer"),
        ({"rank": float("inf")}, "rank"),
    ],
)
def test_lora_rank_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        lora_rank.compute(params)


# -- lora_params -------------------------------------------------------------------------------------


def test_llama_2_7b_rank_8_on_q_and_v_is_4_194_304():
    r = run(lora_params)
    assert r["lora"] == 4_194_304 and r["total"] == parameter_count(CONFIGS["llama-2-7b"])["total"]
    assert math.isclose(r["fraction"], 4_194_304 / r["total"])
    assert r["full_bytes"] == 16 * r["total"] and r["lora_bytes"] == 2 * r["total"] + 16 * r["lora"]
    assert r["adapter_bytes"] == 2 * 4_194_304


def test_lora_params_text():
    r = run(lora_params)
    assert r["rows"] == [
        {
            "head": "Full fine-tuning",
            "trained": f"{r['total']:,} (100%)",
            "width": "100.0%",
            "memory": "108 GB",
        },  # 107.8 GB: whole GB from 100 on
        {
            "head": "LoRA, rank 8",
            "trained": f"4,194,304 ({percent(r['fraction'], 3)})",
            "width": f"{100 * r['lora_bar']:.1f}%",
            "memory": f"{r['lora_bytes'] / 1e9:.1f} GB",
        },
    ]
    assert r["per_layer"] == [
        {"name": "wq", "text": " 4096 × 4096 gets 65,536; "},
        {"name": "wv", "text": " 4096 × 4096 gets 65,536."},
    ]
    assert r["adapter_text"] == "8.4 MB"
    assert [lora_params.gigabytes(n) for n in (5e8, 1.35e10, 1.404e11)] == ["0.50 GB", "13.5 GB", "140 GB"]


def test_llama_3_8b_rank_16_on_every_linear_layer_is_41_943_040():
    assert run(lora_params, model="llama-3-8b", rank=16, targets="all")["lora"] == 41_943_040


@pytest.mark.parametrize("key", lora_params.MODELS)
@pytest.mark.parametrize("targets", ["qv", "attention", "all"])
def test_counts_are_sums_over_the_target_matrices(key, targets):
    cfg = CONFIGS[key]
    r = run(lora_params, model=key, rank=16, targets=targets)
    shapes = {m["name"]: m["shape"] for m in r["matrices"]}
    assert sum(m["lora"] for m in r["matrices"]) * cfg.n_layer == r["lora"]
    assert all(m["lora"] == 16 * sum(m["shape"]) for m in r["matrices"])
    assert set(shapes) <= {"wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"}
    assert r["lora"] < r["targeted"] <= r["total"]
    assert 0 < r["lora_bar"] < 1


def test_more_targets_train_more():
    counts = [run(lora_params, targets=t)["lora"] for t in ("qv", "attention", "all")]
    assert counts[0] < counts[1] < counts[2]


@pytest.mark.parametrize(
    "params, key, expected", [({"rank": 0}, "rank", 1), ({"rank": 10**9}, "rank", 256), ({"rank": "32"}, "rank", 32)]
)
def test_lora_params_clamps(params, key, expected):
    assert run(lora_params, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, word", [({"model": "gpt-5"}, "model"), ({"targets": "mlp"}, "targets"), ({"rank": ""}, "rank")]
)
def test_lora_params_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        lora_params.compute(params)


def test_lora_params_links_its_sources():
    links = run(lora_params)["links"]
    assert {link["url"] for link in links} == {
        "https://arxiv.org/abs/2307.09288",
        "https://huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/config.json",
    }
