"""llm_core.mixed_precision: rounding against bit-level closed forms and a naive struct reference, the lost
update's threshold in closed form, loss scaling recovering underflowed gradients, the bigram model's
gradient against a per-token loop and finite differences, and the training loop's setups."""

import struct

import numpy as np
import pytest

from llm_core.backprop import numerical_gradient
from llm_core.mixed_precision import (
    FORMATS,
    SETUPS,
    MixedPrecisionConfig,
    bigram_backward,
    bigram_counts,
    bigram_loss,
    float_bits,
    half_spacing,
    lost_updates,
    log_softmax_rows,
    to_format,
    train_mixed_precision,
    update_loss_scale,
)

RNG = np.random.default_rng(22)


def f32(*patterns):
    return np.array(patterns, dtype=np.uint32).view(np.float32)


def naive_bf16(x):
    """The nearer of the two bfloat16 neighbours of a float32 (ties to the even one), by struct."""
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    low = bits & 0xFFFF0000
    lo, hi = (struct.unpack("<f", struct.pack("<I", b))[0] for b in (low, low + 0x10000))
    if abs(x - lo) != abs(hi - x):
        return lo if abs(x - lo) < abs(hi - x) else hi
    return lo if (low >> 16) % 2 == 0 else hi


def test_bf16_known_values():
    cases = {
        1 + 2**-8: 1.0,  # half of bf16's gap above 1 (2^-7): a tie, to the even 1.0
        1 + 2**-8 + 2**-20: 1 + 2**-7,  # just past the tie
        1 + 3 * 2**-8: 1 + 2**-6,  # between 1 + 2^-7 (odd mantissa) and 1 + 2^-6 (even): the tie goes up
        -(1 + 3 * 2**-8): -(1 + 2**-6),
        0.1: 0.10009765625,
        FORMATS["bf16"].max_finite: FORMATS["bf16"].max_finite,
    }
    got = to_format(np.array(list(cases), dtype=np.float32), "bf16")[0]
    assert got.tolist() == list(cases.values())
    assert FORMATS["bf16"].max_finite == float(f32(0x7F7F0000)[0]) == (2 - 2**-7) * 2.0**127


def test_bf16_edges_bit_by_bit():
    # below half of the last gap stays finite, the tie rounds to even (up, to inf), float32's max to inf
    rounded = to_format(f32(0x7F7F7FFF, 0x7F7F8000, 0x7F7FFFFF, 0x00008000, 0x00008001, 0x00018000), "bf16")[0]
    assert [hex(b) for b in rounded.view(np.uint32)] == [
        "0x7f7f0000",
        "0x7f800000",
        "0x7f800000",
        "0x0",  # a subnormal tie to the even 0
        "0x10000",  # bf16's smallest subnormal, 2^-133
        "0x20000",  # the tie between 0x0001 (odd) and 0x0002 (even)
    ]
    assert float(rounded[4]) == FORMATS["bf16"].min_subnormal == 2.0**-133


def test_bf16_against_struct_on_random_bit_patterns():
    values = np.concatenate(
        [
            f32(*RNG.integers(0, 0x7F7F0000, 3000, dtype=np.uint64)),  # finite, positive, any exponent
            -f32(*RNG.integers(0, 0x7F7F0000, 1000, dtype=np.uint64)),
            RNG.normal(0, 1, 1000).astype(np.float32),
        ]
    )
    got = to_format(values, "bf16")[0]
    np.testing.assert_array_equal(got, [naive_bf16(float(v)) for v in values])


def test_fp16_known_values():
    fp16 = FORMATS["fp16"]
    assert (fp16.max_finite, fp16.min_normal, fp16.min_subnormal) == (65504.0, 2.0**-14, 2.0**-24)
    x = np.array([65504, 65519, 65520, 2**-24, 2**-25, 2**-25 * 1.0001, 3 * 2**-25, 1 + 2**-11], dtype=np.float32)
    with np.errstate(over="ignore"):
        got = to_format(x, "fp16")[0]
    assert got.tolist() == [65504, 65504, np.inf, 2**-24, 0.0, 2**-24, 2**-23, 1.0]


