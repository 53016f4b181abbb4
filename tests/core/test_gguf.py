"""llm_core.gguf: hand-made blocks, llama.cpp's quantizers byte for byte, files written by gguf-py, errors, SmolLM2.

The reference is gguf-py (PyPI `gguf`, from the llama.cpp repository): its GGUFWriter writes the test files,
its quantize/dequantize are the byte-exact Python port of ggml-quants.c, its GGUFReader reads SmolLM2 on its own.
"""

import re
import struct
from collections import Counter

import gguf
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from llm_core.gguf import (
    BLOCK_Q4_0,
    BLOCK_Q4_1,
    BLOCK_Q8_0,
    GGML_TYPES,
    dequantize_bf16,
    dequantize_f16,
    dequantize_f32,
    dequantize_q4_0,
    dequantize_q4_1,
    dequantize_q8_0,
    quantize_q4_0,
    quantize_q4_1,
    quantize_q8_0,
    read_gguf,
)

Q = gguf.GGMLQuantizationType
V = gguf.GGUFValueType
RNG = np.random.default_rng(11)
QUANTS = {
    "Q8_0": (quantize_q8_0, dequantize_q8_0),
    "Q4_0": (quantize_q4_0, dequantize_q4_0),
    "Q4_1": (quantize_q4_1, dequantize_q4_1),
}
EDGE_BLOCKS = np.array(
    [
        np.zeros(32),  # all zero: d = 0, every code encodes 0
        np.full(32, 3.0),  # constant
        np.r_[100.0, RNG.normal(0, 0.01, 31)],  # one outlier stretches the scale
        np.r_[-2.0, RNG.uniform(-1, 1, 31)],  # the largest magnitude is negative
        np.r_[1.0, -1.0, RNG.uniform(-1, 1, 30)],  # Q4_0's lopsided grid: -max must clip to code 15
        np.arange(-16, 16) / 2,  # exact halves: ties
    ],
    dtype=np.float32,
)
ROWS = {"normal": RNG.normal(0, 1, (16, 256)).astype(np.float32), "edge": EDGE_BLOCKS}


def test_type_table_matches_gguf_py():
    reference = {int(t): (t.name, *gguf.GGML_QUANT_SIZES[t]) for t in Q}
    assert reference.pop(9) == ("Q8_1", 32, 40)  # gguf-py's stale size: two float32s; ggml now has two fp16s
    ours = dict(GGML_TYPES)
    assert ours.pop(9) == ("Q8_1", 32, 36)  # (an activation format, never stored in files)
    assert ours == reference
    assert BLOCK_Q8_0.itemsize == 34 and BLOCK_Q4_0.itemsize == 18 and BLOCK_Q4_1.itemsize == 20


# --- hand-made blocks -----------------------------------------------------------------------------------


def test_q8_0_block_by_hand():
    codes = [-128, 127] + list(range(-15, 15))
    block = struct.pack("<e", 0.5) + struct.pack("<32b", *codes)  # fp16 d, then 32 int8 codes
    values = dequantize_q8_0(block).tolist()
    assert values[:4] == [-64.0, 63.5, -7.5, -7.0]
    assert values == [0.5 * q for q in codes]  # x = d * q


def test_q4_0_block_by_hand():
    nibbles = bytes(j | (15 - j) << 4 for j in range(16))  # byte j: code j low, code 15 - j high
    values = dequantize_q4_0(struct.pack("<e", 0.25) + nibbles).tolist()
    assert values[0] == -2.0 and values[15] == 1.75  # low nibbles are elements 0..15: codes 0, 15
    assert values[16] == 1.75 and values[31] == -2.0  # high nibbles are elements 16..31: codes 15, 0
    assert values == [0.25 * (j - 8) for j in range(16)] + [0.25 * (15 - j - 8) for j in range(16)]


