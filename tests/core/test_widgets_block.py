"""The transformer-block chapter's widgets, computed in CPython: block_walk, logit_lens and param_counter.

block_walk is checked against the block recomputed from llm_core's pieces (rms_norm, the attention
heads times W_o, swiglu) on the traced stream, and its two adds against the stream the forward pass
recorded; logit_lens against the model's own logits (its last depth is the real prediction) and a
readout done by hand; param_counter against the tiny model's weight file (1,705,600 values) and the
published sizes of real models; plus the limits, clamping and bad-input messages.
"""

import io
import math

import numpy as np
import pytest

from llm_core.activations import softmax
from llm_core.tokenizer import without_surrogates
from llm_core.configs import CONFIGS, parameter_count
from llm_core.moe import MOE_CONFIGS, parameter_counts
from llm_core.ffn import swiglu
from llm_core.model import n_params
from llm_core.model_files import read_model_file
from widgetlib.model import tiny_config
from llm_core.norms import rms_norm
from tests.tolerances import (
    abs_matmul,
    assert_within_rounding,
    forward_terms,
    is_top,
    probability_tolerance,
    rounding_tolerance,
    within_rounding,
)
from widget_loader import load_widget, run
from widgetlib.fmt import fixed, percent
from llm_core.models import tiny_model
from widgetlib.prompt import prompt_ids


block_walk = load_widget("block_walk")
logit_lens = load_widget("logit_lens")
param_counter = load_widget("param_counter")
ALL = [block_walk, logit_lens, param_counter]
PROMPTS = [block_walk, logit_lens]  # the widgets that read a prompt


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
def test_declares_its_data_files(widget):
    assert widget.DATA  # the tiny model's files, which the page loads before calling compute


# --- block_walk --------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, *block_walk.EXAMPLES, {"layer": 4, "position": 0}])
def test_block_walk_recomputes_the_block_from_llm_core(params):
    r = run(block_walk, **params)
    layer, pos = r["params"]["layer"], r["params"]["position"]
    tiny = tiny_model()
    cfg = tiny.cfg
    ids, _ = prompt_ids(tiny_model(), r["params"]["prompt"], 1, block_walk.MAX_PROMPT_CHARS, block_walk.MAX_TOKENS)
    _, trace = tiny.forward(ids, trace=True)
    w = {k: tiny.weights[f"layers.{layer}.{k}"] for k in ("attn_norm", "wo", "ffn_norm", "w_gate", "w_up", "w_down")}
    eps = cfg.norm_eps
    x = trace["residual"][2 * layer]  # [n_seq, d_model]
    heads = trace["layers"][layer]["attn"]["heads"]  # [n_head, n_seq, d_head]
    heads = heads.transpose(1, 0, 2).reshape(len(ids), -1)  # -> [n_seq, n_head * d_head]
    attn_out = heads @ w["wo"]  # -> [n_seq, d_model]
    h = x + attn_out
    # the forward pass's own sums, perhaps in another order: W_o's n_head * d_head terms and the add
    n_wo = cfg.n_head * cfg.d_head + 1
    assert_within_rounding(
        h, trace["residual"][2 * layer + 1], n_wo, np.abs(x) + abs_matmul(heads, w["wo"]), what="add1"
    )
    ffn_out, _ = swiglu(rms_norm(h, w["ffn_norm"], eps), w["w_gate"], w["w_up"], w["w_down"])
    y = h + ffn_out
    n_ffn = forward_terms(cfg, len(ids), 2 * layer + 2) - forward_terms(cfg, len(ids), 2 * layer + 1)
    assert_within_rounding(y, trace["residual"][2 * layer + 2], n_wo + n_ffn, np.abs(y).max(), what="add2")

    # The widget traced only the tokens up to `position`, this test the whole prompt: the same vectors up
    # to the rounding of the pass up to this block's end (and of this test's recomputation, and a norm).
    n_terms = forward_terms(cfg, len(ids), 2 * layer + 2) + n_wo + cfg.d_model
    expected = [
        x[pos],
        rms_norm(x[pos], w["attn_norm"], eps),
        attn_out[pos],
        h[pos],
        rms_norm(h[pos], w["ffn_norm"], eps),
        ffn_out[pos],
        y[pos],
    ]
    assert [s["key"] for s in r["steps"]] == ["input", "norm1", "attention", "add1", "norm2", "ffn", "add2"]
    for step, vector in zip(r["steps"], expected):
        # a norm of d values, each within the elementwise bound: within sqrt(d) times it
        scale = math.sqrt(cfg.d_model) * float(np.abs(vector).max())
        assert step["norm"] == within_rounding(float(np.linalg.norm(vector)), n_terms, scale)
        assert step["shape"] == {"names": "[n_seq, d_model]", "sizes": [len(ids), 128]}
    looked = trace["attention"][layer][:, pos, :].mean(axis=0)
    # a softmax weight moves with its scores' rounding (at most 1 large); argmax allows twice that either way
    scores = trace["layers"][layer]["attn"]["scores"][:, pos, : pos + 1]
    score_tol = rounding_tolerance(forward_terms(cfg, len(ids), 2 * layer + 1), np.abs(scores).max())
    w_tol = float(probability_tolerance(1.0, score_tol))
    seen = r["steps"][2]["attends"]["position"]
    assert seen <= pos and is_top(looked, seen, 2 * w_tol)  # causal: never a later token
    assert len(r["stream"]) == 2 * cfg.n_layer + 1
    assert [s["in_block"] for s in r["stream"]].count(True) == 3
    assert r["stream"][2 * layer + 2]["norm"] == r["steps"][-1]["norm"]  # the same vector, the same call


