"""The mixed_precision widget (chapter 22), computed in CPython: its table against llm_core's training loop
run directly, its facts in closed form, the reader's number against struct, clamping and bad input; and the
numbers chapters/22-training-at-scale.md quotes from it, recomputed and looked for in its text."""

import struct
from pathlib import Path

import numpy as np
import pytest
from widget_loader import load_widget, run

from llm_core.mixed_precision import SETUPS, MixedPrecisionConfig, train_mixed_precision

ROOT = Path(__file__).resolve().parents[2]
PROSE = " ".join((ROOT / "chapters" / "22-training-at-scale.md").read_text(encoding="utf-8").split())

mxp = load_widget("mixed_precision")


def row(r, setup):
    return next(x for x in r["table"] if x["setup"] == setup)


def test_table_is_the_training_loop_run_directly():
    r = run(mxp, steps=30)
    counts, n_vocab, n_text = mxp.corpus()
    assert (n_vocab, n_text, r["n_tokens"]) == (53, 8355, 128 * 8355)
    w0 = np.random.default_rng(0).normal(0, 1, (53, 53)).astype(np.float32)
    for setup in SETUPS:
        config = MixedPrecisionConfig(setup=setup, lr=10**-2.5, steps=30, repeats=128, loss_scale=2.0**16)
        direct = train_mixed_precision(counts, config, w0)
        got = row(r, setup)
        assert got["final_loss"] == direct["final_loss"] and got["updates_lost"] == direct["updates_lost"]
        assert got["grads_underflowed"] == direct["grads_underflowed"]
        assert got["lost_share"] == direct["updates_lost"] / (53 * 53 * 30)
        assert got["underflow_share"] == direct["grads_underflowed"] / (128 * 8355 * 53 * 30)


def test_facts_in_closed_form():
    r = run(mxp)
    assert "up to 0.00390625 (2⁻⁸)" in r["facts"][0] and "learning rate, 0.0032" in r["facts"][0]
    # p / n_tokens < 2^-25 (half of fp16's smallest subnormal) <=> p < n_tokens * 2^-25
    assert f"{128 * 8355 * 2**-25:.4f}" == "0.0319" and "below 0.0319" in r["facts"][1]


def struct_bits(x, fmt):
    if fmt == "fp16":
        return format(struct.unpack("<H", struct.pack("<e", x))[0], "016b")
    bits = format(struct.unpack("<I", struct.pack("<f", x))[0], "032b")
    return bits if fmt == "fp32" else None


@pytest.mark.parametrize("typed", ["1.001", "0.1", "−2.5", "1e-8", "65519", "70000", "1,000"])
def test_bits_of_the_readers_number(typed):
    rows = {x["format"]: x for x in run(mxp, number=typed)["bits"]["rows"]}
    x = float(typed.replace("−", "-").replace(",", ""))
    for fmt in ("fp32", "fp16"):
        b = rows[fmt]
        expected = "0111110000000000" if (fmt, x) == ("fp16", 70000) else struct_bits(x, fmt)  # inf
        assert b["sign"] + b["exponent"] + b["mantissa"] == expected
    # bf16 is float32's top half, rounded: the same sign and exponent, but for 65519's carry up to 2^16
    if x == 65519:
        assert rows["bf16"]["value"] == "65536" and rows["fp16"]["value"] == "65504"
    else:
        assert rows["bf16"]["sign"] + rows["bf16"]["exponent"] == rows["fp32"]["sign"] + rows["fp32"]["exponent"]
    if x == 70000:
        assert rows["fp16"]["value"] == "∞ (overflow)"


@pytest.mark.parametrize("typed", ["", "x", "nan", "-inf", "1e309", "🦙", "<b>1</b>"])
def test_odd_numbers_get_a_note_not_an_error(typed):
    r = run(mxp, number=typed, steps=10)
    assert r["bits"]["note"] and r["bits"]["typed"] == "1.001"


def test_clamped_and_refused():
    r = run(mxp, lr_exp=5, scale_exp=99, batch_exp=-3, steps=5000)
    assert r["params"] | {"number": "1.001"} == {
        "setup": "bf16",
        "lr_exp": -1.0,
        "scale_exp": 32,
        "dynamic": True,
        "batch_exp": 0,
        "steps": 300,
        "number": "1.001",
    }
    for bad, word in [({"setup": "fp8"}, "setup"), ({"lr_exp": "fast"}, "lr_exp"), ({"dynamic": "maybe"}, "dynamic")]:
        with pytest.raises(ValueError, match=word):
            mxp.compute(bad)


def test_loss_scale_off_is_the_unscaled_run():
    r = run(mxp, scale_exp=0, dynamic=False, steps=50)
    assert row(r, "fp16_scaled")["final_loss"] == row(r, "fp16_master")["final_loss"]
    assert row(r, "fp16_scaled")["grads_underflowed"] == row(r, "fp16_master")["grads_underflowed"]


# -- the numbers chapters/22-training-at-scale.md quotes ------------------------------------------------------


def test_chapter_defaults():
    r = run(mxp)
    cells = {x["setup"]: x["cells"] for x in r["table"]}
    assert (r["shown"]["lr_exp"], r["shown"]["batch_exp"]) == ("0.0032", "1.07M tokens")
    assert "a learning rate of 0.0032 and batches of 1.07M tokens (the text read 128 times)" in PROSE
    assert cells["bf16"][:2] == ["4.013", "44.4%"] and cells["fp32"][0] == "3.642"
    assert "lose 44.4% of their updates and end at a loss of 4.013 where fp32 reaches 3.642" in PROSE
    assert cells["fp16_master"][0] == "3.908" and cells["fp16_master"][2] == "85.4%"
    assert "rounds 85.4% of the backward values to 0, every probability below 0.0319 among them" in PROSE
    assert "and ends at 3.908" in PROSE
    assert cells["bf16_master"][0] == "3.642" and cells["fp16_scaled"][0] == "3.659"
    assert cells["fp16_scaled"][3:] == ["5", "2²⁰"] and row(r, "fp16_scaled")["first_skips"] == 0
    assert "bf16 with master weights ends at fp32's 3.642, and fp16 with dynamic loss scaling at 3.659" in PROSE
    assert "grows to $2^{20}$ and skips 5 steps" in PROSE
    assert "a 53 × 53 table" in PROSE


def test_chapter_caption_claims():
    small = run(mxp, batch_exp=0)
    assert small["shown"]["batch_exp"] == "8.36k tokens" and "shrink the batch to 8.36k tokens" in PROSE
    assert row(small, "fp16_master")["final_loss"] == pytest.approx(row(small, "fp32")["final_loss"], abs=5e-4)
    slow = run(mxp, lr_exp=-4)
    assert row(slow, "bf16")["final_loss"] == pytest.approx(slow["table"][1]["final_loss"])
    assert row(slow, "bf16")["cells"][0] == "4.458" == f"{row(slow, 'bf16')['final_loss']:.3f}"


def test_chapter_lost_update_threshold():
    assert "stops moving once the learning rate is below $2^{-8} \\approx 0.0039$" in PROSE
    assert "$2^{-24} \\approx 6 \\times 10^{-8}$" in PROSE and "largest number, 65,504" in PROSE
