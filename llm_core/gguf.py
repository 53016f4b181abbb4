"""GGUF: the file llama.cpp runs models from, read with numpy: metadata, tensors, and their blocks.

Glassbox's tiny model is an .npz; open models are shipped as GGUF files (ggml-org/ggml, docs/gguf.md),
one file with everything a runtime needs, little-endian throughout:

    b"GGUF" | version: uint32 (3) | tensor_count: uint64 | metadata_kv_count: uint64
    metadata_kv_count x   key: string | value_type: uint32 | value
    tensor_count x        name: string | n_dims: uint32 | dims: uint64 x n_dims | ggml type: uint32
                          | offset: uint64 (from the start of the data section)
    zero padding up to a multiple of `general.alignment` (32 unless the metadata says otherwise)
    the data section: each tensor's bytes at its offset, every offset a multiple of the alignment

A string is a uint64 byte count and that many bytes of UTF-8. An array value is its element type
(uint32), a uint64 count and the elements; arrays of arrays are allowed. Numeric arrays are read in
one np.frombuffer each, so SmolLM2's 49,152 token types cost no more than one number.

subtle: dims are in ggml's order, fastest-varying first: ne[0] is the length of a row, the contiguous
axis. numpy names axes slowest first, so the numpy shape is the dims reversed: token_embd.weight,
dims [576, 49152], is read as a (49152, 576) array, one row of d_model values per token.

Tensors are stored as F32, F16, BF16 or in blocks of 32 consecutive values of a row, each block with
its own fp16 scale (ggml-common.h): Q8_0 (8.5 bits a weight), Q4_0 (4.5), Q4_1 (5). dequantize_* are
llama.cpp's dequantize_row_* (ggml-quants.c) in numpy, quantize_* its quantize_row_*_ref, byte for byte.
Other types (the K-quants Q4_K, Q6_K, ..., the IQ types) are listed but raise a ValueError when read.

>>> block = quantize_q4_1(np.arange(32, dtype=np.float32) % 16)  # min 0, max 15: step d = 1
>>> block[:4].tolist(), block[4:6].tolist()  # fp16 d = 1.0 (0x3C00), fp16 m = 0.0, then the nibbles
([0, 60, 0, 0], [0, 17])
>>> dequantize_q4_1(block)[:5].tolist()  # d * q + m
[0.0, 1.0, 2.0, 3.0, 4.0]
"""

import math
import os
import struct
from dataclasses import dataclass, field, replace

import numpy as np

from .bpe_merges import encoding_from_gguf_metadata
from .data import data_dir
from .model import Model, ModelConfig, n_params, weight_shapes

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4  # ggml tensors have at most 4 axes (GGML_MAX_DIMS)

# Metadata value types (gguf.h, enum gguf_type): id -> (name, struct format of one value).
VALUE_TYPES = {
    0: ("uint8", "B"),
    1: ("int8", "b"),
    2: ("uint16", "H"),
    3: ("int16", "h"),
    4: ("uint32", "I"),
    5: ("int32", "i"),
    6: ("float32", "f"),
    7: ("bool", "?"),
    8: ("string", None),
    9: ("array", None),
    10: ("uint64", "Q"),
    11: ("int64", "q"),
    12: ("float64", "d"),
}
STRING, ARRAY = 8, 9

# Tensor types (ggml.h, enum ggml_type): id -> (name, values per block, bytes per block), as ggml.c's
# type_traits give them. Ids 4, 5 and 31-33 belonged to types ggml has since removed.
GGML_TYPES = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 18),
    3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34),
    9: ("Q8_1", 32, 36),
    10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
    40: ("NVFP4", 64, 36),
    41: ("Q1_0", 128, 18),
}

# The blocks, as ggml-common.h declares them (packed, little-endian): numpy reads a whole tensor of
# blocks with one np.frombuffer, and each field is then an array over all blocks at once.
BLOCK_Q8_0 = np.dtype([("d", "<f2"), ("qs", "i1", 32)])  # 2 + 32 = 34 bytes
BLOCK_Q4_0 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # 2 + 16 = 18 bytes
BLOCK_Q4_1 = np.dtype([("d", "<f2"), ("m", "<f2"), ("qs", "u1", 16)])  # 2 + 2 + 16 = 20 bytes
QK = 32  # values per block in Q8_0, Q4_0 and Q4_1


# --- the blocks --------------------------------------------------------------------------------------


def as_blocks(data, block, type_name):  # uint8 [..., n_block * block.itemsize] -> block [..., n_block]
    """View raw bytes (bytes, memoryview or a uint8 array) as an array of `block` records, without a copy."""
    data = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    if data.dtype != np.uint8 or data.ndim == 0 or data.shape[-1] % block.itemsize:
        raise ValueError(
            f"{type_name} data must be uint8 bytes, whole blocks of {block.itemsize} bytes "
            f"along the last axis; got {data.dtype} of shape {data.shape}"
        )
    return np.ascontiguousarray(data).view(block)