def test_block_walk_default_token_attends_to_president():
    r = run(block_walk)
    assert r["token"]["segs"] == [["w", "·"], ["t", "United"]]
    assert r["steps"][2]["attends"]["position"] == 2  # " President"
    attends = r["steps"][2]["attends"]
    assert attends["text"] == "; token 5 attends most to position 2 "
    assert attends["share"] == f" ({percent(attends['weight'], 0)}, mean over the heads)"
    assert r["where"] == f"Layer 2 on all {r['n_tokens']} tokens at once; the sizes are those of token 5 "
    assert r["position_max"] == r["n_tokens"] - 1


@pytest.mark.parametrize("rows", ["steps", "stream"])
def test_block_walk_bars_are_norms_relative_to_the_largest(rows):
    r = run(block_walk, layer=4, position=3)
    top = max(row["norm"] for row in r[rows])
    for row in r[rows]:
        assert row["norm_text"] == fixed(row["norm"], 2) and row["bar"] == f"{100 * row['norm'] / top:.1f}%"
    assert "100.0%" in [row["bar"] for row in r[rows]]


def test_block_walk_clamps():
    r = run(block_walk, prompt="I ask the Congress to", layer=99, position=63)
    assert r["params"]["layer"] == 5 and r["params"]["position"] == 4 == r["n_tokens"] - 1 == r["position_max"]
    assert run(block_walk, layer=-3, position=-1)["params"]["position"] == 0


# --- logit_lens --------------------------------------------------------------------------------------


def lens_tolerance(cfg, n_seq, depth, logits):  # -> how far each logit of a readout at `depth` may move
    """The lens at depth d reads the stream after d layers: the pass up to there, then the final norm and
    the unembedding, summed here in one order and by the widget perhaps in another."""
    return float(rounding_tolerance(forward_terms(cfg, n_seq, 2 * depth, logits=True), np.abs(logits).max()))


