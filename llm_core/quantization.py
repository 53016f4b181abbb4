"""Quantization: store weights in fewer bits, and measure what that costs.

A float32 weight takes 4 bytes; most of a model's memory (and of the time to read it at every token)
is weights. Fewer bits per weight:

- fp16 / bf16: round each value to a 16-bit float (IEEE 754 binary16: 10 mantissa bits, max 65504;
  bfloat16: float32's range with 7 mantissa bits, Kalamkar et al. 2019, arXiv:1905.12322).
- absmax integer quantization (Dettmers et al. 2022, "LLM.int8()", arXiv:2208.07339, section 3.1):
  scale = max|w| / (2^(bits-1) - 1), q = round(w / scale), stored as bits-bit integers, and
  w ~ q * scale on the way back. One outlier stretches the scale for everything sharing it, so the
  scale is shared by less: the whole tensor, one channel (per-channel), or a group of consecutive
  values (group-wise, as llama2.c's quantize_q80 and llama.cpp's Q4_0 / Q8_0 blocks of 32).

Rounding to the nearest step errs by at most scale / 2 per value. Every quantizer here returns its
error: max_abs, mean_abs, rmse and relative (|w - w_hat| / |w|, Frobenius norms).

Group handling: groups run along the last axis and must divide it; no padding (a clear ValueError).
subtle: the grid is symmetric, [-(2^(bits-1) - 1), 2^(bits-1) - 1] ([-7, 7] for int4), so code -8 is
never used and 0.0 is stored exactly; np.round rounds halves to even (ggml rounds them away from 0).

>>> q, scales, error = quantize_absmax(np.array([0.5, -1.0, 0.25]), bits=8)
>>> q.tolist(), np.round(scales, 6).tolist()  # one scale, 1 / 127
([64, -127, 32], [0.007874])
"""

import math
import numbers

import numpy as np


def quantization_error(w, w_hat):  # [...], [...] -> dict of floats
    """How far w_hat is from w: max_abs, mean_abs, rmse and relative (Frobenius) error."""
    w = np.asarray(w, dtype=np.float64)  # subtle: norms of float32 arrays are summed in float32
    diff = np.asarray(w_hat, dtype=np.float64) - w
    norm = float(np.linalg.norm(w.ravel()))
    err = float(np.linalg.norm(diff.ravel()))
    return {
        "max_abs": float(np.max(np.abs(diff))) if diff.size else 0.0,
        "mean_abs": float(np.mean(np.abs(diff))) if diff.size else 0.0,
        "rmse": float(np.sqrt(np.mean(diff**2))) if diff.size else 0.0,
        "relative": err / norm if norm > 0 else 0.0,
    }


def to_fp16(w):  # [...] -> float16 [...], error
    """Round to IEEE half precision. subtle: |w| > 65504 overflows to inf (the error says so)."""
    with np.errstate(over="ignore"):  # reported in the error instead
        w16 = np.asarray(w).astype(np.float16)
    return w16, quantization_error(w, w16)


def to_bf16(w):  # [...] -> float32 [...] holding bfloat16 values, error
    """Round to bfloat16 (keep float32's top 16 bits, round to nearest even); returned as float32.

    numpy has no bfloat16 type, so the value is rounded in float32's bit pattern: add 0x7FFF plus the
    lowest kept bit, then clear the low 16 bits. ±inf stay ±inf.
    subtle: that addition would carry a NaN's payload into its exponent and sign (0x7FFFFFFF becomes
    -0.0, 0x7F800001 becomes inf), so a NaN becomes bfloat16's quiet NaN with its sign kept, as
    ml_dtypes (Eigen's float_to_bfloat16_rtne) does; torch makes every NaN +NaN (0x7FC0).
    """
    w_bf16 = round_bf16(w)
    return w_bf16, quantization_error(w, w_bf16)


def round_bf16(w):  # [...] -> float32 [...] holding bfloat16 values
    """to_bf16's rounding without its error (for loops that round at every step)."""
    bits = np.ascontiguousarray(w, dtype=np.float32).view(np.uint32)
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) & np.uint32(0xFFFF0000)
    quiet_nan = (bits & np.uint32(0x80000000)) | np.uint32(0x7FC00000)
    return np.where(np.isnan(bits.view(np.float32)), quiet_nan, rounded).view(np.float32)