def test_float_bits():
    one = float_bits(1.0, "fp32")
    assert (one["sign"], one["exponent"], one["mantissa"]) == ("0", "01111111", "0" * 23)
    b = float_bits(-2.5, "fp16")  # -1.01b x 2^1
    assert (b["sign"], b["exponent"], b["mantissa"], b["value"], b["error"]) == ("1", "10000", "0100000000", -2.5, 0)
    assert float_bits(1e5, "fp16")["value"] == np.inf and float_bits(1e5, "fp16")["error"] is None
    for fmt in FORMATS:
        for x in RNG.normal(0, 100, 20):
            b = float_bits(float(x), fmt)
            assert len(b["exponent"]) == FORMATS[fmt].exponent_bits and len(b["mantissa"]) == FORMATS[fmt].mantissa_bits
            assert b["value"] == float(to_format(np.float32(x), fmt)[0].ravel()[0])


@pytest.mark.parametrize("fmt", ["bf16", "fp16"])
def test_lost_update_threshold_in_closed_form(fmt):
    """w + u == w exactly when |u| < half the gap 2^(e - m) (e = floor(log2 |w|)); at half, ties to even."""
    m = FORMATS[fmt].mantissa_bits
    w = to_format(RNG.uniform(0.5, 100, 2000).astype(np.float32) * RNG.choice([-1, 1], 2000), fmt)[0]
    w = w[np.abs(w) != 2.0 ** np.floor(np.log2(np.abs(w)))]  # not a power of two: the same gap on both sides
    half = 2.0 ** (np.floor(np.log2(np.abs(w))) - m - 1)
    np.testing.assert_array_equal(half_spacing(w, fmt), half)
    sign = RNG.choice([-1, 1], w.size)
    assert lost_updates(w, sign * half * 0.99, fmt).all()
    assert not lost_updates(w, sign * half * 1.01, fmt).any()
    even = (w.view(np.uint32) >> (16 if fmt == "bf16" else 13) & 1) == 0  # the last kept mantissa bit
    np.testing.assert_array_equal(lost_updates(w, sign * half, fmt), even)
    assert not lost_updates(w, np.zeros_like(w), fmt).any()  # no update is not a lost one
    assert lost_updates(np.float32(1.0), np.float32(1e-3), "bf16") and not lost_updates(1.0, 1e-3, "fp16")


def test_dynamic_loss_scale_schedule():
    scale, good, seen = 2.0**16, 0, []
    for overflow in [False] * 3 + [True, True] + [False] * 3:
        scale, good = update_loss_scale(scale, good, overflow, growth_interval=3)
        seen.append(scale)
    assert seen == [2**16, 2**16, 2**17, 2**16, 2**15, 2**15, 2**15, 2**16]
    assert update_loss_scale(1.0, 0, True, 3) == (1.0, 0)  # never below 1


TEXT = "the cat sat on the mat; the rat ate the hat. " * 3
VOCAB = sorted(set(TEXT))
COUNTS = bigram_counts([VOCAB.index(c) for c in TEXT], len(VOCAB))


def naive_backward(w, text, repeats, fmt, scale):
    """The gradient a per-token loop computes: every token's (p - onehot) * scale / n rounded to fmt, summed."""
    n_tokens = repeats * (len(text) - 1)
    grad = np.zeros(w.shape)
    for _ in range(repeats):
        for a, b in zip(text, text[1:]):
            i, j = VOCAB.index(a), VOCAB.index(b)
            p = np.exp(log_softmax_rows(to_format(w, fmt)[0][i : i + 1])[0])
            d = (p - np.eye(len(VOCAB))[j]) * (scale / n_tokens)
            grad[i] += to_format(d.astype(np.float32), fmt)[0]
    return grad


@pytest.mark.parametrize("fmt, scale", [("fp32", 1.0), ("bf16", 1.0), ("fp16", 1.0), ("fp16", 1024.0)])
def test_backward_equals_a_per_token_loop(fmt, scale):
    w = RNG.normal(0, 1, COUNTS.shape).astype(np.float32)
    grad, _ = bigram_backward(w, COUNTS, 2, fmt, scale)
    expected = to_format(naive_backward(w, TEXT, 2, fmt, scale).astype(np.float32), fmt)[0]
    np.testing.assert_allclose(grad, expected, rtol=2**-20, atol=0)  # fp32 sums in another order


