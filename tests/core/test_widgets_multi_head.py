"""The multi-head attention chapter's widgets, computed in CPython: attention_maps and kv_memory.

attention_maps is checked against the model's own forward pass (every head's weights) and against naive
loops for its per-head summaries, on the tiny model and on SmolLM2 (skipped without its GGUF file, with
the numbers chapter 6 quotes); kv_memory against the closed form written out and hand-worked
published examples. Plus clamping and bad-input messages.
"""

import numpy as np
import pytest

from llm_core.configs import CONFIGS
from llm_core.model import forward
from widgetlib.fmt import percent
from widget_loader import load_widget, run


attention_maps = load_widget("attention_maps")
kv_memory = load_widget("kv_memory")


# ---- attention_maps ------------------------------------------------------------------------------


def model_weights(prompt: str):  # -> ids, [n_layer, n_head, n_seq, n_seq] from the model's forward pass
    tiny = attention_maps.model()
    ids, _ = attention_maps.text_ids(prompt)
    _, trace = tiny.forward(ids, trace=True)
    return ids, trace["attention"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"layer": 0, "head": 3},
        {"prompt": "The tariff is a tax. The tariff is paid by the people.", "layer": 5, "head": 1},
    ],
)
def test_maps_are_the_models_own_weights(params):
    r = run(attention_maps, **params)
    p = {**attention_maps.DEFAULTS, **params}
    ids, weights = model_weights(p["prompt"])
    n = len(ids)
    assert [t["id"] for t in r["tokens"]] == [int(i) for i in ids] and r["n_tokens"] == n
    assert len(r["heads"]) == 6 * 4 and r["heads"][r["chosen"]]["layer"] == p["layer"]
    assert r["heads"][r["chosen"]]["head"] == p["head"]
    chosen = weights[p["layer"], p["head"]]
    for i, row in enumerate(r["rows"]):  # the enlarged head, row by row: exactly the forward pass's weights
        assert row == [float(x) for x in chosen[i, : i + 1]]
        assert abs(sum(row) - 1) < 1e-5
    for m in r["heads"]:
        w = weights[m["layer"], m["head"]]
        expected = [[i, j, float(w[i, j])] for i in range(n) for j in range(n) if w[i, j] >= attention_maps.MIN_CELL]
        assert [cell[:3] for cell in m["cells"]] == expected
        assert all(j <= i for i, j, _, _ in m["cells"])  # the causal mask: nothing above the diagonal
        assert all(abs(o - np.sqrt(w)) <= 1e-4 * np.sqrt(w) for _, _, w, o in m["cells"])  # colour: sqrt(weight)
    for f in r["focus"]:
        assert f["weight"] == float(chosen[f["query"]].max()) and f["key"] == int(np.argmax(chosen[f["query"]]))
        assert f["back"] == f["query"] - f["key"] and f["percent"] == percent(f["weight"])
    big = r["big"]  # the enlarged map: one cell per weight of the causal triangle, its share as a reader reads it
    assert [[share for _, share in row] for row in big["cells"]] == [[percent(w) for w in row] for row in r["rows"]]
    assert big["size"] == 96 + 16 * n and big["x"][-1] == big["y"][-1] == big["size"] - 16
    assert r["tri_small"].count("H") == n + 1 and big["tri"].startswith("M96 96H112V112")


def test_texts_name_the_chosen_head_and_its_shares():
    r = run(attention_maps, layer=2, head=3)
    m = r["heads"][r["chosen"]]
    assert r["chosen_title"] == "Layer 2, query head 3 (key/value head 1)"
    assert r["chosen_summary"].startswith(f"It {m['text']}. On average its queries put {percent(m['prev'])} of")
    assert r["head_options"] == [
        "0 (key/value head 0)",
        "1 (key/value head 0)",
        "2 (key/value head 1)",
        "3 (key/value head 1)",
    ]
    assert [g["heads"] for g in r["grid"][2]["groups"]] == [[8, 9], [10, 11]]
    assert r["grid"][2]["groups"][1]["label"] == "Layer 2: query heads 2 to 3 share key/value head 1"
    assert r["how"].startswith(f"Glassbox's tiny model, {r['n_tokens']} tokens. Each small map")