def test_q4_1_block_by_hand():
    block = struct.pack("<ee", 0.5, -1.0) + bytes([0x10, 0xF0, 0x0F] + [0x00] * 13)  # d, m, nibbles
    expected = [-1.0] * 32  # code 0: x = 0.5 * 0 - 1
    expected[16] = -0.5  # byte 0's high nibble, code 1
    expected[17] = 6.5  # byte 1's high nibble, code 15: 0.5 * 15 - 1
    expected[2] = 6.5  # byte 2's low nibble, code 15
    assert dequantize_q4_1(block).tolist() == expected


def test_float_types_by_hand():
    big = struct.unpack("<f", struct.pack("<f", 3e38))[0]  # 3e38 rounded to float32 by struct, not numpy
    assert dequantize_f32(struct.pack("<3f", 1.5, -0.25, 3e38)).tolist() == [1.5, -0.25, big]
    half = struct.pack("<4e", 1.0, -2.5, 65504.0, 2.0**-24)  # the largest fp16, the smallest subnormal
    assert dequantize_f16(half).tolist() == [1.0, -2.5, 65504.0, 2.0**-24]
    assert dequantize_bf16(bytes([0x80, 0x3F, 0x20, 0xC0, 0x49, 0x40])).tolist() == [1.0, -2.5, 3.140625]


def test_leading_axes_and_several_blocks():
    blocks = quantize_q4_1(ROWS["normal"][:2, :64])  # uint8 [2, 40]: 2 rows of 2 blocks
    assert blocks.shape == (2, 40) and dequantize_q4_1(blocks).shape == (2, 64)
    assert np.array_equal(dequantize_q4_1(blocks).ravel(), dequantize_q4_1(blocks.ravel()))
    assert quantize_q8_0(np.zeros((3, 2, 64))).shape == (3, 2, 68)


def test_ties_round_as_in_c():
    x = np.zeros(32, np.float32)
    x[:6] = [127, 0.5, 1.5, 2.5, -0.5, -2.5]  # d = 127 / 127 = 1: codes are roundf(x)
    assert np.frombuffer(quantize_q8_0(x)[2:8].tobytes(), np.int8).tolist() == [127, 1, 2, 3, -1, -3]
    x[:6] = [-8, 0.5, -0.5, 7.5, 8, 0]  # d = -8 / -8 = 1: codes are trunc(x + 8.5), at most 15
    codes = np.concatenate([quantize_q4_0(x)[2:] & 0x0F, quantize_q4_0(x)[2:] >> 4])
    assert codes[:6].tolist() == [0, 9, 8, 15, 15, 8]


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda: dequantize_q4_0(bytes(17)), "Q4_0 data must be uint8 bytes, whole blocks of 18 bytes"),
        (lambda: dequantize_q8_0(np.zeros(34, np.float32)), "Q8_0 data must be uint8 bytes"),
        (lambda: quantize_q4_1(np.zeros(33)), "rows must hold a multiple of 32 values"),
    ],
)
def test_block_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        bad()


# --- round trips, against llama.cpp's reference ------------------------------------------------------------


@pytest.mark.parametrize("type_name", QUANTS)
@pytest.mark.parametrize("rows", ROWS)
def test_same_bytes_and_values_as_gguf_py(type_name, rows):
    quantize, dequantize = QUANTS[type_name]
    x = ROWS[rows]
    data = quantize(x)
    reference = gguf.quants.quantize(x, Q[type_name])
    assert data.dtype == np.uint8 and data.shape == reference.shape
    assert np.array_equal(data, reference)
    assert np.array_equal(dequantize(data), gguf.quants.dequantize(reference, Q[type_name]))