def quantize_absmax(w, bits=8, axis=None, group_size=None):
    """Symmetric absmax quantization to `bits`-bit integers (stored in int8); returns (q, scales, error).

    One scale per tensor (default); per channel: `axis` is the channel axis, one scale per index along it
    (for x @ w with w [d_in, d_out], axis=1 is per output channel); group-wise: one scale per
    `group_size` consecutive values along the last axis, which group_size must divide.
    q has w's shape; scales keep w's number of axes (size 1 where shared), except group-wise, where
    the last axis holds one scale per group: [..., n] -> [..., n // group_size].
    """
    w = np.asarray(w)
    w = w.astype(np.result_type(w, np.float32), copy=False)

    def is_int(x):
        return isinstance(x, numbers.Integral) and not isinstance(x, bool)

    if not (is_int(bits) and 2 <= bits <= 8):
        raise ValueError(f"bits must be an integer in [2, 8], got {bits!r}")
    if axis is not None and group_size is not None:
        raise ValueError("give either axis (per-channel) or group_size (group-wise), not both")
    qmax = 2 ** (bits - 1) - 1
    if group_size is not None:
        n = w.shape[-1] if w.ndim else 1
        if not (is_int(group_size) and group_size > 0 and n % group_size == 0):
            raise ValueError(f"group_size must be a positive integer dividing the last axis ({n}), got {group_size!r}")
        groups = w.reshape(*w.shape[:-1], n // group_size, group_size)  # [..., n] -> [..., n_group, g]
        scales = np.max(np.abs(groups), axis=-1) / qmax  # [..., n_group]
        q = quantize_with(groups, scales[..., None], qmax).reshape(w.shape)
    else:
        if axis is None:
            reduce = tuple(range(w.ndim))
        elif -w.ndim <= axis < w.ndim:
            reduce = tuple(i for i in range(w.ndim) if i != axis % w.ndim)
        else:
            raise ValueError(f"axis must be None or in [{-w.ndim}, {w.ndim}) for a {w.ndim}-D array, got {axis}")
        scales = np.max(np.abs(w), axis=reduce, keepdims=True) / qmax
        q = quantize_with(w, scales, qmax)
    return q, scales, quantization_error(w, dequantize(q, scales))


def quantize_with(w, scales, qmax):  # [...], broadcastable [...] -> int8 [...]
    """round(w / scale) clipped to [-qmax, qmax]; a scale of 0 (an all-zero block) gives q = 0."""
    safe = np.where(scales > 0, scales, 1)
    return np.clip(np.round(w / safe), -qmax, qmax).astype(np.int8)


def dequantize(q, scales):  # int8 [...], scales from quantize_absmax -> float [...]
    """q * scale, each value with the scale it was quantized with (group scales repeated to size)."""
    q = np.asarray(q)
    scales = np.asarray(scales)
    if scales.ndim and q.ndim and scales.shape[-1] not in (1, q.shape[-1]):
        group_size = q.shape[-1] // scales.shape[-1]
        scales = np.repeat(scales, group_size, axis=-1)  # [..., n_group] -> [..., n]
    return q * scales


def pack_int4(q):  # int8 [...] in [-8, 7] -> uint8 [ceil(size / 2)]
    """Two 4-bit two's-complement values per byte: element 2i in the low nibble, 2i + 1 in the high.

    The array is flattened (row-major); an odd count is padded with one 0. unpack_int4 undoes it.
    """
    flat = np.asarray(q).ravel()
    if flat.size and (flat.min() < -8 or flat.max() > 7):
        raise ValueError(f"int4 values must be in [-8, 7], got {flat.min()}..{flat.max()}")
    if flat.size % 2:
        flat = np.append(flat, 0)
    nibbles = flat.astype(np.int8).view(np.uint8) & 0x0F  # -1 -> 0b1111
    return (nibbles[0::2] | (nibbles[1::2] << 4)).astype(np.uint8)


def unpack_int4(packed, n):  # uint8 [m] -> int8 [n]
    """The first n int4 values stored by pack_int4 (reshape the result to the original shape)."""
    packed = np.asarray(packed, dtype=np.uint8)
    if not 0 <= n <= 2 * packed.size:
        raise ValueError(f"n must be in [0, {2 * packed.size}] for {packed.size} bytes, got {n}")
    # [m] -> [m, 2] (low nibble first) -> [2m] -> [n]
    nibbles = np.stack([packed & 0x0F, packed >> 4], axis=-1).ravel()[:n].astype(np.int8)
    return np.where(nibbles > 7, nibbles - 16, nibbles).astype(np.int8)  # sign-extend 4 bits


def quantized_bytes(n_values, bits, n_scales=0, scale_bytes=4):  # -> int
    """Storage for n_values at `bits` bits each, packed, plus n_scales scales of scale_bytes each.

    Group-wise int4 with groups of 32 and fp16 scales: 4 + 16/32 = 4.5 bits per weight.
    >>> quantized_bytes(64, bits=4, n_scales=2, scale_bytes=2)
    36
    """
    return math.ceil(n_values * bits / 8) + n_scales * scale_bytes