@pytest.mark.parametrize("params", [{}, *logit_lens.EXAMPLES])
def test_logit_lens_last_depth_is_the_models_real_prediction(params):
    r = run(logit_lens, **params)
    tiny = logit_lens.model()
    ids, _ = logit_lens.read_ids(r["params"]["prompt"])
    logits, _ = tiny.forward(ids)
    probs = softmax(logits.astype(np.float64))
    assert len(r["depths"]) == tiny.cfg.n_layer + 1 == 7 and r["n_tokens"] == len(ids) == len(r["rows"])
    for t, row in enumerate(r["rows"]):
        final = row["cells"][-1]
        tol = lens_tolerance(tiny.cfg, len(ids), tiny.cfg.n_layer, logits[t])
        assert is_top(logits[t], final["id"], 2 * tol)
        p = float(probs[t].max())
        assert final["p"] == pytest.approx(p, rel=0, abs=float(probability_tolerance(p, tol)))
        assert row["id"] == ids[t]
        assert row["next"] == (None if t == len(ids) - 1 else {"id": ids[t + 1], "segs": row["next"]["segs"]})
    assert r["final"] == r["rows"][-1]["cells"][-1]


def test_logit_lens_every_depth_matches_a_readout_by_hand():
    r = run(logit_lens)
    tiny = logit_lens.model()
    ids, _ = logit_lens.read_ids(r["params"]["prompt"])
    _, trace = tiny.forward(ids, trace=True)
    for d in range(7):  # depth 0 reads the embedding, depth d the stream after layer d - 1
        stream = trace["residual"][2 * d]
        logits = rms_norm(stream, tiny.weights["final_norm"], tiny.cfg.norm_eps) @ tiny.weights["tok_emb"].T
        probs = softmax(logits.astype(np.float64))
        for t, row in enumerate(r["rows"]):
            tol = lens_tolerance(tiny.cfg, len(ids), d, logits[t])
            assert is_top(logits[t], row["cells"][d]["id"], 2 * tol)
            p = float(probs[t].max())
            assert row["cells"][d]["p"] == pytest.approx(p, rel=0, abs=float(probability_tolerance(p, tol)))
    hits = [sum(row["cells"][d]["hit"] for row in r["rows"]) for d in range(7)]
    assert hits == r["hits"] and r["n_scored"] == len(ids) - 1
    for row in r["rows"]:  # each cell's text and shade: its probability in whole percent and in fifths
        for c in row["cells"]:
            assert c["text"] == percent(c["p"], 0) + (" ✓" if c["hit"] else "")
            assert c["shade"] == min(math.floor(c["p"] * 5), 4)
    assert {c["shade"] for row in r["rows"] for c in row["cells"]} >= {0, 4}
    assert r["depth_labels"] == ["embedding"] + [f"layer {i}" for i in range(5)] + ["layer 5 (output)"]
    assert hits[-1] > hits[0]  # deeper readouts predict the next token better than the embedding


def test_logit_lens_shows_at_most_max_tokens_positions():
    r = run(logit_lens, prompt="the Union " * 100)
    n = logit_lens.MAX_TOKENS
    assert r["n_tokens"] == n and f"last {n}" in r["note"]


# --- param_counter -----------------------------------------------------------------------------------


def test_tiny_model_count_equals_its_weight_file():
    r = run(param_counter)
    assert r["total"] == 1_705_600 == n_params(tiny_config())
    with np.load(io.BytesIO(read_model_file("models/tiny", "weights.npz"))) as npz:
        stored = {name: npz[name] for name in npz.files}
    from llm_core.checkpoints import unpack_weights

    weights = unpack_weights(stored)
    assert sum(int(np.prod(v.shape)) for v in weights.values()) == 1_705_600
    parts = {p["key"]: p["count"] for p in r["parts"]}
    assert parts == {
        "embedding": 524_288,
        "position": 0,
        "attention": 294_912,
        "ffn": 884_736,
        "norms": 1_664,
        "lm_head": 0,
    }
    assert r["per_layer"] == 196_864 and sum(parts.values()) == r["total"]
    # the texts the table and its foot show (1,705,600 x 2 bytes = 3.4 MB; 6 x 196,864 of 1,705,600 = 69.3%)
    assert r["total_text"] == "1,705,600" and r["head_text"].startswith(" parameters (1.71 million). d_model 128,")
    assert r["foot_text"] == (
        "One block (attention, FFN and its two norms) holds 196,864 parameters; the 6 blocks "
        "together hold 69.3% of the model. Stored at 16 bits per parameter (bf16), the weights "
        "take 3.4 MB."
    )
    for part in r["parts"]:
        assert part["count_text"] == f"{part['count']:,}" and part["share_text"] == percent(part["share"])
        assert part["bar"] == f"{100 * part['share']:.1f}%"
    assert [p["per_layer_text"] for p in r["parts"]] == ["–", "–", "49,152", "147,456", "–", "–"]