@pytest.mark.parametrize("rows", ROWS)
def test_round_trip_error_bounds(rows):
    x = ROWS[rows].reshape(-1, 32).astype(np.float64)  # [n_block, 32]
    absmax = np.abs(x).max(axis=1, keepdims=True)
    slack = 1e-5 * absmax  # float32 arithmetic

    q8 = np.frombuffer(quantize_q8_0(ROWS[rows]).tobytes(), BLOCK_Q8_0)
    d, d16 = absmax / 127, q8["d"].astype(np.float64)[:, None]
    err = np.abs(x - dequantize_q8_0(quantize_q8_0(ROWS[rows])).reshape(-1, 32))
    assert np.all(err <= d / 2 + np.abs(q8["qs"]) * np.abs(d - d16) + slack)  # half a step (+ fp16 scale)

    q41 = np.frombuffer(quantize_q4_1(ROWS[rows]).tobytes(), BLOCK_Q4_1)
    low, d = x.min(axis=1, keepdims=True), np.ptp(x, axis=1, keepdims=True) / 15
    d16, m16 = q41["d"].astype(np.float64)[:, None], q41["m"].astype(np.float64)[:, None]
    err = np.abs(x - dequantize_q4_1(quantize_q4_1(ROWS[rows])).reshape(-1, 32))
    assert np.all(err <= d / 2 + 15 * np.abs(d - d16) + np.abs(low - m16) + slack)

    q40 = np.frombuffer(quantize_q4_0(ROWS[rows]).tobytes(), BLOCK_Q4_0)
    signed_max = np.take_along_axis(x, np.abs(x).argmax(axis=1)[:, None], axis=1)
    d, d16 = signed_max / -8, q40["d"].astype(np.float64)[:, None]
    err = np.abs(x - dequantize_q4_0(quantize_q4_0(ROWS[rows])).reshape(-1, 32))
    with np.errstate(divide="ignore", invalid="ignore"):
        clipped = x / d > 7.5  # would need code 16: the grid stops at 15 (7 after the shift)
    fp16 = 8 * np.abs(d - d16) + slack
    assert np.all(np.where(clipped, err <= np.abs(d) + fp16, err <= np.abs(d) / 2 + fp16))
    if rows == "edge":
        assert clipped[4, 1] and err[4, 1] == pytest.approx(np.abs(d[4, 0]))  # -1.0 comes back as -0.875
    else:
        assert (err / np.abs(d)).max() > 0.45  # the bound is nearly reached: it is not vacuous


finite = st.one_of(
    st.floats(-1000, 1000, width=32, allow_subnormal=False), st.integers(-64, 64).map(lambda k: k / 2)
)  # halves: rounding ties


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 3), st.integers(1, 3).map(lambda n: 32 * n)), elements=finite))
def test_random_blocks_match_gguf_py(x):
    x[np.abs(x) < 1e-30] = 0  # subtle: a tiny max makes 1 / d overflow in C as in numpy; not a format question
    for type_name, (quantize, dequantize) in QUANTS.items():
        reference = gguf.quants.quantize(x, Q[type_name])
        assert np.array_equal(quantize(x), reference), type_name
        assert np.array_equal(dequantize(reference), gguf.quants.dequantize(reference, Q[type_name])), type_name


def test_bf16_matches_gguf_py():
    raw = gguf.quants.quantize(ROWS["normal"], Q.BF16)
    assert np.array_equal(dequantize_bf16(raw), gguf.quants.dequantize(raw, Q.BF16))


# --- files written by gguf-py's GGUFWriter ------------------------------------------------------------------