def test_fp32_gradient_against_finite_differences():
    w = RNG.normal(0, 1, COUNTS.shape)
    grad, _ = bigram_backward(w.astype(np.float32), COUNTS, 1, "fp32")
    numerical = numerical_gradient(lambda v: bigram_loss(v, COUNTS), w, eps=1e-5)
    np.testing.assert_allclose(grad, numerical, atol=1e-6)


def test_loss_scaling_recovers_underflowed_gradients():
    """A batch of 2^20 x 45 tokens: each token's share of the mean is below fp16's smallest number."""
    w = RNG.normal(0, 1, COUNTS.shape).astype(np.float32)
    exact, _ = bigram_backward(w, COUNTS, 2**20, "fp32")
    plain, info = bigram_backward(w, COUNTS, 2**20, "fp16")
    n_values = 2**20 * COUNTS.sum() * len(VOCAB)
    assert info["underflowed"] > 0.9 * n_values and not info["overflow"]
    assert np.abs(plain).max() < 0.1 * np.abs(exact).max()  # most of the gradient is gone
    scale = 2.0**16
    scaled, info = bigram_backward(w, COUNTS, 2**20, "fp16", scale)
    assert info["underflowed"] < 1e-3 * n_values and not info["overflow"]
    # back in fp32: each token's value within fp16's relative precision (and its subnormals' absolute one)
    np.testing.assert_allclose(scaled / scale, exact, rtol=2**-10, atol=2**20 * 45 * 2**-24 / scale)
    _, info = bigram_backward(w, COUNTS, 2**20, "fp16", 2.0**40)
    assert info["overflow"]  # too large a scale: inf, which the loop skips


def test_bf16_needs_no_loss_scale():
    w = RNG.normal(0, 1, COUNTS.shape).astype(np.float32)
    _, info = bigram_backward(w, COUNTS, 2**20, "bf16")
    assert info["underflowed"] == 0  # bf16's smallest normal is float32's, 2^-126


W0 = np.random.default_rng(0).normal(0, 1, COUNTS.shape).astype(np.float32)


def run(setup, **config):
    config = {"steps": 60, "lr": 0.003, "repeats": 2**14, **config}  # 2^14 x 134 tokens a batch
    return train_mixed_precision(COUNTS, MixedPrecisionConfig(setup=setup, **config), W0)


def test_setups():
    runs = {s: run(s) for s in SETUPS}
    fp32 = runs["fp32"]
    assert fp32["final_loss"] < fp32["loss"][0] - 0.1
    assert all(r["loss"][0] == pytest.approx(fp32["loss"][0], abs=0.01) for r in runs.values())
    # master weights and scaled fp16 follow fp32; bf16 weights alone lose updates and fall behind
    assert abs(runs["bf16_master"]["final_loss"] - fp32["final_loss"]) < 0.01
    assert abs(runs["fp16_scaled"]["final_loss"] - fp32["final_loss"]) < 0.01
    assert runs["bf16"]["updates_lost"] > 0 and runs["bf16"]["final_loss"] > fp32["final_loss"] + 0.02
    assert runs["fp16_master"]["grads_underflowed"] > 0
    assert runs["fp16_master"]["final_loss"] > fp32["final_loss"] + 0.02
    for name in ("fp32", "bf16_master", "fp16_master", "fp16_scaled"):
        assert runs[name]["updates_lost"] == 0
    assert runs["bf16"]["weights"].view(np.uint32).__and__(0xFFFF).max() == 0  # still bfloat16 values


def test_lower_learning_rate_loses_more_updates():
    lost = [run("bf16", lr=lr)["updates_lost"] for lr in (0.03, 0.003, 0.0003)]
    assert lost[0] < lost[1] < lost[2]


def test_too_large_a_scale_skips_steps_and_halves():
    r = run("fp16_scaled", loss_scale=2.0**40)
    first = r["skipped"].index(False)
    assert r["skipped"][:first] == [True] * first and first > 0
    assert r["scale"][: first + 1] == [2.0 ** (40 - k) for k in range(first + 1)]
    fixed = run("fp16_scaled", loss_scale=2.0**40, dynamic=False)
    assert fixed["steps_skipped"] == 60 and fixed["final_loss"] == fixed["loss"][0]  # never a step


def test_deterministic():
    a, b = run("fp16_scaled"), run("fp16_scaled")
    assert a["loss"] == b["loss"] and a["scale"] == b["scale"] and a["underflowed"] == b["underflowed"]
