"""llm_core.quantization: round-trip error bounds, packing, fp16/bf16 against independent references."""

import doctest
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_core import quantization
from llm_core.quantization import (
    dequantize,
    pack_int4,
    quantization_error,
    quantize_absmax,
    quantized_bytes,
    to_bf16,
    to_fp16,
    unpack_int4,
)

RNG = np.random.default_rng(8)
W = RNG.normal(0, 0.02, size=(64, 96)).astype(np.float32)
MODES = [{}, {"axis": 0}, {"axis": 1}, {"axis": -1}, {"group_size": 32}, {"group_size": 16}, {"group_size": 96}]


def test_docstring_examples():
    assert doctest.testmod(quantization).failed == 0


@pytest.mark.parametrize("bits", [8, 4, 3])
@pytest.mark.parametrize("mode", MODES, ids=str)
def test_round_trip_error_at_most_half_a_step(bits, mode):
    q, scales, error = quantize_absmax(W, bits=bits, **mode)
    qmax = 2 ** (bits - 1) - 1
    assert q.dtype == np.int8 and q.shape == W.shape and np.abs(q).max() == qmax
    w_hat = dequantize(q, scales)
    step = dequantize(np.ones_like(q), scales)  # each value's own scale
    assert np.all(np.abs(W - w_hat) <= step / 2 * (1 + 1e-5))
    expected = quantization_error(W, w_hat)
    assert error == expected
    assert error["max_abs"] == pytest.approx(float(np.max(np.abs(W.astype(np.float64) - w_hat))))


def test_scale_shapes():
    assert quantize_absmax(W)[1].shape == (1, 1)
    assert quantize_absmax(W, axis=1)[1].shape == (1, 96)  # one scale per output column of x @ w
    assert quantize_absmax(W, axis=0)[1].shape == (64, 1)
    assert quantize_absmax(W, group_size=32)[1].shape == (64, 3)


def test_scales_by_hand():
    w = np.array([[1.0, -2.0], [0.5, 0.25]])
    np.testing.assert_allclose(quantize_absmax(w, bits=4)[1], [[2.0 / 7]])
    np.testing.assert_allclose(quantize_absmax(w, bits=4, axis=0)[1], [[2.0 / 7], [0.5 / 7]])
    np.testing.assert_allclose(quantize_absmax(w, bits=8, axis=1)[1], [[1.0 / 127, 2.0 / 127]])
    q, _, _ = quantize_absmax(w, bits=4, axis=0)
    assert q.tolist() == [[4, -7], [7, 4]]  # 1 / (2/7) = 3.5 -> 4 (half to even); 0.25 / (0.5/7) = 3.5 -> 4


def test_finer_scales_help_when_there_are_outliers():
    w = RNG.normal(0, 0.02, size=(64, 64))
    w[:, 3] *= 50.0  # one outlier column stretches a shared scale for everyone else
    others = np.arange(64) != 3

    def rmse_of_others(q, scales, axis=1):
        return np.sqrt(np.mean((np.compress(others, w - dequantize(q, scales), axis=axis)) ** 2))

    per_tensor = rmse_of_others(*quantize_absmax(w, bits=4)[:2])
    per_channel = rmse_of_others(*quantize_absmax(w, bits=4, axis=1)[:2])
    assert per_channel < per_tensor / 5
    w_rows = w.T  # the outliers now lie along one row: groups along the last axis isolate them
    group_wise = np.sqrt(
        np.mean(
            np.compress(others, w_rows - dequantize(*quantize_absmax(w_rows, bits=4, group_size=16)[:2]), axis=0) ** 2
        )
    )
    assert group_wise < per_tensor / 5


def test_int8_is_more_accurate_than_int4():
    int8, int4 = (quantize_absmax(W, bits=bits, group_size=32)[2]["relative"] for bits in (8, 4))
    assert int8 < int4 / 10


def test_all_zero_blocks():
    w = np.zeros((2, 8), dtype=np.float32)
    w[1, :4] = 1.0
    q, scales, error = quantize_absmax(w, bits=4, group_size=4)
    assert np.isfinite(scales).all() and q[0].tolist() == [0] * 8
    np.testing.assert_array_equal(dequantize(q, scales), w)
    assert error["max_abs"] == 0.0 and error["relative"] == 0.0


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"group_size": 40}, r"group_size must be a positive integer dividing the last axis \(96\)"),
        ({"group_size": 0}, "group_size"),
        ({"axis": 2}, "axis"),
        ({"bits": 9}, "bits"),
        ({"bits": 1}, "bits"),
        ({"axis": 0, "group_size": 32}, "not both"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        quantize_absmax(W, **kwargs)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.sampled_from([1, 2, 4, 8]), st.sampled_from([2, 4, 8]), st.integers(0, 2**32 - 1))
def test_group_round_trip_property(rows, n_groups, group_size, seed):
    w = np.random.default_rng(seed).standard_t(3, size=(rows, n_groups * group_size))
    q, scales, _ = quantize_absmax(w, bits=4, group_size=group_size)
    step = np.repeat(scales, group_size, axis=-1)
    assert np.all(np.abs(w - dequantize(q, scales)) <= step / 2 * (1 + 1e-12) + 1e-300)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 64, 1001])