# Published sizes: the parameter counts shown on the Hugging Face model pages (safetensors metadata)
# and GPT-2's released model names; the tolerance allows for their rounding (3 significant digits).
PUBLISHED = {
    "llama-3-8b": 8.03e9,
    "llama-2-7b": 6.74e9,
    "mistral-7b": 7.24e9,
    "gpt2": 124e6,
    "llama-3.2-1b": 1.24e9,
    "qwen2.5-7b": 7.62e9,
}


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_published_totals_within_rounding(key):
    r = run(param_counter, config=key)
    assert r["total"] == parameter_count(CONFIGS[key])["total"]
    assert math.isclose(r["total"], PUBLISHED[key], rel_tol=0.005)
    assert r["links"] and all(link["url"].startswith("https://") for link in r["links"])
    assert any("huggingface.co" in link["url"] and link["url"].endswith("config.json") for link in r["links"])


def test_custom_shape_uses_the_same_count():
    cfg = CONFIGS["llama-3-8b"]
    r = run(param_counter, **param_counter.EXAMPLES[2])
    assert r["total"] == parameter_count(cfg)["total"] == 8_030_261_248
    assert r["head_text"].startswith(" parameters (8.03 billion). d_model 4,096, n_layer 32,")
    assert r["foot_text"].endswith("the weights take 16.06 GB.")
    tiny = run(param_counter, config="custom")  # the custom boxes start at the tiny model's shape
    assert tiny["total"] == 1_705_600


def test_custom_shape_notes_and_clamps():
    r = run(param_counter, config="custom", n_head=5, n_kv_head=9)
    assert r["params"]["n_kv_head"] == 5 and "not a multiple" in r["note"]
    r = run(param_counter, config="custom", d_model=10**9, n_layer=0)
    assert r["params"]["d_model"] == 65_536 and r["params"]["n_layer"] == 1


@pytest.mark.parametrize(
    "params, word",
    [
        ({"config": "gpt-5"}, "config"),
        ({"d_model": ""}, "d_model"),
        ({"n_layer": 2.5}, "n_layer"),
        ({"n_vocab": "many"}, "n_vocab"),
        ({"tied": "maybe"}, "tied"),
    ],
)
def test_param_counter_bad_values(params, word):
    with pytest.raises(ValueError, match=word):
        param_counter.compute(params)


# --- prompts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("widget", PROMPTS, ids=lambda w: w.__name__)
def test_empty_and_huge_prompts(widget):
    assert "empty" in run(widget, prompt="")["note"]
    assert "characters" in run(widget, prompt="x" * 1_000_000)["note"]