METADATA = [  # (key, value, GGUF type, array element type or None, what read_gguf returns)
    ("t.uint8", 255, V.UINT8, None, 255),
    ("t.int8", -128, V.INT8, None, -128),
    ("t.uint16", 65535, V.UINT16, None, 65535),
    ("t.int16", -32768, V.INT16, None, -32768),
    ("t.uint32", 2**32 - 1, V.UINT32, None, 2**32 - 1),
    ("t.int32", -(2**31), V.INT32, None, -(2**31)),
    ("t.float32", 0.1, V.FLOAT32, None, float(np.float32(0.1))),
    ("t.bool_true", True, V.BOOL, None, True),
    ("t.bool_false", False, V.BOOL, None, False),
    ("t.string", "héllo, ✓ wörld", V.STRING, None, "héllo, ✓ wörld"),
    ("t.empty_string", "", V.STRING, None, ""),
    ("t.uint64", 2**64 - 1, V.UINT64, None, 2**64 - 1),
    ("t.int64", -(2**63), V.INT64, None, -(2**63)),
    ("t.float64", 0.1, V.FLOAT64, None, 0.1),
    ("t.strings", ["a", "", "Ġthe", "ü"], V.ARRAY, None, ["a", "", "Ġthe", "ü"]),
    ("t.int32s", [1, -2, 3], V.ARRAY, None, np.array([1, -2, 3], np.int32)),
    ("t.float32s", [0.5, -1.25], V.ARRAY, None, np.array([0.5, -1.25], np.float32)),
    ("t.bools", [True, False, True], V.ARRAY, None, np.array([True, False, True])),
    ("t.uint8s", [0, 255], V.ARRAY, V.UINT8, np.array([0, 255], np.uint8)),
    ("t.int8s", [-1, 1], V.ARRAY, V.INT8, np.array([-1, 1], np.int8)),
    ("t.uint16s", [1, 65535], V.ARRAY, V.UINT16, np.array([1, 65535], np.uint16)),
    ("t.int16s", [-300], V.ARRAY, V.INT16, np.array([-300], np.int16)),
    ("t.uint32s", [2**32 - 1], V.ARRAY, V.UINT32, np.array([2**32 - 1], np.uint32)),
    ("t.uint64s", [2**64 - 1, 0], V.ARRAY, V.UINT64, np.array([2**64 - 1, 0], np.uint64)),
    ("t.int64s", [-(2**63)], V.ARRAY, V.INT64, np.array([-(2**63)], np.int64)),
    ("t.float64s", [0.1, 1e300], V.ARRAY, V.FLOAT64, np.array([0.1, 1e300])),
    ("t.nested", [[1, 2], [3]], V.ARRAY, None, [np.array([1, 2], np.int32), np.array([3], np.int32)]),
    ("t.nested_strings", [["a"], ["b", "c"]], V.ARRAY, None, [["a"], ["b", "c"]]),
    ("t.deeply_nested", [[[1.5]]], V.ARRAY, None, [[np.array([1.5], np.float32)]]),
]


def reference_tensors():  # {name: (array or quantized bytes, raw ggml type or None)}
    x = RNG.normal(0, 1, (4, 64)).astype(np.float32)
    return {
        "f32": (RNG.normal(0, 1, (3, 5)).astype(np.float32), None),
        "f32_3d": (np.arange(24, dtype=np.float32).reshape(2, 3, 4), None),
        "f32_1d": (np.array([1.0, -1.0, 0.5], np.float32), None),
        "f16": (x.astype(np.float16), None),
        "bf16": (gguf.quants.quantize(x, Q.BF16), Q.BF16),
        "q8_0": (gguf.quants.quantize(x, Q.Q8_0), Q.Q8_0),
        "q4_0": (gguf.quants.quantize(x, Q.Q4_0), Q.Q4_0),
        "q4_1": (gguf.quants.quantize(x[:, :32], Q.Q4_1), Q.Q4_1),
    }