def test_pack_unpack_round_trip(n):
    q = RNG.integers(-8, 8, size=n).astype(np.int8)
    packed = pack_int4(q)
    assert packed.dtype == np.uint8 and packed.size == (n + 1) // 2
    np.testing.assert_array_equal(unpack_int4(packed, n), q)


def test_pack_layout_by_hand():
    assert pack_int4(np.array([1, -1], dtype=np.int8)).tolist() == [0xF1]  # low nibble first
    assert pack_int4(np.array([-8, 7, 3], dtype=np.int8)).tolist() == [0x78, 0x03]
    q = quantize_absmax(W, bits=4, group_size=32)[0]
    np.testing.assert_array_equal(unpack_int4(pack_int4(q), q.size).reshape(q.shape), q)


def test_pack_rejects_out_of_range():
    with pytest.raises(ValueError, match=r"\[-8, 7\]"):
        pack_int4(np.array([8]))
    with pytest.raises(ValueError, match="n must be"):
        unpack_int4(np.zeros(2, dtype=np.uint8), 5)


def test_fp16():
    w16, error = to_fp16(W)
    assert w16.dtype == np.float16
    assert error["relative"] < 2**-11  # half a unit in the last place of 10 mantissa bits, at most
    _, overflow = to_fp16(np.array([1e5]))
    assert overflow["max_abs"] == float("inf")  # beyond 65504: reported, not hidden


def naive_bf16(x):
    """Round one float32 to the nearest bfloat16 (ties to even) by comparing the two neighbours."""
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    low = bits & 0xFFFF0000
    high = low + 0x10000
    lo_val, hi_val = (struct.unpack("<f", struct.pack("<I", b))[0] for b in (low, high))
    if abs(x - lo_val) != abs(hi_val - x):
        return lo_val if abs(x - lo_val) < abs(hi_val - x) else hi_val
    return lo_val if (low >> 16) % 2 == 0 else hi_val


def test_bf16_matches_naive_rounding():
    values = np.concatenate([RNG.normal(0, 1, 500), RNG.normal(0, 1e-20, 50), RNG.normal(0, 1e20, 50)])
    values = values.astype(np.float32)
    w_bf16, error = to_bf16(values)
    np.testing.assert_array_equal(w_bf16, [naive_bf16(float(v)) for v in values])
    assert error["relative"] < 2**-8


def test_bf16_ties_to_even():
    w, _ = to_bf16(np.array([1 + 2**-8, 1 + 3 * 2**-8, -1.0, 0.0], dtype=np.float32))
    assert w.tolist() == [1.0, 1 + 2**-6, -1.0, 0.0]


def float32_from_bits(*patterns):
    return np.array(patterns, dtype=np.uint32).view(np.float32)


# NaNs with payload bits high and low, quiet and signalling, both signs; the largest finite float32
# (rounds up to bfloat16's inf, as overflow should); +-inf; +-0
SPECIALS = (
    0x7FFFFFFF,
    0xFFFFFFFF,
    0x7F800001,
    0xFF800001,
    0x7FC00000,
    0x7FBFFFFF,
    0x7FFF8000,
    0x7F7FFFFF,
    0x7F800000,
    0xFF800000,
    0x00000000,
    0x80000000,
)


def test_bf16_keeps_nan_nan_and_inf_inf():
    values = float32_from_bits(*SPECIALS)
    with np.errstate(invalid="ignore"):  # the error of inf - inf and of a NaN is NaN, and numpy says so
        w, _ = to_bf16(values)
    bits = w.view(np.uint32)
    assert np.array_equal(np.isnan(w), np.isnan(values))  # every NaN, whatever its payload, stays NaN
    # NaNs become the quiet NaN with their sign (ml_dtypes' choice; torch drops the sign)
    assert [hex(b) for b in bits[:7]] == [
        "0x7fc00000",
        "0xffc00000",
        "0x7fc00000",
        "0xffc00000",
        "0x7fc00000",
        "0x7fc00000",
        "0x7fc00000",
    ]
    assert w[7:].tolist() == [np.inf, np.inf, -np.inf, 0.0, 0.0] and bits[-1] == 0x80000000
    assert np.all(bits & 0xFFFF == 0)  # still a bfloat16: the low 16 bits are clear


def test_bf16_against_ml_dtypes_where_installed():
    ml_dtypes = pytest.importorskip("ml_dtypes", reason="ml_dtypes is not installed (not a Glassbox dependency)")
    values = np.concatenate(
        [
            float32_from_bits(*SPECIALS),
            RNG.normal(0, 1, 200).astype(np.float32),
            float32_from_bits(*RNG.integers(0, 2**32, 2000, dtype=np.uint64)),
        ]
    )
    with np.errstate(invalid="ignore"):  # numpy warns of signalling NaNs cast, and of NaN errors
        expected = values.astype(ml_dtypes.bfloat16).astype(np.float32)
        w, _ = to_bf16(values)
    np.testing.assert_array_equal(w.view(np.uint32), expected.view(np.uint32))


def test_quantized_bytes():
    assert quantized_bytes(1000, bits=8) == 1000
    assert quantized_bytes(1001, bits=4) == 501
    assert quantized_bytes(4096, bits=4, n_scales=4096 // 32, scale_bytes=2) * 8 / 4096 == 4.5
    assert quantized_bytes(10, bits=16) == 20
