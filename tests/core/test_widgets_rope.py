"""The RoPE chapter's widgets, computed in CPython: rope_rotation and rope_frequencies.

rope_rotation is checked against the model itself (its query and key, turned by apply_rope, are the
trace's post-RoPE q and k), against the closed form of one pair's product, and for the relative-offset
property; rope_frequencies against the frequency formula, the two scalings and a direct count of the
pairs that reach new angles. Plus the limits, clamping and bad-input messages.
"""

import math

import pytest

from llm_core.configs import CONFIGS
from llm_core.norms import rms_norm
from llm_core.rope import apply_rope, rope_frequencies
from widgetlib.fmt import fixed, minus, sci
from tests.tolerances import abs_matmul, assert_within_rounding
from widget_loader import load_widget, run
from llm_core.models import tiny_model


rope_rotation = load_widget("rope_rotation")
rope_frequencies_widget = load_widget("rope_frequencies")
ALL = [rope_rotation, rope_frequencies_widget]


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
def test_declares_its_data_files(widget):
    assert widget.DATA  # the tiny model's files, which the page loads before calling compute


# rope_rotation


@pytest.mark.parametrize("layer, head, qi, ki", [(1, 0, 6, 2), (0, 3, 3, 0), (5, 1, 4, 4)])
def test_query_and_key_are_the_models_before_rope(layer, head, qi, ki):
    tiny = tiny_model()
    ids = tiny.encoding.encode("The President of the United States")
    q, k, kv_head = rope_rotation.query_and_key(ids, layer, head, qi, ki)
    _, trace = tiny.forward(ids, trace=True)
    attn = trace["layers"][layer]["attn"]  # q [n_head, n_seq, d_head], k [n_kv_head, n_seq, d_head], after RoPE
    freqs = rope_frequencies(tiny.cfg.d_head, tiny.cfg.rope_base)
    # One token's projection here, the whole prompt's in the pass (another float32 order): d_model terms;
    # RoPE's turn then mixes two of them (a cos - b sin), so twice the magnitude and three roundings more.
    x = rms_norm(trace["residual"][2 * layer], tiny.weights[f"layers.{layer}.attn_norm"], tiny.cfg.norm_eps)
    d = tiny.cfg.d_head
    for got, i, cols, expected, what in [
        (q, qi, slice(head * d, (head + 1) * d), attn["q"][head, qi], "q"),
        (k, ki, slice(kv_head * d, (kv_head + 1) * d), attn["k"][kv_head, ki], "k"),
    ]:
        w = tiny.weights[f"layers.{layer}.w{what}"][:, cols]
        assert_within_rounding(
            apply_rope(got[None], [i], freqs)[0],
            expected,
            tiny.cfg.d_model + 3,
            2 * abs_matmul(x[i], w).max(),
            what=what,
        )
    assert kv_head == head // 2  # 4 query heads share 2 KV heads


def test_score_only_depends_on_the_offset():
    r = run(rope_rotation)
    assert r["offset"] == r["params"]["m"] - r["params"]["n"] == 5
    scores = [row["score"] for row in r["same_offset"]]
    assert all(row["m"] - row["n"] == r["offset"] for row in r["same_offset"])
    assert {0, 255} & {row["n"] for row in r["same_offset"]} and any(row["m"] == 255 for row in r["same_offset"])
    assert max(scores) - min(scores) == r["spread"] < 1e-12
    assert any(
        row["m"] == r["params"]["m"] and math.isclose(row["score"], r["score"], rel_tol=1e-12)
        for row in r["same_offset"]
    )
    for row in r["other_offsets"]:
        assert row["offset"] != r["offset"] and abs(row["score"] - r["score"]) > 1e-4
        assert row["score_text"] == fixed(row["score"], 6) and row["offset_text"] == minus(str(row["offset"]))
    # what the reader sees: each score to 12 decimals, the reader's own row marked, the spread in e-notation
    assert [row["score_text"] for row in r["same_offset"]] == [fixed(x, 12) for x in scores]
    assert [row["yours"] for row in r["same_offset"]] == [row["n"] == r["params"]["n"] for row in r["same_offset"]]
    assert sum(row["yours"] for row in r["same_offset"]) == 1
    assert r["spread_text"] == sci(r["spread"], 1) and r["score_text"] == fixed(r["score"], 6)
    assert r["offset_text"] == "5" and run(rope_rotation, m=0, n=9)["offset_text"] == "−9"