def write_gguf(path, tensors, alignment=None, metadata=METADATA):
    writer = gguf.GGUFWriter(str(path), arch="llama")
    if alignment is not None:
        writer.add_custom_alignment(alignment)
    for key, value, value_type, element_type, _ in metadata:
        writer.add_key_value(key, value, value_type, sub_type=element_type)
    for name, (data, raw_type) in tensors.items():
        writer.add_tensor(name, data, raw_dtype=raw_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def assert_same_value(value, expected):
    if isinstance(expected, np.ndarray):
        assert isinstance(value, np.ndarray) and value.dtype == expected.dtype
        assert np.array_equal(value, expected)
    elif isinstance(expected, list):
        assert isinstance(value, list) and len(value) == len(expected)
        for item, expected_item in zip(value, expected):
            assert_same_value(item, expected_item)
    else:
        assert type(value) is type(expected) and value == expected


@pytest.fixture(scope="module")
def written(tmp_path_factory):  # {alignment: (path, tensors)}
    tensors = reference_tensors()
    folder = tmp_path_factory.mktemp("gguf")
    return {
        alignment: (write_gguf(folder / f"model_{alignment}.gguf", tensors, alignment), tensors)
        for alignment in (None, 8, 256)
    }


@pytest.mark.parametrize("alignment", [None, 8, 256])
@pytest.mark.parametrize("source", ["path", "bytes", "bytearray", "memoryview", "uint8 array"])
def test_reads_what_gguf_py_wrote(written, alignment, source):
    path, tensors = written[alignment]
    data = path.read_bytes()
    f = read_gguf(
        {
            "path": path,
            "bytes": data,
            "bytearray": bytearray(data),
            "memoryview": memoryview(data),
            "uint8 array": np.frombuffer(data, np.uint8),
        }[source]
    )
    assert f.version == 3 and f.alignment == (alignment or 32)
    expected = {
        "general.architecture": "llama",
        **({"general.alignment": alignment} if alignment else {}),
        **{key: value for key, _, _, _, value in METADATA},
    }
    assert list(f.metadata) == list(expected)
    for key, value in expected.items():
        assert_same_value(f.metadata[key], expected[key])

    reader = gguf.GGUFReader(path)
    assert f.data_start == reader.data_offset and f.data_start % f.alignment == 0
    assert list(f.tensors) == list(tensors) == [t.name for t in reader.tensors]
    for t in reader.tensors:
        info = f.tensors[t.name]
        assert info.shape == tuple(int(n) for n in reversed(t.shape))  # numpy order: ggml's ne reversed
        assert (info.type, f.data_start + info.offset, info.n_bytes) == (t.tensor_type.name, t.data_offset, t.n_bytes)
        assert np.array_equal(f.tensor_bytes(t.name), t.data.reshape(-1).view(np.uint8))
    for name, (array, raw_type) in tensors.items():
        values = f.tensor(name)
        assert values.dtype == np.float32 and values.flags.writeable
        if raw_type is None:
            assert np.array_equal(values, array.astype(np.float32))
        else:
            assert np.array_equal(values, gguf.quants.dequantize(array, raw_type))
    assert f.tensors["f32_3d"].shape == (2, 3, 4) and f.tensors["q4_1"].shape == (4, 32)
    assert f.unsupported_tensors() == {}


def test_tensors_are_read_lazily(written):
    path, _ = written[None]
    f = read_gguf(path)
    assert isinstance(f.buffer.obj, np.memmap)  # the file is mapped, not read
    data = np.frombuffer(path.read_bytes(), np.uint8)
    g = read_gguf(data)
    assert np.shares_memory(g.tensor_bytes("q4_0"), data)  # a slice of the caller's bytes, not a copy


def test_unsupported_types_are_listed_and_refused_when_read(tmp_path):
    tensors = {
        "ok": (np.ones((2, 32), np.float32), None),
        "k4": (np.zeros((2, 144), np.uint8), Q.Q4_K),
        "k6": (np.zeros((1, 210), np.uint8), Q.Q6_K),
        "i8": (np.arange(4, dtype=np.int8), None),
    }
    f = read_gguf(write_gguf(tmp_path / "k.gguf", tensors, metadata=[]))
    assert f.unsupported_tensors() == {"k4": "Q4_K", "k6": "Q6_K", "i8": "I8"}
    assert f.tensors["k4"].shape == (2, 256) and f.tensors["k4"].n_bytes == 288
    assert f.tensor("ok").tolist() == [[1.0] * 32] * 2
    with pytest.raises(ValueError, match="tensor 'k4' is stored as Q4_K, which this reader cannot dequantize"):
        f.tensor("k4")
    with pytest.raises(ValueError, match="tensor 'i8' is stored as I8"):
        f.tensor("i8")
    with pytest.raises(ValueError, match="no tensor named 'missing'"):
        f.tensor("missing")


# --- malformed files ----------------------------------------------------------------------------------------


def gguf_string(text):  # -> bytes: uint64 length + UTF-8
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(data)) + data


def tensor_info(name, dims, type_id, offset):  # -> bytes of one tensor info, dims in ggml order
    return (
        gguf_string(name)
        + struct.pack("<I", len(dims))
        + struct.pack(f"<{len(dims)}Q", *dims)
        + struct.pack("<IQ", type_id, offset)
    )