def test_query_heads_are_grouped_by_the_kv_head_they_share():
    r = run(attention_maps)
    assert r["n_kv_head"] == 2 and r["group"] == 2
    assert [m["kv_head"] for m in r["heads"][:4]] == [0, 0, 1, 1]


def test_head_summaries_against_naive_loops():
    r = run(attention_maps)
    _, weights = model_weights(attention_maps.DEFAULTS["prompt"])
    n = weights.shape[-1]
    for m in r["heads"]:
        w = weights[m["layer"], m["head"]].astype(np.float64)
        queries = range(1, n)
        prev = sum(w[i, i - 1] for i in queries) / (n - 1)
        first = sum(w[i, 0] for i in queries) / (n - 1)
        itself = sum(w[i, i] for i in queries) / (n - 1)
        distance = sum(sum(w[i, j] * (i - j) for j in range(i + 1)) for i in queries) / (n - 1)
        for got, want in [(m["prev"], prev), (m["first"], first), (m["self"], itself), (m["distance"], distance)]:
            assert abs(got - want) < 1e-5
        assert f"average distance {distance:.1f} tokens" in m["text"]


def test_the_default_enlarged_head_is_a_previous_token_head():
    # The chapter's claim: layer 4, head 0 looks mostly at the previous token.
    m = run(attention_maps)["heads"][4 * 4 + 0]
    assert m["text"].startswith("looks mostly at the previous token") and m["prev"] > 0.6 and m["distance"] < 2


@pytest.mark.parametrize("layer, head", [(4, 0), (0, 2), (5, 3)])
def test_switched_off_head_is_the_models_own_ablation(layer, head):
    """The checkbox's summary: top predictions compared with the model's forward pass on weights whose head's
    rows of w_o are zero, written out here (not through llm_core.model.ablate_heads)."""
    r = run(attention_maps, layer=layer, head=head, switch_off=True)
    tiny = attention_maps.model()
    ids, _ = attention_maps.text_ids(attention_maps.DEFAULTS["prompt"])
    weights = dict(tiny.weights)
    wo = weights[f"layers.{layer}.wo"].copy()
    wo[head * tiny.cfg.d_head : (head + 1) * tiny.cfg.d_head] = 0
    weights[f"layers.{layer}.wo"] = wo
    top = tiny.forward(ids)[0].argmax(-1)
    top_off = forward(weights, tiny.cfg, ids)[0].argmax(-1)
    a = r["ablation"]
    assert a["n_changed"] == int(np.sum(top != top_off))
    assert f"at {a['n_changed']} of the {len(ids)} positions" in a["text"]
    assert [row["changed"] for row in a["rows"]] == [bool(top[row["pos"]] != top_off[row["pos"]]) for row in a["rows"]]
    moved = [float(row["moved"].rstrip("%")) for row in a["rows"]]
    assert moved == sorted(moved, reverse=True) and len(a["rows"]) == 5
    assert run(attention_maps, layer=layer, head=head)["ablation"] is None


def test_a_single_token_and_long_texts():
    one = run(attention_maps, prompt="")
    assert one["n_tokens"] == 1 and one["rows"] == [[1.0]] and "empty" in one["note"]
    assert all(m["cells"] == [[0, 0, 1.0, 1.0]] for m in one["heads"])
    long = run(attention_maps, prompt="The Congress shall act. " * 100)
    assert long["n_tokens"] == attention_maps.MAX_TOKENS and "last 64" in long["note"]


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"layer": -1}, "layer", 0),
        ({"layer": 9}, "layer", 5),
        ({"head": 7}, "head", 3),
        ({"head": "1"}, "head", 1),
    ],
)
def test_attention_maps_clamping(params, key, expected):
    assert run(attention_maps, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"layer": ""}, "layer must be a number"),
        ({"head": 0.5}, "head must be a whole number"),
        ({"prompt": None}, "prompt must be text"),
        ({"switch_off": "maybe"}, "switch_off must be on or off"),
    ],
)
def test_attention_maps_bad_input(params, message):
    with pytest.raises(ValueError, match=message):
        attention_maps.compute(params)


