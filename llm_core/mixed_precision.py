"""Mixed precision: train in 16-bit floats without losing what 16 bits cannot hold.

Training reads and writes its weights, activations and gradients in 16-bit floats, half the bytes and,
on tensor cores, many times the FLOP/s of float32 (Micikevicius et al. 2018, "Mixed Precision Training",
arXiv:1710.03740). Two things go wrong, and two fixes keep the loss curve on float32's:

- Lost updates. A format with m mantissa bits spaces its numbers 2^(e - m) apart around w (2^e <= |w| <
  2^(e+1)); w + u rounds back to w when |u| is at most half that spacing (the tie goes to the even
  neighbour, w itself, half the time). bf16 (m = 7) turns w = 1.0 plus any update up to 2^-8 back into
  1.0. Fix: keep fp32 **master weights**, update those, and round a 16-bit copy for the next forward pass.
- Underflowing gradients. fp16 (5 exponent bits) has no numbers below 2^-24; a backward value smaller
  than half of that becomes 0. Fix: **loss scaling**, multiply the loss by S before the backward pass
  (every gradient is S times larger in 16 bits), divide by S in fp32 before the update. Dynamic loss
  scaling picks S: on an overflow (an inf or NaN gradient) skip the step and halve S; after
  `growth_interval` good steps double it. bf16 keeps float32's 8 exponent bits, so it needs no scaling.

The rounding is llm_core.quantization's (`round_bf16`: round to nearest even on float32's top 16 bits)
and numpy's float16 (IEEE binary16); `to_format` returns the error too.

The model trained here is a character bigram model, the smallest language model: logits = W[previous
character], W [n_vocab, n_vocab], mean cross-entropy over a batch of n_tokens tokens, plain SGD. Tokens
with the same previous character share a row of probabilities p, so the backward pass's per-token values,
(p - onehot(next)) * S / n_tokens, take just two values per (previous, next) pair: each is rounded to the
compute format once and counted as often as tokens carry it (the same numbers a per-token loop adds up).

>>> to_format(np.array([1 + 2**-8, 1 + 2**-6], dtype=np.float32), "bf16")[0].tolist()
[1.0, 1.015625]
>>> float(half_spacing(np.float32(1.0), "bf16")) == 2**-8
True
"""

import math
from dataclasses import dataclass

import numpy as np

from .optimizers import adam_step
from .quantization import quantization_error, round_bf16


@dataclass(frozen=True)
class FloatFormat:
    exponent_bits: int  # width of the biased exponent field
    mantissa_bits: int  # stored fraction bits (the leading 1 is implicit)

    @property
    def bias(self) -> int:
        return 2 ** (self.exponent_bits - 1) - 1

    @property
    def min_normal(self) -> float:  # the smallest number with the full mantissa
        return 2.0 ** (1 - self.bias)

    @property
    def min_subnormal(self) -> float:  # the smallest number above 0
        return 2.0 ** (1 - self.bias - self.mantissa_bits)

    @property
    def max_finite(self) -> float:
        return (2 - 2.0**-self.mantissa_bits) * 2.0**self.bias


FORMATS = {  # IEEE 754 binary32 and binary16; bfloat16 (Kalamkar et al. 2019, arXiv:1905.12322)
    "fp32": FloatFormat(8, 23),
    "bf16": FloatFormat(8, 7),
    "fp16": FloatFormat(5, 10),
}


def to_format(x, fmt):  # [...] -> float32 [...] holding fmt's values, error
    """Round float32 values to fmt ("fp32", "bf16" or "fp16"), returned as float32, with the error."""
    rounded = round_to(x, fmt)
    return rounded, quantization_error(np.asarray(x, dtype=np.float32), rounded)


def round_to(x, fmt):  # [...] -> float32 [...]
    """to_format's rounding alone: quantization.to_bf16's rounding to bf16, numpy's float16 for fp16.
    subtle: fp16 overflows to inf beyond 65504, as a gradient does on a GPU; the training loop checks."""
    x = np.asarray(x, dtype=np.float32)
    if fmt == "fp32":
        return x
    if fmt == "bf16":
        return round_bf16(x)
    with np.errstate(over="ignore"):
        return x.astype(np.float16).astype(np.float32)