def handmade_gguf(kvs=(), infos=(), data=b"", version=3, alignment=32):  # -> bytes of a whole file
    head = b"GGUF" + struct.pack("<IQQ", version, len(infos), len(kvs)) + b"".join(kvs) + b"".join(infos)
    return head + bytes(-len(head) % alignment) + data


def test_handmade_file_reads():
    kv = gguf_string("a.b") + struct.pack("<Ii", 5, -7)
    f = read_gguf(handmade_gguf([kv], [tensor_info("w", [2, 3], 0, 0)], struct.pack("<6f", *range(6))))
    assert f.metadata == {"a.b": -7}
    assert f.tensor("w").tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]  # dims [2, 3] -> shape (3, 2)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"PK\x03\x04" + bytes(20), re.escape("not a GGUF file: starts with b'PK\\x03\\x04', not b'GGUF'")),
        (b"ggml" + bytes(20), "not a GGUF file: starts with b'ggml'"),
        (
            b"GG",
            "truncated GGUF file: reading the magic b'GGUF' needs 4 bytes at offset 0, but the file ends at byte 2",
        ),
        (b"", "truncated GGUF file: reading the magic"),
        (handmade_gguf(version=2), "unsupported GGUF version 2: this reader reads version 3 only"),
        (handmade_gguf(version=1), "unsupported GGUF version 1"),
        (handmade_gguf(version=4), "unsupported GGUF version 4"),
        (handmade_gguf(version=3 << 24), "unsupported GGUF version 50331648: .* big-endian"),
        (
            handmade_gguf([gguf_string("x.y") + struct.pack("<I", 13)]),
            "metadata 'x.y' has unknown metadata value type 13",
        ),
        (
            handmade_gguf([gguf_string("x.y") + struct.pack("<IIQ", 9, 99, 1)]),
            "metadata 'x.y' has unknown metadata value type 99",
        ),
        (handmade_gguf([gguf_string("x.y") + struct.pack("<IB", 0, 1)] * 2), "metadata key 'x.y' appears twice"),
        (
            handmade_gguf([gguf_string("x.y") + struct.pack("<I", 8) + gguf_string(b"\xff")]),
            "metadata 'x.y' is not valid UTF-8",
        ),
        (
            handmade_gguf([gguf_string("general.alignment") + struct.pack("<II", 4, 48)]),
            "general.alignment must be a power of 2, got 48",
        ),
        (
            handmade_gguf(infos=[tensor_info("w", [32], 0, 16)], data=bytes(256)),
            re.escape("tensor 'w' starts at offset 16, which is not a multiple of the alignment (32)"),
        ),
        (handmade_gguf(infos=[tensor_info("w", [32], 99, 0)], data=bytes(128)), "tensor 'w' has unknown ggml type 99"),
        (
            handmade_gguf(infos=[tensor_info("w", [33], 2, 0)], data=bytes(128)),
            "tensor 'w' has rows of 33 values, not whole Q4_0 blocks of 32",
        ),
        (
            handmade_gguf(infos=[tensor_info("w", [1] * 5, 0, 0)], data=bytes(32)),
            "tensor 'w' has 5 dimensions; GGUF allows at most 4",
        ),
        (handmade_gguf(infos=[tensor_info("w", [1], 0, 0)] * 2, data=bytes(32)), "tensor name 'w' appears twice"),
        (
            handmade_gguf(infos=[tensor_info("w", [32, 2], 8, 0)], data=bytes(67)),
            "truncated GGUF file: reading the data of tensor 'w' needs 68 bytes at offset 96, but the file ends at byte 163",
        ),
    ],
)
def test_malformed_files(data, message):
    with pytest.raises(ValueError, match=message):
        read_gguf(data)