def unpack_nibbles(qs):  # uint8 [..., 16] -> uint8 [..., 32]
    """A block's 32 four-bit codes: byte j holds value j in its low 4 bits, value j + 16 in its high 4.

    subtle: not quantization.pack_int4's order (values 2i and 2i + 1 share a byte): ggml keeps the two
    halves of a block apart, so SIMD code unpacks 16 values with one mask and 16 with one shift.
    """
    return np.concatenate([qs & 0x0F, qs >> 4], axis=-1)


def pack_nibbles(q):  # uint8 [..., 32] in [0, 15] -> uint8 [..., 16]
    """unpack_nibbles undone: value j into the low nibble of byte j, value j + 16 into its high nibble."""
    return q[..., :16] | (q[..., 16:] << 4)


def flatten_blocks(values):  # float32 [..., n_block, 32] -> float32 [..., n_block * 32]
    return values.reshape(*values.shape[:-2], -1)


def dequantize_f32(data):  # uint8 [..., 4n] -> float32 [..., n]
    """F32: 4 bytes a value, IEEE single precision. Returned as a copy (never a view of the file)."""
    return as_blocks(data, np.dtype("<f4"), "F32").astype(np.float32)


def dequantize_f16(data):  # uint8 [..., 2n] -> float32 [..., n]
    """F16: 2 bytes a value, IEEE half precision (1 sign, 5 exponent, 10 mantissa bits)."""
    return as_blocks(data, np.dtype("<f2"), "F16").astype(np.float32)


def dequantize_bf16(data):  # uint8 [..., 2n] -> float32 [..., n]
    """BF16: 2 bytes a value, the top half of a float32, so a 16-bit shift restores it exactly."""
    bits = as_blocks(data, np.dtype("<u2"), "BF16").astype(np.uint32) << 16
    return bits.view(np.float32)


def dequantize_q8_0(data):  # uint8 [..., n_block * 34] -> float32 [..., n_block * 32]
    """Q8_0: blocks of 34 bytes for 32 values: fp16 scale d (bytes 0-1), then 32 int8 codes q.

    x = d * q, with d = max|x| / 127 chosen by the quantizer (8.5 bits a weight).
    """
    blocks = as_blocks(data, BLOCK_Q8_0, "Q8_0")  # [..., n_block]
    x = blocks["qs"].astype(np.float32)  # [..., n_block, 32]
    x *= blocks["d"].astype(np.float32)[..., None]  # in place: one float32 copy of the tensor, not two
    return flatten_blocks(x)


def dequantize_q4_0(data):  # uint8 [..., n_block * 18] -> float32 [..., n_block * 32]
    """Q4_0: blocks of 18 bytes for 32 values: fp16 scale d (bytes 0-1), then 16 bytes of 4-bit codes.

    Byte 2 + j holds code j in its low nibble and code j + 16 in its high nibble. The codes 0..15 stand
    for -8..7: x = d * (q - 8) (4.5 bits a weight).
    """
    blocks = as_blocks(data, BLOCK_Q4_0, "Q4_0")  # [..., n_block]
    x = (unpack_nibbles(blocks["qs"]).astype(np.int8) - 8).astype(np.float32)  # [..., n_block, 32]: -8..7
    x *= blocks["d"].astype(np.float32)[..., None]  # d is [..., n_block, 1]
    return flatten_blocks(x)


def dequantize_q4_1(data):  # uint8 [..., n_block * 20] -> float32 [..., n_block * 32]
    """Q4_1: blocks of 20 bytes for 32 values: fp16 scale d, fp16 minimum m, 16 bytes of 4-bit codes.

    Nibbles as in Q4_0 (byte 4 + j: code j low, code j + 16 high). x = d * q + m with q in 0..15: the
    16 levels span the block's own [min, max] instead of a range symmetric around 0 (5 bits a weight).
    """
    blocks = as_blocks(data, BLOCK_Q4_1, "Q4_1")  # [..., n_block]
    x = unpack_nibbles(blocks["qs"]).astype(np.float32)  # [..., n_block, 32]: 0..15
    x *= blocks["d"].astype(np.float32)[..., None]  # d and m are [..., n_block, 1]
    x += blocks["m"].astype(np.float32)[..., None]
    return flatten_blocks(x)


DEQUANTIZE = {
    "F32": dequantize_f32,
    "F16": dequantize_f16,
    "BF16": dequantize_bf16,
    "Q8_0": dequantize_q8_0,
    "Q4_0": dequantize_q4_0,
    "Q4_1": dequantize_q4_1,
}