def test_score_is_the_dot_product_after_rope_over_sqrt_d_head():
    r = run(rope_rotation, m=40, n=3, pair=9)
    tiny = tiny_model()
    ids = tiny.encoding.encode(r["params"]["prompt"])
    q, k, _ = rope_rotation.query_and_key(ids, 1, 0, 6, 2)
    freqs = rope_frequencies(32)
    expected = (apply_rope(q[None], [40], freqs) @ apply_rope(k[None], [3], freqs).T).item() / math.sqrt(32)
    assert r["score"] == pytest.approx(expected, rel=1e-12)
    assert sum(r["shares"]) == pytest.approx(r["score_dot"], rel=1e-12)
    assert r["score_dot"] / math.sqrt(32) == pytest.approx(r["score"], rel=1e-12)


@pytest.mark.parametrize("pair, m, n", [(0, 12, 7), (2, 200, 3), (15, 0, 255)])
def test_pair_picture_matches_the_closed_form(pair, m, n):
    r = run(rope_rotation, pair=pair, m=m, n=n)
    pr = r["pair"]
    freq = 10000 ** (-2 * pair / 32)
    assert pr["freq"] == pytest.approx(freq, rel=1e-12)
    assert pr["wavelength"] == pytest.approx(2 * math.pi / freq, rel=1e-12)
    assert pr["dims"] == [pair, pair + 16]
    # turning keeps the length; the product is |q| |k| cos(angle between)
    assert math.hypot(*pr["q_m"]) == pytest.approx(pr["q_norm"], rel=1e-9)
    assert math.hypot(*pr["k_n"]) == pytest.approx(pr["k_norm"], rel=1e-9)
    assert pr["share"] == pytest.approx(
        pr["q_norm"] * pr["k_norm"] * math.cos(math.radians(pr["between"])), rel=1e-6, abs=1e-9
    )
    assert pr["share"] == pytest.approx(r["shares"][pair], rel=1e-12)
    assert pr["angle_m"] == pytest.approx(m * freq, rel=1e-12) and pr["angle_n"] == pytest.approx(n * freq, rel=1e-12)
    assert -180 < pr["between"] <= 180
    assert r["circle_label"] == (
        f"Pair {pair}: the query at position {m} points at {fixed(pr['q_deg'], 1)}°, the key "
        f"at position {n} at {fixed(pr['k_deg'], 1)}°; {fixed(pr['between'], 1)}° apart"
    )
    assert f"turned by {m} × {fixed(freq, 4)} = {fixed(pr['angle_m'], 3)} radians" in r["readout"]
    assert r["intro"][2].startswith(f", before RoPE. Pair {pair} is dimensions {pair} and {pair + 16}: it turns")
    assert r["intro"][2].endswith(f"every {pr['wavelength']:,.1f} tokens.")
    s = r["svg"]  # the key's tip is an 8 px square centred on it; the tags sit 7 px above the tips
    assert s["k_box"] == [pytest.approx(s["k"][0] - 4), pytest.approx(s["k"][1] - 4)]
    assert s["q_tag_y"] == pytest.approx(s["q"][1] - 7) and s["axis"] == [12, 228]
    assert len(r["bars"]["bars"]) == 16 and sum(b["chosen"] for b in r["bars"]["bars"]) == 1