def test_every_truncation_says_what_it_was_reading(written, tmp_path):
    path, tensors = written[None]
    data = path.read_bytes()
    f = read_gguf(data)
    last = f.tensors[list(tensors)[-1]]
    end = f.data_start + last.offset + last.n_bytes  # after it, only the writer's padding
    assert read_gguf(data[:end]).tensors == f.tensors
    expected = {
        0: "the magic b'GGUF'",
        3: "the magic b'GGUF'",
        5: "the version",
        9: "the tensor count",
        20: "the metadata count",
        24: "metadata key 0",
        40: "metadata key 0",  # "general.architecture": length 24-31, text 32-51
        54: "the type of metadata 'general.architecture'",
        60: "metadata 'general.architecture'",
        end - 1: f"the data of tensor '{last.name}'",
    }
    for cut in range(end):
        with pytest.raises(
            ValueError,
            match=rf"^truncated GGUF file: reading (.+) needs \d+ bytes at offset \d+, "
            rf"but the file ends at byte {cut}$",
        ) as error:
            read_gguf(data[:cut])
        if cut in expected:
            assert error.match(f"reading {re.escape(expected[cut])} needs")
    (tmp_path / "cut.gguf").write_bytes(data[: data.index("Ġthe".encode()) + 2])
    with pytest.raises(ValueError, match="truncated GGUF file: reading metadata 't.strings' needs"):
        read_gguf(tmp_path / "cut.gguf")  # the same from a path
    (tmp_path / "empty.gguf").write_bytes(b"")
    with pytest.raises(ValueError, match="truncated GGUF file: reading the magic"):
        read_gguf(tmp_path / "empty.gguf")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_corrupted_bytes_raise_value_errors_only(written, data):
    original = bytearray(written[None][0].read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        original[data.draw(st.integers(0, 600))] = data.draw(st.integers(0, 255))
    try:
        f = read_gguf(bytes(original))
        for name in f.tensors:
            f.tensor(name)
    except ValueError:
        pass


# --- SmolLM2-135M-Instruct, read here and by gguf-py's GGUFReader ------------------------------------------


@pytest.fixture(scope="module")
def smollm2(smollm2_gguf):  # -> (GGUFFile, gguf.GGUFReader)
    return read_gguf(smollm2_gguf), gguf.GGUFReader(smollm2_gguf)


def test_smollm2_metadata(smollm2):
    f, reader = smollm2
    m = f.metadata
    assert f.version == 3 and len(f.tensors) == 272 and len(m) == 33
    assert m["general.architecture"] == "llama" and m["llama.block_count"] == 30
    assert m["llama.embedding_length"] == 576 and m["llama.feed_forward_length"] == 1536
    assert (m["llama.attention.head_count"], m["llama.attention.head_count_kv"]) == (9, 3)
    assert m["llama.rope.freq_base"] == 100000.0
    assert len(m["tokenizer.ggml.tokens"]) == 49152 and len(m["tokenizer.ggml.merges"]) == 48900
    assert m["tokenizer.ggml.token_type"].dtype == np.int32 and m["tokenizer.ggml.token_type"].shape == (49152,)
    assert m["tokenizer.chat_template"].startswith("{% for message in messages %}")
    for key, field in reader.fields.items():  # every value, as GGUFReader reads it
        if not key.startswith("GGUF."):
            value, expected = m[key], field.contents()
            if isinstance(value, float):  # a float32 in the file: GGUFReader keeps it as float32
                value, expected = np.float32(value), np.float32(expected)
            assert (value.tolist() if isinstance(value, np.ndarray) else value) == expected, key


def test_smollm2_tensors(smollm2):
    f, reader = smollm2
    assert Counter(info.type for info in f.tensors.values()) == {"Q4_1": 210, "F32": 61, "Q8_0": 1}
    assert f.tensors["token_embd.weight"].shape == (49152, 576) and f.unsupported_tensors() == {}
    for t in reader.tensors:
        info = f.tensors[t.name]
        assert (info.shape, info.type, f.data_start + info.offset, info.n_bytes) == (
            tuple(int(n) for n in reversed(t.shape)),
            t.tensor_type.name,
            t.data_offset,
            t.n_bytes,
        )
    by_name = {t.name: t for t in reader.tensors}
    for name in ("token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_norm.weight"):
        t = by_name[name]
        expected = gguf.quants.dequantize(t.data, t.tensor_type)  # gguf-py's own dequantization
        assert np.array_equal(f.tensor(name), expected.reshape(f.tensors[name].shape)), name