@pytest.mark.parametrize("prompt", ["🙂" * 300, "x" * 1_000_000, "مرحبا \u202e\x00\x07 hi", "\ud800 lone"])
def test_attention_maps_strange_prompts(prompt):
    r = run(attention_maps, prompt=prompt)
    assert 1 <= r["n_tokens"] <= attention_maps.MAX_TOKENS and len(r["rows"]) == r["n_tokens"]


# ---- attention_maps on SmolLM2 (skipped without its GGUF file) -----------------------------------


def test_attention_maps_on_smollm2_draw_one_layer_and_describe_every_head(smollm2_gguf):
    r = run(attention_maps, model="smollm2", prompt=attention_maps.PRONOUN, layer=13, head=8)
    smol = attention_maps.model("smollm2")
    ids = smol.encoding.encode(attention_maps.PRONOUN)
    _, trace = smol.forward(ids, trace=True, lens=False)
    weights = trace["attention"]
    assert (r["n_layer"], r["n_head"], r["n_kv_head"], r["group"]) == (30, 9, 3, 3)
    assert r["model_name"] == "SmolLM2-135M-Instruct" and r["grid_layers"] == [13]
    assert len(r["heads"]) == 270 and [m["kv_head"] for m in r["heads"][:9]] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    for m in r["heads"]:
        w = weights[m["layer"], m["head"]]
        assert (m["cells"] is None) == (m["layer"] != 13)
        if m["cells"] is not None:
            assert [c[:3] for c in m["cells"]] == [
                [i, j, float(w[i, j])] for i, j in np.argwhere(w >= attention_maps.MIN_CELL)
            ]
    chosen = weights[13, 8]
    assert r["rows"] == [[float(x) for x in chosen[i, : i + 1]] for i in range(len(ids))]
    # switching back: the tiny model clamps the layer and head to its own 6 x 4
    back = run(attention_maps, prompt=attention_maps.PRONOUN, layer=13, head=8)
    assert back["params"]["layer"] == 5 and back["params"]["head"] == 3 and len(back["heads"]) == 24


def test_chapter_smollm2_pronoun_head_and_first_token_heads(smollm2_gguf):
    """Chapter 6's "270 heads of a real model": layer 13's head 8 links " it" to " cat", and most heads
    park their weight on the first token."""
    r = run(attention_maps, model="smollm2", prompt=attention_maps.PRONOUN, layer=13, head=8)
    labels = [t["label"] for t in r["tokens"]]
    it, cat = labels.index("·it"), labels.index("·cat")
    assert round(100 * r["rows"][it][cat], 1) == 80.4
    assert {labels[f["query"]]: (labels[f["key"]], round(100 * f["weight"], 1)) for f in r["focus"]}["·on"] == (
        "·cat",
        97.7,
    )
    assert round(100 * r["rows"][labels.index("·tired")][cat], 1) == 74.1
    weights = attention_maps.attention(attention_maps.model("smollm2"), tuple(t["id"] for t in r["tokens"]))
    from_it = weights[:, :, it, cat]  # [n_layer, n_head]: every head's weight from " it" on " cat"
    assert np.unravel_index(np.argmax(from_it), from_it.shape) == (13, 8)
    trophy = run(
        attention_maps,
        model="smollm2",
        layer=13,
        head=8,
        prompt="The trophy did not fit in the suitcase because it was too big",
    )
    labels = [t["label"] for t in trophy["tokens"]]
    assert round(100 * trophy["rows"][labels.index("·it")][labels.index("·trophy")], 1) == 50.9
    tiny = attention_maps.model().encoding
    assert [tiny.decode([i]) for i in tiny.encode(" cat")] == [" c", "at"]
    sinks = [m for m in run(attention_maps, model="smollm2")["heads"] if m["first"] >= 0.5]
    assert len(sinks) == 175 and not [m for m in run(attention_maps)["heads"] if m["first"] >= 0.5]