def half_spacing(w, fmt):  # [...] -> float64 [...]
    """Half the gap between fmt's numbers around w: an update |u| below it is rounded away, w + u == w.

    2^(e - m - 1) for 2^e <= |w| < 2^(e+1); below the normal range the gap is fixed, min_subnormal.
    subtle: at |w| = 2^e exactly, the gap below w is half the gap above; this is the one above (an
    update of the other sign survives from half of this)."""
    f = FORMATS[fmt]
    w = np.abs(np.asarray(w, dtype=np.float64))
    with np.errstate(divide="ignore"):
        e = np.floor(np.log2(np.maximum(w, f.min_normal)))
    return 2.0 ** (e - f.mantissa_bits - 1)


def lost_updates(w, update, fmt):  # [...], [...] -> bool [...]
    """Where a nonzero update leaves a fmt weight unchanged: round(w + update) == w."""
    w = np.asarray(w, dtype=np.float32)
    update = np.asarray(update, dtype=np.float32)
    return (update != 0) & (round_to(w + update, fmt) == w)


def float_bits(x, fmt):  # float -> dict
    """The bits fmt stores for x (rounded to nearest even): sign, exponent, mantissa, and the value kept.

    >>> b = float_bits(0.1, "bf16")
    >>> b["sign"], b["exponent"], b["mantissa"], b["value"]
    ('0', '01111011', '1001101', 0.10009765625)
    """
    f = FORMATS[fmt]
    x32 = np.float32(x)
    if fmt == "fp16":
        with np.errstate(over="ignore"):
            bits = int(np.array([x32], dtype=np.float16).view(np.uint16)[0])
        value = float(np.uint16(bits).view(np.float16))
    else:
        kept = round_to(np.array([x32]), fmt)
        bits = int(kept.view(np.uint32)[0]) >> (16 if fmt == "bf16" else 0)
        value = float(kept[0])
    width = 1 + f.exponent_bits + f.mantissa_bits
    text = format(bits, f"0{width}b")
    return {
        "sign": text[0],
        "exponent": text[1 : 1 + f.exponent_bits],
        "mantissa": text[1 + f.exponent_bits :],
        "value": value,
        "error": value - float(x) if math.isfinite(value) and math.isfinite(x) else None,
    }


def update_loss_scale(scale, good_steps, overflow, growth_interval):  # -> scale, good_steps
    """Dynamic loss scaling (Micikevicius et al. 2018, section 3.2): halve on an overflow (the step is
    skipped), double after growth_interval steps in a row without one."""
    if overflow:
        return max(scale / 2, 1.0), 0
    if good_steps + 1 >= growth_interval:
        return scale * 2, 0
    return scale, good_steps + 1


def bigram_counts(ids, n_vocab):  # [n] ints -> [n_vocab, n_vocab] counts: previous x next
    """How often each character follows each other one in the text."""
    ids = np.asarray(ids, dtype=np.intp)  # subtle: bincount wants intp, 32 bits in Pyodide
    return np.bincount(ids[:-1] * n_vocab + ids[1:], minlength=n_vocab * n_vocab).reshape(n_vocab, n_vocab)