def test_token_numbers_are_clamped_to_the_prompt_with_a_note():
    r = run(rope_rotation, prompt="I ask the Congress to", q_token=40, k_token=63)
    n = len(r["tokens"])
    assert r["params"]["q_token"] == r["params"]["k_token"] == n - 1
    assert "last one" in r["note"]


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"layer": 99}, "layer", 5),
        ({"layer": -1}, "layer", 0),
        ({"head": 7}, "head", 3),
        ({"pair": 16}, "pair", 15),
        ({"pair": "3"}, "pair", 3),
        ({"m": 1000}, "m", 255),
        ({"n": -5}, "n", 0),
        ({"q_token": 1000}, "q_token", 6),
    ],
)
def test_rope_rotation_clamps(params, key, expected):
    assert run(rope_rotation, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "prompt", ["", "\n\n\t", "👍🏽 e\u0301 \ud800 \x00\x1b مرحبا", "x" * 1_000_000, "the Union " * 400]
)
def test_rope_rotation_awkward_prompts(prompt):
    r = run(rope_rotation, prompt=prompt)
    assert 1 <= len(r["tokens"]) <= rope_rotation.MAX_TOKENS
    if not prompt.strip("\n\t"):
        assert r["note"]


@pytest.mark.parametrize(
    "params, word",
    [
        ({"prompt": None}, "prompt"),
        ({"prompt": 42}, "prompt"),
        ({"layer": "top"}, "layer"),
        ({"pair": 2.5}, "pair"),
        ({"m": float("nan")}, "m"),
        ({"n": True}, "n"),
        ({"q_token": ""}, "q_token"),
    ],
)
def test_rope_rotation_bad_values(params, word):
    with pytest.raises(ValueError, match=word):
        rope_rotation.compute(params)


# rope_frequencies


@pytest.mark.parametrize(
    "model, d_head, base, n_ctx",
    [
        ("tiny", 32, 10000.0, 256),
        ("llama-2-7b", 128, 10000.0, 4096),
        ("llama-3-8b", 128, 500000.0, 8192),
        ("qwen2.5-7b", 128, 1e6, 32768),
    ],
)
@pytest.mark.parametrize("factor", [1, 4, 8.0, 32])
def test_wavelengths_and_unseen_pairs_by_hand(model, d_head, base, n_ctx, factor):
    r = run(rope_frequencies_widget, model=model, factor=factor)
    if model != "tiny":
        assert (CONFIGS[model].d_head, CONFIGS[model].rope_base, CONFIGS[model].n_ctx) == (d_head, base, n_ctx)
    assert r["n_pairs"] == len(r["rows"]) == d_head // 2 and r["n_ctx_new"] == round(n_ctx * factor)
    ntk_base = base * factor ** (d_head / (d_head - 2))
    assert r["ntk_base"] == pytest.approx(ntk_base, rel=1e-12)
    new = n_ctx * factor
    counts = {"none": 0, "linear": 0, "ntk": 0}
    for i, row in enumerate(r["rows"]):
        freq = base ** (-2 * i / d_head)
        new_freqs = {"none": freq, "linear": freq / factor, "ntk": ntk_base ** (-2 * i / d_head)}
        assert row["freq"] == pytest.approx(freq, rel=1e-12)
        partial = n_ctx * freq < 2 * math.pi  # never finished a turn in training
        assert row["partial"] == partial
        for key, f in new_freqs.items():
            assert row[key]["wavelength"] == pytest.approx(2 * math.pi / f, rel=1e-12)
            unseen = partial and new * f > n_ctx * freq * (1 + 1e-9)
            assert row[key]["unseen"] == unseen
            counts[key] += unseen
    assert {s["key"]: s["n_unseen"] for s in r["schemes"]} == counts
    assert counts["linear"] == 0  # interpolation never leaves the trained angles
    if factor > 1:
        assert counts["none"] == r["n_partial"] and counts["ntk"] == r["n_partial"] - 1  # NTK: all but the slowest
    else:
        assert counts == {"none": 0, "linear": 0, "ntk": 0}