def test_attention_maps_smollm2_reads_at_most_24_tokens(smollm2_gguf):
    r = run(attention_maps, model="smollm2", prompt="The Congress shall act. " * 20)
    assert r["n_tokens"] == attention_maps.MAX_TOKENS_REAL == 24 and "last 24" in r["note"]


def test_attention_maps_refuses_an_unknown_model():
    with pytest.raises(ValueError, match="model must be one of"):
        run(attention_maps, model="gpt-5")


# ---- kv_memory -------------------------------------------------------------------------------------

BYTES = {"fp32": 4, "fp16": 2, "int8": 1, "int4": 0.5}


@pytest.mark.parametrize("model", sorted(CONFIGS))
@pytest.mark.parametrize("precision", sorted(BYTES))
def test_kv_memory_is_the_closed_form(model, precision):
    cfg, context, batch = CONFIGS[model], 2048, 3
    r = run(kv_memory, model=model, log2_context=11, batch=batch, precision=precision)
    assert r["context"] == context and r["context_text"] == "2,048"
    heads = {"MHA": cfg.n_head, "GQA": cfg.n_kv_head, "MQA": 1}
    for v in r["variants"]:
        n_kv = heads[v["name"]]
        assert v["n_kv_head"] == n_kv and v["group"] * n_kv == cfg.n_head
        expected = 2 * cfg.n_layer * n_kv * cfg.d_head * BYTES[precision] * context * batch
        assert v["bytes"] == expected and isinstance(v["bytes"], int)
        assert v["per_token"] == 2 * cfg.n_layer * n_kv * cfg.d_head * BYTES[precision]
        assert v["saving"] == cfg.n_head // n_kv and v["fraction"] == n_kv / cfg.n_head
        assert v["bar_width"] == f"{100 * n_kv / cfg.n_head:.2f}%"
    assert [v["published"] for v in r["variants"]][1] and r["variants"][1]["n_kv_head"] == cfg.n_kv_head
    assert r["source"] == cfg.source


def test_kv_memory_hand_worked_published_examples():
    # Llama 2 70B (80 layers, 64 query heads, 8 KV heads of 128): 2*80*8*128*2 = 327,680 bytes per token,
    # 4,096 tokens -> 1,342,177,280 bytes = 1.25 GiB; as MHA 8x that = 10 GiB; as MQA 160 MiB.
    r = run(kv_memory, model="llama-2-70b", log2_context=12, batch=1, precision="fp16")
    mha, gqa, mqa = r["variants"]
    assert gqa["per_token"] == 327_680 and gqa["bytes"] == 1_342_177_280 and gqa["human"] == "1.25 GiB"
    assert mha["human"] == "10 GiB" and mqa["human"] == "160 MiB" and gqa["saving"] == 8
    assert "".join(part["text"] for part in r["formula"]) == (
        "2 × 80 layers × 8 KV heads × 128 × 2 bytes = 327,680 bytes (320 KiB) per token; × 4,096 tokens × 1 sequence"
        " = 1,342,177,280 bytes = 1.25 GiB."
    )
    assert [part["strong"] for part in r["formula"]] == [False, True, False, True, False]
    assert (
        gqa["heads_text"] == "n_kv_head = 8 (8 query heads per KV head)"
        and mqa["saving_text"] == "64× smaller than MHA"
    )
    assert mha["saving_text"] == "the MHA size" and r["warning"] is None
    # 1.25 GiB of 128 GiB of weights: 0.98%, shown to one decimal below 10%
    assert r["scale_text"].endswith("take 128 GiB; the cache as published is 1.0% of that.")
    assert (
        kv_memory.share(12.5) == "1,250%" and kv_memory.share(0.05) == "5.0%" and kv_memory.share(2.9e-5) == "0.0029%"
    )
    # Llama 3 8B (32 layers, 8 KV heads of 128): 128 KiB per token, 8,192 tokens = exactly 1 GiB
    r = run(kv_memory, model="llama-3-8b", log2_context=13)
    assert r["variants"][1]["bytes"] == 2**30 and r["variants"][1]["per_token_h"] == "128 KiB"
    assert r["variants"][0]["human"] == "4 GiB"