@pytest.mark.parametrize("widget", PROMPTS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("text", ["👍🏽 e\u0301 \ud800 \x00\x1b مرحبا", "\n\n\t"])
def test_awkward_text(widget, text):
    """Odd text reaches the block as the model's own tokens (a lone surrogate as U+FFFD), one figure row each."""
    ids = tiny_model().encoding.encode(without_surrogates(text))
    r = run(widget, prompt=text)
    shown = r["tokens"] if widget is block_walk else r["rows"]
    assert [t["id"] for t in shown] == ids and r["n_tokens"] == len(ids)
    if widget is logit_lens:
        assert all(row["position"] == i for i, row in enumerate(r["rows"]))
        assert [row["next"] for row in r["rows"][:-1]] == [
            {**row["next"], "id": i} for row, i in zip(r["rows"], ids[1:])
        ]


@pytest.mark.parametrize("widget", PROMPTS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("prompt", [None, 42, ["a"]])
def test_prompt_must_be_text(widget, prompt):
    with pytest.raises(ValueError, match="prompt"):
        widget.compute({"prompt": prompt})


# --- logit_lens on SmolLM2 (skipped without its GGUF file) ---------------------------------------------


def lens_by_hand(chosen, ids):  # -> logits [n_layer + 1, n_seq, n_vocab]: the stream at every depth, read out
    from llm_core.model import unembed

    _, trace = chosen.forward(ids, trace=True, lens=False)
    streams = trace["residual"][::2]  # the embedding, then the stream after each layer
    return np.stack(
        [unembed(rms_norm(x, chosen.weights["final_norm"], chosen.cfg.norm_eps), chosen.weights) for x in streams]
    )


def text_of(cell: dict) -> str:
    return "".join(text for _, text in cell["segs"]).replace("·", " ")


def test_logit_lens_track_row_follows_the_final_answer():
    r = run(logit_lens)
    tiny = logit_lens.model()
    ids, _ = logit_lens.read_ids(r["params"]["prompt"])
    logits = lens_by_hand(tiny, ids)[:, -1]  # [depth, n_vocab], the last position
    final = r["final"]["id"]
    assert len(r["track"]) == len(r["depths"]) and r["track"][-1]["rank"] == 1
    for t, row in zip(r["track"], logits):
        assert t["p"] == pytest.approx(float(softmax(row.astype(np.float64))[final]), rel=1e-4, abs=1e-12)
        assert t["rank"] == int((row > row[final]).sum()) + 1
        assert t["percent"] == percent(t["p"]) and t["rank_text"] == f"rank {t['rank']:,}"
    assert r["final_text"] == f" at {percent(r['final']['p'])}."


def test_logit_lens_on_smollm2_reads_out_its_last_positions(smollm2_gguf):
    r = run(logit_lens, model="smollm2", prompt=logit_lens.CAPITAL)
    smol = logit_lens.model("smollm2")
    ids = smol.encoding.encode(logit_lens.CAPITAL)
    logits = lens_by_hand(smol, ids)  # [31, 5, 49152]
    assert r["model_name"] == "SmolLM2-135M-Instruct" and len(r["depths"]) == 31 == smol.cfg.n_layer + 1
    assert r["n_tokens"] == 5 and len(r["rows"]) == logit_lens.LENS_ROWS_REAL == 3 and r["n_scored"] == 2
    assert "last 3 positions" in r["note"] and "49,152" in r["note"]
    for t, row in enumerate(r["rows"]):
        assert row["position"] == 2 + t and row["id"] == ids[2 + t]
        for d, cell in enumerate(row["cells"]):
            scores = logits[d, 2 + t]
            assert cell["id"] == int(np.argmax(scores))
            assert cell["p"] == pytest.approx(float(softmax(scores.astype(np.float64)).max()), rel=1e-4)
    assert r["final"]["id"] == smol.encoding.encode(" Paris")[0] == int(np.argmax(smol.forward(ids)[0][-1]))
    # the tiny model's widget keeps its own memo: the same prompt there is the tiny model's
    assert run(logit_lens, prompt=logit_lens.CAPITAL)["model_name"] == "Glassbox's tiny model"


def test_chapter_paris_rises_through_smollm2s_last_layers(smollm2_gguf):
    """Chapter 8's "Thirty layers of a real model"."""
    r = run(logit_lens, model="smollm2", prompt=logit_lens.CAPITAL)
    last = r["rows"][-1]["cells"]  # depth 0 is the embedding, d the stream after layer d - 1
    assert text_of(r["final"]) == " Paris" and round(100 * r["final"]["p"], 1) == 77.3
    assert {text_of(c) for c in last[2:25]} == {".", " "}  # after layers 1 to 23
    ranks = {layer: r["track"][layer + 1]["rank"] for layer in (23, 26, 27, 28, 29)}
    assert ranks == {23: 396, 26: 34, 27: 7, 28: 3, 29: 1}
    assert [round(100 * r["track"][layer + 1]["p"], 1) for layer in (27, 28)] == [1.1, 7.0]
    assert text_of(last[29]) == " capital"  # after layer 28, ahead of " Paris"
    eiffel = run(logit_lens, model="smollm2", prompt="The Eiffel Tower is in the city of")
    tops = [text_of(c) for c in eiffel["rows"][-1]["cells"]]
    assert tops[29:] == [" Paris", " Paris"] and " Paris" not in tops[:29]
    assert round(100 * eiffel["rows"][-1]["cells"][29]["p"], 1) == 7.2 and round(100 * eiffel["final"]["p"], 1) == 65.6
    tiny = run(logit_lens, prompt=logit_lens.CAPITAL)
    assert text_of(tiny["final"]) == " not" and round(100 * tiny["final"]["p"], 1) == 6.1
    enc = logit_lens.model().encoding
    assert [enc.decode([i]) for i in enc.encode(" Paris")] == [" Par", "is"]


def test_logit_lens_smollm2_reads_at_most_16_tokens(smollm2_gguf):
    r = run(logit_lens, model="smollm2", prompt="the Union " * 20)
    assert r["n_tokens"] == logit_lens.MAX_TOKENS_REAL == 16 and "last 16" in r["note"] and len(r["rows"]) == 3
    one = run(logit_lens, model="smollm2", prompt="Paris")
    assert len(one["rows"]) == 1 and one["note"] is None and one["n_scored"] == 0


def test_logit_lens_refuses_an_unknown_model():
    with pytest.raises(ValueError, match="model must be one of"):
        run(logit_lens, model="gpt-5")


@pytest.mark.parametrize("key", sorted(MOE_CONFIGS))
def test_moe_parts_are_llm_core_moe_counts(key):
    """Every part of a mixture of experts is its llm_core.moe.parameter_counts entry; a token runs all but the
    routed experts it skips, which is the published active count (test_moe pins it against the checkpoints)."""
    cfg = MOE_CONFIGS[key]
    n = parameter_counts(cfg)
    r = run(param_counter, config=key)
    parts = {p["key"]: p for p in r["parts"]}
    assert sum(p["count"] for p in parts.values()) == r["total"] == n["total"]
    assert sum(p["active"] for p in parts.values()) == r["active"] == n["active"]
    assert (
        parts["routed_experts"]["active"]
        == n["active_experts"]
        == (cfg.n_layer - cfg.n_dense_layer)
        * cfg.top_k
        * (3 * cfg.d_model * cfg.d_expert + (2 * cfg.d_expert + cfg.d_model if cfg.bias else 0))
    )
    assert parts["routed_experts"]["per_layer"] == n["routed_experts"] // (cfg.n_layer - cfg.n_dense_layer)
    assert ("shared_experts" in parts) == bool(cfg.n_shared) and ("dense_ffn" in parts) == bool(cfg.n_dense_layer)
    assert r["columns"][-1] == "one token runs" and all(len(p["cells"]) == 3 for p in parts.values())
    assert r["foot_cells"] == ["–", f"{n['total']:,}", "100%", f"{n['active']:,}"]
    assert any("huggingface.co" in link["url"] and link["url"].endswith("config.json") for link in r["links"])
    assert any("arxiv.org" in link["url"] for link in r["links"])


def test_moe_texts():
    r = run(param_counter, config="mixtral-8x7b")
    assert r["total_text"] == "46,702,792,704" and r["active_text"] == "12,879,925,248"
    assert "one token runs 12,879,925,248 (12.88 billion, 27.6%)" in r["head_text"]
    assert r["foot_text"].startswith("The routed experts hold 96.6% of the parameters.")  # chapter 8's prose
    assert "the weights take 93.4 GB" in r["foot_text"] and "Published: 46.7B total, 12.9B active." in r["foot_text"]
    assert "1,342 GB" in run(param_counter, config="deepseek-v3")["foot_text"]