def test_tiny_model_numbers_quoted_in_the_chapter():
    r = run(rope_frequencies_widget)
    assert r["n_partial"] == 9 and r["n_ctx_new"] == 1024
    s = {x["key"]: x for x in r["schemes"]}
    assert s["none"]["n_unseen"] == 9 and s["none"]["worst"] == pytest.approx(4.0)
    assert s["linear"]["fastest_step"] == 0.25 and s["ntk"]["fastest_step"] == 1.0
    assert s["ntk"]["n_unseen"] == 8 and round(s["ntk"]["worst"], 2) == 2.09 and round(r["ntk_base"]) == 43873
    assert r["rows"][0]["none"]["text"] == "6.3" and r["rows"][-1]["none"]["text"] == "35,333"
    # the texts the figure shows, as the chapter reads them
    assert (
        r["intro"] == ("Glassbox tiny model: d_head 32, so 16 pairs; RoPE base 10,000; trained context 256 tokens. ")
        and r["partial_text"] == "9 of 16"
    )
    assert r["new_context"] == "1,024 tokens" and r["factor_text"] == "4×"
    assert s["ntk"]["text"] == (
        " (base 10,000 → 43,873): 8 pairs reach angles never seen in training, up to "
        "2.09× the largest one seen. Pair 0 turns 1.000 radians per token."
    )
    assert s["linear"]["text"] == (
        " (every frequency ÷ 4): 0 pairs reach angles never seen in training. Pair 0 turns 0.250 radians per token."
    )
    assert run(rope_frequencies_widget, factor=1)["schemes"][0]["text"] == (
        ": 0 pairs reach angles never seen in training. Pair 0 turns 1.000 radians per token."
    )


def test_chart_points_follow_the_wavelengths():
    r = run(rope_frequencies_widget, model="llama-3-8b", factor=16)
    c = r["chart"]
    assert [s["scheme"] for s in c["series"]] == ["none", "linear", "ntk"]
    for s in c["series"]:
        ys = [pt["y"] for pt in s["points"]]
        assert all(a >= b for a, b in zip(ys, ys[1:]))  # slower pairs, longer wavelengths, higher up
        assert all(c["top"] <= y <= c["bottom"] for y in ys)
        assert [pt["unseen"] for pt in s["points"]] == [row[s["scheme"]]["unseen"] for row in r["rows"]]
        for pt in s["points"]:  # each marker centred on its point: circle, 6 px square, 8 px diamond
            m = pt["marker"]
            if s["shape"] == "circle":
                assert (m["cx"], m["cy"]) == (pt["x"], pt["y"])
            elif s["shape"] == "rect":
                assert m["x"] == pytest.approx(pt["x"] - 3) and m["y"] == pytest.approx(pt["y"] - 3)
            else:
                assert m["d"] == f"M{pt['x']:g} {round(pt['y'] - 4, 2):g}l4 4l-4 4l-4 -4z"
    assert all(t["text_y"] == pytest.approx(t["at"] + 3) for t in c["y_ticks"])
    assert c["lines"][0]["at"] > c["lines"][1]["at"]  # the longer context is drawn higher
    assert len(run(rope_frequencies_widget, factor=1)["chart"]["lines"]) == 1


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"factor": 0}, "factor", 1.0),
        ({"factor": 99}, "factor", 32.0),
        ({"factor": "2.5"}, "factor", 2.5),
    ],
)
def test_rope_frequencies_clamps(params, key, expected):
    assert run(rope_frequencies_widget, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, word",
    [
        ({"model": "gpt2"}, "model"),
        ({"model": None}, "model"),
        ({"factor": "big"}, "factor"),
        ({"factor": float("inf")}, "factor"),
        ({"factor": ""}, "factor"),
    ],
)
def test_rope_frequencies_bad_values(params, word):
    with pytest.raises(ValueError, match=word):
        rope_frequencies_widget.compute(params)