def test_kv_memory_mha_model_has_equal_columns_and_notes():
    r = run(kv_memory, model="llama-2-7b")
    assert r["is_mha"] and r["variants"][0]["bytes"] == r["variants"][1]["bytes"]
    assert r["variants"][0]["published"] and r["variants"][1]["published"]
    assert run(kv_memory, model="mistral-7b")["notes"].startswith("sliding-window")
    beyond = run(kv_memory, model="llama-2-7b", log2_context=13)
    assert beyond["beyond_context"] and beyond["warning"].startswith("8,192 tokens is beyond the 4,096 this model")
    assert not run(kv_memory, model="llama-2-7b", log2_context=12)["beyond_context"]
    assert r["scale_text"].endswith("was published with multi-head attention, so its GQA column is the MHA one.")


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"log2_context": -3}, "log2_context", 0),
        ({"log2_context": 10**9}, "log2_context", kv_memory.MAX_LOG2_CONTEXT),
        ({"log2_context": "13"}, "log2_context", 13),
        ({"batch": -5}, "batch", 1),
        ({"batch": 10**6}, "batch", kv_memory.MAX_BATCH),
    ],
)
def test_kv_memory_clamping(params, key, expected):
    assert run(kv_memory, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"model": "gpt-5"}, "model must be one of"),
        ({"precision": "fp64"}, "precision must be one of"),
        ({"log2_context": ""}, "log2_context must be a number"),
        ({"log2_context": 12.5}, "log2_context must be a whole number"),
        ({"batch": 1.5}, "batch must be a whole number"),
    ],
)
def test_kv_memory_bad_input(params, message):
    with pytest.raises(ValueError, match=message):
        kv_memory.compute(params)


def test_kv_memory_moe_models_by_their_attention():
    """The MoE configurations' caches written out by hand; the numbers chapter 10 quotes."""
    mixtral = run(kv_memory, model="mixtral-8x7b", log2_context=15)
    gqa = by_variant(mixtral, "GQA")
    assert gqa["bytes"] == 2 * 32 * 8 * 128 * 2 * 32768 and gqa["per_token_h"] == "128 KiB" and gqa["published"]
    oss = run(kv_memory, model="gpt-oss-120b", log2_context=17)
    gqa = by_variant(oss, "GQA")
    # 18 full-attention layers hold every position, 18 sliding-window layers the last 128
    assert gqa["bytes"] == 2 * 8 * 64 * 2 * (18 * 131072 + 18 * 128) and gqa["human"] == "4.5 GiB"
    assert 2 * 36 * 8 * 64 * 2 * 131072 == 9 * 2**30  # every layer holding every position: 9 GiB
    ds = run(kv_memory, model="deepseek-v3", log2_context=17)
    mla, mha = by_variant(ds, "MLA"), by_variant(ds, "MHA")
    assert [v["name"] for v in ds["variants"]] == ["MHA", "MLA", "MQA"] and mla["published"] and not mha["published"]
    assert mla["per_token"] == 61 * (512 + 64) * 2 and mla["per_token_h"] == "68.6 KiB" and mla["human"] == "8.58 GiB"
    assert mha["bytes"] == 2 * 61 * 128 * 128 * 2 * 131072 and mha["human"] == "488 GiB"
    assert mla["saving_text"] == "about 57× smaller than MHA"  # 32,768 / 576 = 56.9
    assert "1.22 TiB" in ds["scale_text"]  # weights: every expert, 671,026,419,200 parameters at 2 bytes


def by_variant(result, name):
    return next(v for v in result["variants"] if v["name"] == name)