def log_softmax_rows(logits):  # [n_vocab, n_vocab] -> float64 [n_vocab, n_vocab]
    """Log-softmax of each row, in float64 (mixed precision keeps the softmax and the loss in fp32 or wider)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def bigram_loss(w, counts):  # [n_vocab, n_vocab], [n_vocab, n_vocab] -> float
    """Mean cross-entropy of the next character over the text, in nats."""
    return float(-(counts * log_softmax_rows(w)).sum() / counts.sum())


def bigram_backward(w, counts, repeats, fmt, scale=1.0):  # -> grad [n_vocab, n_vocab] float32, info
    """The gradient of scale * mean cross-entropy over a batch of the text read `repeats` times, computed
    as fmt computes it.

    The batch has n_tokens = repeats * counts.sum() tokens. Each token's backward value
    (p - onehot) * scale / n_tokens is rounded to fmt; the tokens' values are added up in float32 (a tensor
    core accumulates in fp32) and the sum is stored in fmt.
    Returns the scaled gradient and: the loss of this forward pass, how many tokens' values fmt rounded
    to 0 though they were not 0, and whether the stored gradient overflowed (inf or NaN).
    """
    log_p = log_softmax_rows(round_to(w, fmt))  # the forward pass reads the fmt copy of the weights
    p = np.exp(log_p)
    per_pair = repeats * np.asarray(counts, dtype=np.int64)  # tokens of each (previous, next) pair in the batch
    n_tokens = int(per_pair.sum())
    per_row = per_pair.sum(axis=1, keepdims=True)  # tokens after each previous character
    hit, miss = round_to(((p - 1) * (scale / n_tokens), p * (scale / n_tokens)), fmt)
    with np.errstate(over="ignore", invalid="ignore"):
        total = per_pair * hit.astype(np.float64) + (per_row - per_pair) * miss.astype(np.float64)
        grad = round_to(total.astype(np.float32), fmt)
    underflow = int((per_row - per_pair)[(miss == 0) & (p != 0)].sum() + per_pair[(hit == 0) & (p != 1)].sum())
    loss = float(-(counts * log_p).sum() / counts.sum())
    return grad, {"loss": loss, "underflowed": underflow, "overflow": not bool(np.all(np.isfinite(grad)))}


SETUPS = {  # name -> (weights the optimizer updates, compute format, loss scaling)
    "fp32": ("fp32", "fp32", False),
    "bf16": ("bf16", "bf16", False),
    "bf16_master": ("fp32", "bf16", False),
    "fp16_master": ("fp32", "fp16", False),
    "fp16_scaled": ("fp32", "fp16", True),
}


@dataclass(frozen=True)
class MixedPrecisionConfig:
    setup: str = "bf16_master"  # one of SETUPS
    lr: float = 0.01  # Adam's learning rate
    steps: int = 100  # optimizer steps taken (skipped ones included)
    repeats: int = 128  # the batch is the text read this many times: the loss is a mean over its tokens
    loss_scale: float = 2.0**16  # the loss scale S a scaled setup starts with
    dynamic: bool = True  # grow and shrink S (else it stays at loss_scale)
    growth_interval: int = 20  # good steps before S doubles


def train_mixed_precision(counts, config, w0):  # counts [n_vocab, n_vocab], w0 [n_vocab, n_vocab] -> dict
    """Train the bigram model from weights w0 with Adam, as config.setup trains it.

    Per step: the loss (of the weights the forward pass read), the loss scale it used, whether the step was
    skipped, how many weight entries' updates were rounded away, how many tokens' backward values
    underflowed to 0. Totals: updates_lost, grads_underflowed (token values), steps_skipped; final_loss,
    final_scale (after the last step's adjustment) and the weights."""
    weights_fmt, compute_fmt, scaled = SETUPS[config.setup]
    counts = np.asarray(counts, dtype=np.int64)
    w = round_to(w0, weights_fmt)
    scale, good = (float(config.loss_scale), 0) if scaled else (1.0, 0)
    adam = {"m": np.zeros_like(w), "v": np.zeros_like(w)}
    out = {"loss": [], "scale": [], "skipped": [], "lost": [], "underflowed": []}
    for _ in range(config.steps):
        grad, info = bigram_backward(w, counts, config.repeats, compute_fmt, scale)
        out["loss"].append(info["loss"])
        out["scale"].append(scale)
        out["underflowed"].append(info["underflowed"])
        skip = info["overflow"]
        lost = 0
        if not skip:
            stepped, adam = adam_step(w, grad / np.float32(scale), adam, np.float32(config.lr))  # unscaled in fp32
            if weights_fmt != "fp32":
                lost = int(lost_updates(w, stepped - w, weights_fmt).sum())
            w = round_to(stepped, weights_fmt)
        out["skipped"].append(skip)
        out["lost"].append(lost)
        if scaled and config.dynamic:
            scale, good = update_loss_scale(scale, good, skip, config.growth_interval)
    out["final_loss"] = bigram_loss(round_to(w, compute_fmt), counts)
    out["updates_lost"] = int(sum(out["lost"]))
    out["grads_underflowed"] = int(sum(out["underflowed"]))
    out["steps_skipped"] = int(sum(out["skipped"]))
    out["final_scale"] = scale
    out["weights"] = w
    return out