def split_blocks(x):  # float [..., n] (n a multiple of 32) -> float32 [..., n // 32, 32]
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0 or x.shape[-1] % QK:
        raise ValueError(f"rows must hold a multiple of {QK} values (whole blocks), got shape {x.shape}")
    return x.reshape(*x.shape[:-1], x.shape[-1] // QK, QK)  # [..., n] -> [..., n_block, 32]


def reciprocal(d):  # float32 [...] -> float32 [...]
    """1 / d, and 0 where d is 0 (an all-zero block: every code then encodes 0)."""
    with np.errstate(divide="ignore"):
        return np.where(d == 0, np.float32(0), np.float32(1) / d)


def round_half_away(v):  # float32 [...] -> float32 [...]
    """C's roundf: halves away from zero (np.round sends them to the even neighbour)."""
    a = np.abs(v)
    whole = np.floor(a)
    return np.sign(v) * (whole + (a - whole >= 0.5))  # a - whole is exact in float32


def block_bytes(blocks):  # structured [..., n_block] -> uint8 [..., n_block * itemsize]
    return blocks.view(np.uint8).reshape(*blocks.shape[:-1], -1)


def quantize_q8_0(x):  # float [..., n] -> uint8 [..., n // 32 * 34]
    """Q8_0 blocks of x, as llama.cpp's quantize_row_q8_0_ref: d = max|x| / 127, q = roundf(x / d).

    Rounding errs by at most d / 2, plus |q| times the error of storing d in fp16.
    """
    values = split_blocks(x)  # [..., n_block, 32]
    d = np.abs(values).max(axis=-1) / np.float32(127)  # [..., n_block]
    blocks = np.empty(d.shape, dtype=BLOCK_Q8_0)
    blocks["d"] = d  # rounded to fp16 (to nearest, ties to even, as GGML_FP32_TO_FP16)
    blocks["qs"] = round_half_away(values * reciprocal(d)[..., None])
    return block_bytes(blocks)


def quantize_q4_0(x):  # float [..., n] -> uint8 [..., n // 32 * 18]
    """Q4_0 blocks of x, as llama.cpp's quantize_row_q4_0_ref.

    The value of largest magnitude, sign kept, sets d = max / -8, so it lands exactly on code 0
    (-8 * d = max); the codes are q = min(15, trunc(x / d + 8.5)), i.e. x / d rounded (halves up) and
    shifted to 0..15. The grid -8..7 is lopsided: a value near -max wants +8 and is clipped to 7, an
    error of up to one step |d|; every other value errs by at most |d| / 2 (plus the fp16 rounding of d).

    subtle: ggml's C computes x * (1 / d) + 8.5 in float32; a compiler that fuses it into one FMA can
    round a value lying almost exactly on a half step the other way. This is the unfused arithmetic, as
    in the gguf Python package.
    """
    values = split_blocks(x)  # [..., n_block, 32]
    at_max = np.abs(values).argmax(axis=-1)[..., None]  # [..., n_block, 1]: the first largest |x|
    d = np.take_along_axis(values, at_max, axis=-1)[..., 0] / np.float32(-8)  # [..., n_block]
    q = np.minimum(np.trunc(values * reciprocal(d)[..., None] + np.float32(8.5)), 15)
    blocks = np.empty(d.shape, dtype=BLOCK_Q4_0)
    blocks["d"] = d
    blocks["qs"] = pack_nibbles(q.astype(np.uint8))
    return block_bytes(blocks)


def quantize_q4_1(x):  # float [..., n] -> uint8 [..., n // 32 * 20]
    """Q4_1 blocks of x, as llama.cpp's quantize_row_q4_1_ref.

    m = min, d = (max - min) / 15, q = min(15, trunc((x - m) / d + 0.5)): 16 levels from the block's
    minimum to its maximum, so the rounding error is at most d / 2 (plus the fp16 rounding of d and m).
    """
    values = split_blocks(x)  # [..., n_block, 32]
    low, high = values.min(axis=-1), values.max(axis=-1)  # [..., n_block]
    d = (high - low) / np.float32(15)
    q = np.minimum(np.trunc((values - low[..., None]) * reciprocal(d)[..., None] + np.float32(0.5)), 15)
    blocks = np.empty(d.shape, dtype=BLOCK_Q4_1)
    blocks["d"], blocks["m"] = d, low
    blocks["qs"] = pack_nibbles(q.astype(np.uint8))
    return block_bytes(blocks)


# --- the file ----------------------------------------------------------------------------------------

SCALARS = {fmt: struct.Struct("<" + fmt) for _, fmt in VALUE_TYPES.values() if fmt}
UINT32, UINT64 = SCALARS["I"], SCALARS["Q"]


def need(buf, pos, n, what):
    """Raise the ValueError of a truncated file unless n bytes are left at pos."""
    if pos + n > len(buf):
        raise ValueError(
            f"truncated GGUF file: reading {what} needs {n} bytes at offset {pos}, but the file ends at byte {len(buf)}"
        )


def read_scalar(buf, pos, scalar, what):  # -> (int | float | bool, pos after it)
    need(buf, pos, scalar.size, what)
    return scalar.unpack_from(buf, pos)[0], pos + scalar.size


def read_string(buf, pos, what):  # -> (str, pos after it)
    """A uint64 byte count, then that many bytes of UTF-8."""
    n, pos = read_scalar(buf, pos, UINT64, what)
    need(buf, pos, n, what)
    try:
        return str(buf[pos : pos + n], "utf-8"), pos + n
    except UnicodeDecodeError as error:
        raise ValueError(f"{what} is not valid UTF-8 ({error.reason} at byte {pos + error.start})") from None


def read_value(buf, pos, value_type, what):  # -> (value, pos after it)
    """One metadata value: a Python scalar or str, a numpy array for numbers, a list otherwise."""
    if value_type == STRING:
        return read_string(buf, pos, what)
    if value_type == ARRAY:
        item_type, pos = read_scalar(buf, pos, UINT32, what)
        n, pos = read_scalar(buf, pos, UINT64, what)
        return read_array(buf, pos, item_type, n, what)
    return read_scalar(buf, pos, SCALARS[scalar_format(value_type, what)], what)


def read_array(buf, pos, item_type, n, what):  # -> (array or list of n items, pos after it)
    if item_type == STRING:
        strings = []
        for _ in range(n):
            string, pos = read_string(buf, pos, what)
            strings.append(string)
        return strings, pos
    if item_type == ARRAY:
        items = []
        for i in range(n):
            item, pos = read_value(buf, pos, ARRAY, f"{what}[{i}]")
            items.append(item)
        return items, pos
    fmt = scalar_format(item_type, what)
    dtype = np.dtype("<u1" if fmt == "?" else "<" + fmt)  # bools: any nonzero byte is true, as in C
    need(buf, pos, n * dtype.itemsize, what)
    end = pos + n * dtype.itemsize
    values = np.frombuffer(buf[pos:end], dtype=dtype).copy()  # a copy: metadata outlives the file's map
    return (values != 0 if fmt == "?" else values), end


def scalar_format(value_type, what):  # -> struct format
    if value_type not in VALUE_TYPES:
        raise ValueError(f"{what} has unknown metadata value type {value_type} (GGUF v3 defines 0..{max(VALUE_TYPES)})")
    return VALUE_TYPES[value_type][1]


def read_header(buf):  # -> (version, tensor_count, metadata_kv_count, pos after the header)
    """b"GGUF", the version, and the two counts."""
    if bytes(buf[:4]) != GGUF_MAGIC:
        if GGUF_MAGIC.startswith(bytes(buf[:4])):
            need(buf, 0, 4, "the magic b'GGUF'")
        raise ValueError(f"not a GGUF file: starts with {bytes(buf[:4])!r}, not b'GGUF'")
    version, pos = read_scalar(buf, 4, UINT32, "the version")
    if version != GGUF_VERSION:
        hint = " (a big-endian file? this reader reads little-endian ones)" if version & 0xFFFF == 0 else ""
        raise ValueError(f"unsupported GGUF version {version}: this reader reads version {GGUF_VERSION} only{hint}")
    tensor_count, pos = read_scalar(buf, pos, UINT64, "the tensor count")
    kv_count, pos = read_scalar(buf, pos, UINT64, "the metadata count")
    return version, tensor_count, kv_count, pos


def read_metadata(buf, pos, kv_count):  # -> ({key: value}, pos after the metadata)
    metadata = {}
    for i in range(kv_count):
        key, pos = read_string(buf, pos, f"metadata key {i}")
        if key in metadata:
            raise ValueError(f"metadata key {key!r} appears twice")
        value_type, pos = read_scalar(buf, pos, UINT32, f"the type of metadata {key!r}")
        metadata[key], pos = read_value(buf, pos, value_type, f"metadata {key!r}")
    return metadata, pos


@dataclass(frozen=True)
class TensorInfo:
    """Where a tensor's bytes are in the file, and how to read them."""

    name: str
    shape: tuple  # numpy shape: the file's ggml dims reversed (dims[0], the row length, comes last)
    type: str  # ggml type name: "F32", "Q4_1", ...
    offset: int  # where its bytes start, counted from the start of the data section (as stored)
    n_bytes: int  # n_values / values per block * bytes per block


def read_tensor_info(buf, pos, i):  # -> (TensorInfo, pos after it)
    """name, n_dims, dims (ggml order), ggml type id, offset."""
    name, pos = read_string(buf, pos, f"the name of tensor {i}")
    what = f"the info of tensor {name!r}"
    n_dims, pos = read_scalar(buf, pos, UINT32, what)
    if n_dims > MAX_DIMS:
        raise ValueError(f"tensor {name!r} has {n_dims} dimensions; GGUF allows at most {MAX_DIMS}")
    need(buf, pos, 8 * n_dims, what)
    dims = struct.unpack_from(f"<{n_dims}Q", buf, pos)
    type_id, pos = read_scalar(buf, pos + 8 * n_dims, UINT32, what)
    offset, pos = read_scalar(buf, pos, UINT64, what)
    if type_id not in GGML_TYPES:
        raise ValueError(f"tensor {name!r} has unknown ggml type {type_id}")
    type_name, block_size, type_size = GGML_TYPES[type_id]
    if dims and dims[0] % block_size:
        raise ValueError(f"tensor {name!r} has rows of {dims[0]} values, not whole {type_name} blocks of {block_size}")
    n_bytes = math.prod(dims) // block_size * type_size
    return TensorInfo(name, tuple(reversed(dims)), type_name, offset, n_bytes), pos


@dataclass(frozen=True, eq=False)
class GGUFFile:
    """An opened GGUF file: its metadata and tensor list are parsed; tensor data is read on demand."""

    version: int
    metadata: dict  # {key: int | float | bool | str | numpy array | list}, in file order
    tensors: dict  # {name: TensorInfo}, in file order
    alignment: int  # every tensor offset is a multiple of it (general.alignment, default 32)
    data_start: int  # byte position of the data section in the file
    buffer: memoryview = field(repr=False)  # the whole file (a memory map when read from a path)

    def info(self, name):  # -> TensorInfo
        if name not in self.tensors:
            raise ValueError(
                f"no tensor named {name!r} in this file (it has {len(self.tensors)}, such as "
                f"{next(iter(self.tensors), None)!r})"
            )
        return self.tensors[name]

    def tensor_bytes(self, name):  # -> uint8 [n_bytes], a read-only view of the file
        """The tensor's bytes as stored (quantized blocks included), without reading any other tensor."""
        info = self.info(name)
        start = self.data_start + info.offset
        return np.frombuffer(self.buffer[start : start + info.n_bytes], dtype=np.uint8)

    def tensor(self, name):  # -> float32 [*shape]
        """The tensor, dequantized to float32 in its numpy shape."""
        info = self.info(name)
        if info.type not in DEQUANTIZE:
            raise ValueError(
                f"tensor {name!r} is stored as {info.type}, which this reader cannot "
                f"dequantize (it reads {', '.join(DEQUANTIZE)})"
            )
        return DEQUANTIZE[info.type](self.tensor_bytes(name)).reshape(info.shape)

    def unsupported_tensors(self):  # -> {name: type name}
        """The tensors whose type tensor() cannot dequantize (empty when the whole model can be read)."""
        return {name: info.type for name, info in self.tensors.items() if info.type not in DEQUANTIZE}


def parse_gguf(buf, file_size=None):  # memoryview of the file (or of its first bytes) -> GGUFFile
    """file_size: the whole file's size when buf holds only its beginning (to check a file before reading
    it all): the tensors are then checked against file_size, and only the metadata and tensor list are
    read from buf."""
    version, tensor_count, kv_count, pos = read_header(buf)
    metadata, pos = read_metadata(buf, pos, kv_count)
    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not (isinstance(alignment, int) and alignment > 0 and alignment & (alignment - 1) == 0):
        raise ValueError(f"general.alignment must be a power of 2, got {alignment!r}")
    tensors = {}
    for i in range(tensor_count):
        info, pos = read_tensor_info(buf, pos, i)
        if info.name in tensors:
            raise ValueError(f"tensor name {info.name!r} appears twice")
        tensors[info.name] = info
    data_start = -(-pos // alignment) * alignment  # the padding: round up to the alignment
    for info in tensors.values():
        if info.offset % alignment:
            raise ValueError(
                f"tensor {info.name!r} starts at offset {info.offset}, which is not a "
                f"multiple of the alignment ({alignment})"
            )
        start, size = data_start + info.offset, len(buf) if file_size is None else file_size
        if start + info.n_bytes > size:  # as need(), against the whole file's size
            raise ValueError(
                f"truncated GGUF file: reading the data of tensor {info.name!r} needs "
                f"{info.n_bytes} bytes at offset {start}, but the file ends at byte {size}"
            )
    return GGUFFile(version, metadata, tensors, alignment, data_start, buf)


def read_gguf(source):  # path or bytes-like -> GGUFFile
    """Open a GGUF file: parse its header, metadata and tensor list; tensor data stays where it is.

    source: a path (the file is memory-mapped: tensor(name) touches only that tensor's pages), or the
    file's bytes (bytes, bytearray, memoryview, a uint8 array; sliced without copies). A malformed file
    raises a ValueError saying what was being read. For example, with SmolLM2's file:

        f = read_gguf("SmolLM2-135M-Instruct.Q4_1.gguf")
        f.metadata["llama.embedding_length"]   # 576
        f.tensors["token_embd.weight"].shape   # (49152, 576): n_vocab rows of d_model
        f.tensor("blk.0.attn_q.weight")        # float32 (576, 576), dequantized from Q4_1
    """
    if isinstance(source, (str, os.PathLike)):
        if os.path.getsize(source) == 0:  # np.memmap refuses empty files
            buf = memoryview(b"")
        else:
            buf = memoryview(np.memmap(source, dtype=np.uint8, mode="r"))
    else:
        buf = memoryview(source).cast("B")
    return parse_gguf(buf)


# -- a Llama-architecture model from a GGUF file -------------------------------------------------

# The tensors of one block: llm_core's name -> the GGUF name (llama.cpp's naming), for x @ w after .T
LLAMA_LAYER_TENSORS = {
    "attn_norm": "attn_norm",
    "wq": "attn_q",
    "wk": "attn_k",
    "wv": "attn_v",
    "wo": "attn_output",
    "ffn_norm": "ffn_norm",
    "w_gate": "ffn_gate",
    "w_up": "ffn_up",
    "w_down": "ffn_down",
}
DEFAULT_N_CTX = 2048  # positions the KV cache holds unless asked: 2 * 30 * 3 * 64 * 2048 * 4 B = 94 MB for SmolLM2
# In the page a KV cache is allocated per generation and a prompt's is kept for the next slider move: the
# site's copy of SmolLM2 reads up to 1,024 tokens (47 MB of cache instead of 94), room for a long chat.
DATA_MODEL_N_CTX = 1024


def config_from_gguf(metadata, n_ctx=None):  # -> ModelConfig
    """The model's shape from a llama-architecture GGUF's metadata (llama.cpp's key names).

    n_ctx: how many positions to allow (the KV cache is allocated for all of them); default the
    trained context or DEFAULT_N_CTX, whichever is smaller. The file's tensors decide tied_embeddings
    (see load_gguf), not the metadata.
    """
    arch = metadata.get("general.architecture")
    if arch != "llama":
        raise ValueError(f"this GGUF holds a {arch!r} model; llm_core runs the 'llama' architecture only")

    def key(name, default=None):
        value = metadata.get(f"llama.{name}", default)
        if value is None:
            raise ValueError(f"the GGUF's metadata has no llama.{name}")
        return value

    n_head = int(key("attention.head_count"))
    d_model = int(key("embedding_length"))
    d_head = int(key("rope.dimension_count", d_model // n_head))
    if d_head * n_head != d_model and "llama.attention.key_length" not in metadata:
        raise ValueError(f"heads of {d_head} x {n_head} do not fill d_model = {d_model}")
    d_head = int(metadata.get("llama.attention.key_length", d_head))
    scaling = metadata.get("llama.rope.scaling.type", "none")
    if scaling not in ("none", None):
        raise ValueError(f"RoPE scaling {scaling!r} is not supported (llm_core runs unscaled RoPE)")
    trained_ctx = int(key("context_length"))
    n_vocab = int(metadata.get("llama.vocab_size", len(metadata.get("tokenizer.ggml.tokens", ()))))
    return ModelConfig(
        n_vocab=n_vocab,
        n_ctx=int(n_ctx) if n_ctx is not None else min(trained_ctx, DEFAULT_N_CTX),
        d_model=d_model,
        n_layer=int(key("block_count")),
        n_head=n_head,
        n_kv_head=int(key("attention.head_count_kv", n_head)),
        d_head=d_head,
        d_ff=int(key("feed_forward_length")),
        rope_base=float(key("rope.freq_base", 10000.0)),
        norm_eps=float(key("attention.layer_norm_rms_epsilon", 1e-5)),
    )


def rope_rows_to_halves(w, n_head):  # [n_head * d_head, d_in] -> same shape
    """Undo llama.cpp's permutation of a query or key matrix's rows, back to the rotate-half layout.

    RoPE rotates pairs of a head's coordinates; which coordinates form a pair is a convention. Hugging
    Face's Llama (and llm_core.rope) pairs coordinate i with i + d_head/2 ("rotate half"); ggml rotates
    neighbours (2i, 2i + 1), as Meta's original Llama code did. A checkpoint trained in one layout runs
    in the other if the rows of W_q and W_k that make each head's coordinates are reordered, so that the
    coordinates a pair needs sit where the other convention expects them; llama.cpp's converter
    (convert_hf_to_gguf.py, `permute`) does exactly this to Hugging Face weights: within each head, row
    i goes to 2i and row i + d_head/2 to 2i + 1. Here it is undone, so the GGUF's weights run through
    the same attention code as every other model in Glassbox. Scores are unchanged: q . k sums over the
    same coordinate products in another order (tests prove it on the real file).
    """
    rows, d_in = w.shape
    d_head = rows // n_head
    # row h*d_head + 2i + j (pair i, member j) -> [h, i, j] -> [h, j, i] -> row h*d_head + j*d_head/2 + i
    return w.reshape(n_head, d_head // 2, 2, d_in).swapaxes(1, 2).reshape(rows, d_in)


def rope_rows_to_pairs(w, n_head):  # [n_head * d_head, d_in] -> same shape
    """What llama.cpp's converter does (the inverse of rope_rows_to_halves): halves -> neighbour pairs."""
    rows, d_in = w.shape
    d_head = rows // n_head
    return w.reshape(n_head, 2, d_head // 2, d_in).swapaxes(1, 2).reshape(rows, d_in)


def layer_weights_from_gguf(gguf, cfg, i):  # -> {"layers.{i}.name": float32 array}, laid out for x @ w
    """Block i's weights, dequantized to float32, in llm_core's names and layout.

    GGUF matrices are [d_out, d_in] (a row per output); llm_core multiplies x @ w with w [d_in, d_out],
    so each is transposed, which leaves it column-major: the layout numpy without BLAS multiplies fastest
    (see model.load_weights). Query and key rows are put back in the rotate-half layout.
    """
    weights = {}
    for name, gguf_name in LLAMA_LAYER_TENSORS.items():
        w = gguf.tensor(f"blk.{i}.{gguf_name}.weight")
        if name == "wq":
            w = rope_rows_to_halves(w, cfg.n_head)
        elif name == "wk":
            w = rope_rows_to_halves(w, cfg.n_kv_head)
        weights[f"layers.{i}.{name}"] = w.T if w.ndim == 2 else w
    return weights


def outer_weights_from_gguf(gguf):  # -> {"tok_emb", "final_norm"[, "lm_head"]: float32 array}
    """The embedding table (row-major: rows are looked up), the final norm, and the unembedding if the
    file has its own (output.weight); without it the unembedding is the embedding, transposed (tied)."""
    weights = {"tok_emb": gguf.tensor("token_embd.weight"), "final_norm": gguf.tensor("output_norm.weight")}
    if "output.weight" in gguf.tensors:
        weights["lm_head"] = gguf.tensor("output.weight").T
    return weights


def check_runnable(gguf, n_ctx=None, max_weight_bytes=None):  # -> (ModelConfig, encoding)
    """Everything that can refuse a file, from its metadata and tensor list alone (no weight is read):
    the architecture, the tokenizer, every tensor's presence and type (a file with K-quants is refused
    at once, not after a minute of work), and, with max_weight_bytes, the memory its float32 weights need.
    """
    cfg = config_from_gguf(gguf.metadata, n_ctx)
    cfg = replace(cfg, tied_embeddings="output.weight" not in gguf.tensors)
    encoding = encoding_from_gguf_metadata(gguf.metadata)
    names = ["token_embd.weight", "output_norm.weight"] + [
        f"blk.{i}.{t}.weight" for i in range(cfg.n_layer) for t in LLAMA_LAYER_TENSORS.values()
    ]
    missing = [n for n in names if n not in gguf.tensors]
    if missing:
        raise ValueError(f"this GGUF lacks tensor {missing[0]!r} of a llama model ({len(missing)} missing)")
    unsupported = {n: t for n, t in gguf.unsupported_tensors().items() if n in names or n == "output.weight"}
    if unsupported:
        first, kind = next(iter(unsupported.items()))
        raise ValueError(
            f"tensor {first!r} is stored as {kind} ({len(unsupported)} tensors in types llm_core "
            f"cannot read; it reads {', '.join(DEQUANTIZE)})"
        )
    n = n_params(cfg)
    if max_weight_bytes is not None and 4 * n > max_weight_bytes:
        raise ValueError(
            f"this model has {n / 1e6:,.0f}M parameters: as float32, the form llm_core computes in, "
            f"they need {4 * n / 1e9:.1f} GB, more than the {max_weight_bytes / 1e9:.1f} GB a page "
            "can give Python; a model of up to about "
            f"{max_weight_bytes / 4e6:,.0f}M parameters fits"
        )
    return cfg, encoding


def check_gguf_head(head, file_size, max_weight_bytes=None):  # -> {"more": n_bytes} | {"model": {...}}
    """Whether a GGUF file can run, from its first bytes only: the page checks a reader's file this way
    before reading all of it. {"more": n}: the metadata goes on past head, read its first n bytes;
    {"model": {name, n_params, n_layer, d_model, n_vocab, bytes}}: it can run; a ValueError says why not.
    """
    try:
        gguf = parse_gguf(memoryview(head).cast("B"), file_size)
    except ValueError as e:
        if len(head) < file_size and str(e).startswith("truncated GGUF file"):
            return {"more": min(file_size, 4 * len(head))}
        raise
    cfg, encoding = check_runnable(gguf, max_weight_bytes=max_weight_bytes)
    name = str(gguf.metadata.get("general.name") or gguf.metadata.get("general.basename") or "GGUF model")
    return {
        "model": {
            "name": name,
            "n_params": n_params(cfg),
            "n_layer": cfg.n_layer,
            "d_model": cfg.d_model,
            "n_vocab": cfg.n_vocab,
            "bytes": file_size,
        }
    }


def load_gguf_steps(path_or_bytes, n_ctx=None, name=None):  # yields (done, total, None) ..., then (total, total, Model)
    """load_gguf one layer at a time, for a caller that must stay responsive (the browser worker).

    check_runnable refuses what cannot run before any weight is read.
    """
    gguf = read_gguf(path_or_bytes)
    cfg, encoding = check_runnable(gguf, n_ctx)
    expected = weight_shapes(cfg)
    weights = {}
    for i in range(cfg.n_layer):
        weights.update(layer_weights_from_gguf(gguf, cfg, i))
        yield i + 1, cfg.n_layer + 1, None
    weights.update(outer_weights_from_gguf(gguf))
    for key, shape in expected.items():
        if tuple(weights[key].shape) != shape:
            raise ValueError(f"tensor for {key!r} has shape {weights[key].shape}, the metadata implies {shape}")
    name = name or str(gguf.metadata.get("general.name") or gguf.metadata.get("general.basename") or "GGUF model")
    yield cfg.n_layer + 1, cfg.n_layer + 1, Model(cfg, weights, encoding, name=name)


def load_gguf(path_or_bytes, n_ctx=None, name=None):  # -> model.Model
    """A Llama-architecture GGUF file as an llm_core Model: config, float32 weights and its tokenizer.

    The same Model the tiny model is: model.forward, model.generate and the KV cache run it unchanged.
    path_or_bytes: a path, or the file's bytes. n_ctx: positions to allow (see config_from_gguf). name:
    what to call it (default: the metadata's general.name).

        model = load_gguf("SmolLM2-135M-Instruct.Q4_1.gguf")
        generate(model, "The capital of France is", max_new_tokens=8, temperature=0)["text"]
    """
    for _, _, model in load_gguf_steps(path_or_bytes, n_ctx, name):
        pass
    return model


SMOLLM2 = "models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"  # where the site keeps it, in the data folder
READER_FILE = "models/file/model.gguf"  # where the page puts a GGUF file the reader opened from their disk
# A reader's own file must fit beside everything else in the worker: float32 weights of at most 1.2 GB
# (about 300M parameters); SmolLM2's are 0.54 GB.
BROWSER_MAX_WEIGHT_BYTES = 1.2e9
DATA_MODEL_NAMES = {SMOLLM2: "SmolLM2-135M-Instruct"}  # its metadata calls it "Smollm2 135M 8k Lc100K Mix1 Ep2"
_data_models = {}  # data-folder relpath -> Model: a file is loaded once per process


def load_data_model_steps(relpath=SMOLLM2, n_ctx=DATA_MODEL_N_CTX):  # like load_gguf_steps, and remembered
    """load_gguf_steps for a file in llm_core's data folder; data_model(relpath) returns it afterwards.

    A model loaded before from the same place (a reader's earlier file) is let go of first: the file
    there is the new one now, and both would not fit in the page's memory."""
    _data_models.pop(relpath, None)
    for done, total, model in load_gguf_steps(data_dir() / relpath, n_ctx, DATA_MODEL_NAMES.get(relpath)):
        if model is not None:
            _data_models[relpath] = model
        yield done, total, model


def data_model(relpath=SMOLLM2):  # -> Model
    """The model of a GGUF file in llm_core's data folder, loaded on first use (build time, tests).

    In the browser the reader chooses to load it (the worker reads it one layer at a time); before that
    the file is not there and a widget asking for it gets a ValueError it shows to the reader.
    """
    if relpath not in _data_models:
        if not (data_dir() / relpath).exists():
            raise ValueError("SmolLM2-135M-Instruct is not loaded yet: press its Load button first")
        for _ in load_data_model_steps(relpath):
            pass
    return _data_models[relpath]
