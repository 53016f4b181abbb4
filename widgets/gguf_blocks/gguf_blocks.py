"""GGUF blocks: one block of a GGUF file decoded byte by byte, and what each block format loses.

llama.cpp stores a matrix row by row, every row cut into blocks of 32 weights, each block with its own
fp16 scale (llm_core.gguf). SmolLM2-135M-Instruct's file keeps its matrices in Q4_1 (20 bytes a block:
fp16 scale d, fp16 minimum m, 16 bytes of 4-bit codes) and its embedding table in Q8_0 (34 bytes: fp16 d,
then 32 int8 codes). The reader picks a tensor, a row and a block; the view shows the block's bytes as
stored, the fields they split into, and every code decoded to its weight by llm_core.gguf's dequantize_*.
Then the whole tensor as the model runs it (dequantized) is quantized again to F16, Q8_0, Q4_0 and Q4_1:
the error of each against those weights, its bits a weight, and the bytes of the whole model stored that
way.

Models: "smollm2" reads the real file (in the page, once the reader has loaded it: the worker writes it to
the data folder); "file" reads the reader's own GGUF file the same way; "tiny" is Glassbox's tiny model
quantized as SmolLM2's file is (Q8_0 embedding, Q4_1 matrices, rows laid out as llama.cpp's converter
writes them), so the page shows real blocks before anything is downloaded.
"""

import functools

import numpy as np

from llm_core import gguf
from llm_core.controls import as_choice, as_int
from llm_core.data import data_dir
from llm_core.models import MODEL_NAMES, get_model
from widgetlib.model import TINY_FILES

# What the reader can pick: the embedding table and the seven matrices of a block, by llama.cpp's names.
TENSORS = ["token_embd", *(t for t in gguf.LLAMA_LAYER_TENSORS.values() if not t.endswith("_norm"))]  # norms: F32
LABELS = {
    "token_embd": "embedding table",
    "attn_q": "query projection",
    "attn_k": "key projection",
    "attn_v": "value projection",
    "attn_output": "attention output",
    "ffn_gate": "SwiGLU gate",
    "ffn_up": "SwiGLU up",
    "ffn_down": "SwiGLU down",
}
BLOCKS = {"Q8_0": gguf.BLOCK_Q8_0, "Q4_0": gguf.BLOCK_Q4_0, "Q4_1": gguf.BLOCK_Q4_1}


def quantize_f16(w):  # float32 [..., n] -> uint8 [..., 2n]: IEEE half precision, as ggml's F16
    return w.astype("<f2").view(np.uint8)


# The formats the tensor is quantized to again: name -> (quantize, dequantize, bytes per 32 weights).
FORMATS = {
    "F16": (quantize_f16, gguf.dequantize_f16, 64),
    "Q8_0": (gguf.quantize_q8_0, gguf.dequantize_q8_0, gguf.BLOCK_Q8_0.itemsize),
    "Q4_0": (gguf.quantize_q4_0, gguf.dequantize_q4_0, gguf.BLOCK_Q4_0.itemsize),
    "Q4_1": (gguf.quantize_q4_1, gguf.dequantize_q4_1, gguf.BLOCK_Q4_1.itemsize),
}
FILES = {"smollm2": gguf.SMOLLM2, "file": gguf.READER_FILE}  # model -> its GGUF in the data folder
NOT_LOADED = {
    "smollm2": "SmolLM2-135M-Instruct is not loaded yet: press its Load button above to read its real blocks",
    "file": "no GGUF file of yours is loaded yet: open one with the model switch first",
}
CHUNK = 1 << 18  # weights requantized at a time: the embedding table (28M) never needs 4 copies at once
# At most about this many weights are requantized per tensor (every k-th row beyond): SmolLM2's matrices
# in full (up to 884,736 weights), its embedding table (28M weights, 18 s in the page) on one row in 14.
MAX_MEASURED = 1 << 21
HEAD_BYTES = 1 << 20  # the first read of a file's header; SmolLM2's (its vocabulary, merges) is 1.8 MB

DEFAULTS = {"model": "tiny", "tensor": "attn_q", "layer": 0, "row": 0, "block": 0}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"tensor": "token_embd", "row": 4095, "block": 3},
    {"tensor": "ffn_down", "layer": 5, "row": 17, "block": 99},  # block clamped to the row's last
    {"tensor": "attn_k", "layer": 2, "row": 63, "block": 1},
]
# Run in the page once SmolLM2 is loaded (tests/browser/test_smollm2.py), and in CPython.
SMOLLM2_EXAMPLES = [
    {"model": "smollm2", "tensor": "attn_q", "layer": 0, "row": 0, "block": 0},
    {"model": "smollm2", "tensor": "ffn_down", "layer": 29, "row": 575, "block": 47},
    {"model": "smollm2", "tensor": "token_embd", "row": 504, "block": 5},
]
DATA = TINY_FILES
CODE = [
    "llm_core.gguf.as_blocks",
    "llm_core.gguf.unpack_nibbles",
    "llm_core.gguf.dequantize_q8_0",
    "llm_core.gguf.dequantize_q4_1",
    "llm_core.gguf.quantize_q8_0",
    "llm_core.gguf.quantize_q4_0",
    "llm_core.gguf.quantize_q4_1",
    "llm_core.gguf.parse_gguf",
]


# --- the tensors: a real file's, or the tiny model's as llama.cpp would store them -----------------


def file_key(model):  # -> (model, size, mtime): a reader's new file is a new key
    path = data_dir() / FILES[model]
    if not path.exists():
        raise ValueError(NOT_LOADED[model])
    stat = path.stat()
    return model, stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=2)
def file_head(key):  # -> GGUFFile: metadata and tensor list, read from the file's first bytes only
    """subtle: its buffer holds the header alone, so tensor bytes are read with tensor_rows, never with
    GGUFFile.tensor_bytes. Reading the header alone keeps a 98 MB file out of the worker's memory."""
    path, size = data_dir() / FILES[key[0]], key[1]
    n = min(size, HEAD_BYTES)
    with path.open("rb") as f:
        while True:
            try:
                return gguf.parse_gguf(memoryview(f.read(n)), size)
            except ValueError as e:  # the metadata goes on past n bytes: read more
                if n == size or not str(e).startswith("truncated GGUF file"):
                    raise
                n = min(size, 4 * n)
                f.seek(0)


@functools.cache
def tiny_tensors():  # -> {gguf name: TensorInfo}, as a converter would list the tiny model's weights
    model = get_model("tiny")
    cfg = model.cfg
    names = {"token_embd.weight": ("Q8_0", (cfg.n_vocab, cfg.d_model)), "output_norm.weight": ("F32", (cfg.d_model,))}
    for i in range(cfg.n_layer):
        for ours, theirs in gguf.LLAMA_LAYER_TENSORS.items():
            shape = model.weights[f"layers.{i}.{ours}"].shape
            names[f"blk.{i}.{theirs}.weight"] = ("F32", shape) if len(shape) == 1 else ("Q4_1", shape[::-1])
    return {
        name: gguf.TensorInfo(name, shape, kind, 0, stored_bytes(kind, shape)) for name, (kind, shape) in names.items()
    }


def stored_bytes(kind, shape):  # ggml type name, numpy shape -> bytes of the tensor in that type
    _, per_block, block_bytes = next(t for t in gguf.GGML_TYPES.values() if t[0] == kind)
    return int(np.prod(shape)) // per_block * block_bytes


@functools.cache
def tiny_rows(name):  # gguf name -> uint8 [n_rows, row_bytes]
    """The tiny model's weight as SmolLM2's file stores its own: rows [d_out, d_in] (llm_core multiplies
    x @ w, GGUF stores a row per output), query and key rows in llama.cpp's neighbour-pair RoPE order,
    the embedding in Q8_0 and every matrix in Q4_1, quantized by llama.cpp's reference quantizers."""
    model = get_model("tiny")
    if name == "token_embd.weight":
        return gguf.quantize_q8_0(model.weights["tok_emb"])
    _, layer, theirs, _ = name.split(".")
    ours = {v: k for k, v in gguf.LLAMA_LAYER_TENSORS.items()}[theirs]
    w = model.weights[f"layers.{layer}.{ours}"].T  # [d_in, d_out] -> [d_out, d_in]
    if ours in ("wq", "wk"):
        w = gguf.rope_rows_to_pairs(w, model.cfg.n_head if ours == "wq" else model.cfg.n_kv_head)
    return gguf.quantize_q4_1(w)


def tensor_infos(key):  # -> {gguf name: TensorInfo}
    return tiny_tensors() if key == ("tiny",) else file_head(key).tensors


def tensor_rows(key, name, start, stop):  # -> uint8 [stop - start, row_bytes]: rows of the tensor as stored
    """Only those rows are read from the file: a block needs one row, not the 30 MB embedding table."""
    if key == ("tiny",):
        return tiny_rows(name)[start:stop]
    head = file_head(key)
    info = head.tensors[name]
    row_bytes = info.n_bytes // info.shape[0]
    with (data_dir() / FILES[key[0]]).open("rb") as f:
        f.seek(head.data_start + info.offset + start * row_bytes)
        data = np.frombuffer(f.read((stop - start) * row_bytes), dtype=np.uint8)
    return data.reshape(-1, row_bytes)  # [n bytes] -> [n_rows, row_bytes]


# --- one block, byte by byte -----------------------------------------------------------------------


def fp16_field(raw):  # uint8 [2] -> how an fp16 number is stored in those two bytes
    """Little-endian: the second byte is the high one. 1 sign bit, 5 exponent bits, 10 mantissa bits:
    (-1)^sign * 2^(exponent - 15) * (1 + mantissa / 1024), or 2^-14 * mantissa / 1024 when exponent is 0."""
    bits = int(raw.view("<u2")[0])
    sign, exponent, mantissa = bits >> 15, (bits >> 10) & 0x1F, bits & 0x3FF
    return {
        "bytes": [f"{b:02x}" for b in raw.tolist()],
        "word": f"0x{bits:04x}",
        "bits": f"{sign} {exponent:05b} {mantissa:010b}",
        "sign": "−" if sign else "+",
        "power": f"{exponent}−15" if exponent else "−14",
        "normal": exponent != 0,
        "mantissa": mantissa,
        "value": float(raw.view("<f2")[0]),
        "text": number(float(raw.view("<f2")[0])),
    }


def number(x):  # -> the value as the view prints it: 5 significant digits, a true minus sign
    text = f"{x:.5g}" if x else "0"
    return text.replace("-", "−")


def decode_block(kind, raw):  # ggml type, uint8 [block bytes] -> fields, codes and values of the block
    """The block split by its ggml-common.h record (llm_core.gguf.as_blocks), its 32 codes (Q4: the low
    nibble of byte j is weight j, the high nibble weight j + 16), and the 32 weights the file's dequantize
    gives (d * q + m, d * q or d * (q - 8))."""
    block = gguf.as_blocks(raw, BLOCKS[kind], kind)[0]
    fields = [{"name": "d", "what": "the scale, fp16", **fp16_field(raw[0:2])}]
    if kind == "Q4_1":
        fields.append({"name": "m", "what": "the minimum, fp16", **fp16_field(raw[2:4])})
    codes_at = 4 if kind == "Q4_1" else 2
    if kind == "Q8_0":
        q = block["qs"].astype(int)  # [32] int8, one byte each
        byte_of, nibble = [codes_at + j for j in range(32)], [None] * 32
    else:
        q = gguf.unpack_nibbles(block["qs"]).astype(int)  # [16] bytes -> [32] codes 0..15
        byte_of, nibble = [codes_at + j % 16 for j in range(32)], ["low"] * 16 + ["high"] * 16
    fields.append(
        {
            "name": "qs",
            "what": "32 codes, one int8 each" if kind == "Q8_0" else "32 codes, 4 bits each",
            "bytes": [f"{b:02x}" for b in raw[codes_at:].tolist()],
            "word": None,
        }
    )
    values = gguf.DEQUANTIZE[kind](raw)  # float32 [32]
    edge = {"Q8_0": (-127, 127), "Q4_0": (0,), "Q4_1": (0, 15)}[kind]  # the codes that set d (and m)
    elements = [
        {
            "j": j,
            "byte": byte_of[j],
            "hex": f"{raw[byte_of[j]]:02x}",
            "nibble": nibble[j],
            "q": int(q[j]),
            "q_text": str(q[j]).replace("-", "−"),
            "value": float(values[j]),
            "text": number(values[j]),
            "edge": bool(q[j] in edge),
        }
        for j in range(32)
    ]
    return fields, elements


def formula(kind):  # -> how a code becomes a weight in this format
    return {"Q8_0": "d × q", "Q4_0": "d × (q − 8)", "Q4_1": "d × q + m"}[kind]


EDGES = {  # what the bold codes are, per format
    "Q8_0": "Bold: ±127, the block’s weight of largest magnitude; it set the scale, d = max |w| / 127 "
    "(rounded to fp16).",
    "Q4_0": "Bold: code 0 (q − 8 = −8), the block’s weight of largest magnitude, sign kept; it set the "
    "scale, d = w / −8 (rounded to fp16).",
    "Q4_1": "Bold: codes 0 and 15, the block’s smallest weight (exactly m) and its largest (d × 15 + m).",
}


# --- every format against the weights the model runs ------------------------------------------------


def row_stride(n_rows, n_cols):  # -> k: every k-th row is requantized
    return -(-n_rows * n_cols // MAX_MEASURED)  # ceil: 1 for every SmolLM2 matrix, 14 for its embedding


@functools.lru_cache(maxsize=16)
def format_errors(key, name):  # -> ({format: {rms, max_abs, same_bytes}}, weights' rms, rows measured)
    """Quantize the dequantized tensor (the weights the model runs) again in every format, a few rows at a
    time, and measure what comes back: the RMS and the largest |w_hat - w|, and, in the file's own
    format, whether the bytes are the file's. A tensor larger than MAX_MEASURED weights is measured on
    every stride-th row."""
    info = tensor_infos(key)[name]
    kind, (n_rows, n_cols) = info.type, info.shape
    stride = row_stride(n_rows, n_cols)
    per_chunk = stride * max(1, CHUNK // n_cols)  # rows read at a time, of which every stride-th is kept
    squares = {fmt: 0.0 for fmt in FORMATS}
    largest = {fmt: 0.0 for fmt in FORMATS}
    same = {fmt: fmt == kind for fmt in FORMATS}
    weight_squares, n = 0.0, 0
    for start in range(0, n_rows, per_chunk):
        stored = tensor_rows(key, name, start, min(n_rows, start + per_chunk))[::stride]  # [n_chunk, row_bytes]
        w = gguf.DEQUANTIZE[kind](stored)  # float32 [n_chunk, n_cols]: what the model multiplies by
        weight_squares += float(np.sum(np.square(w, dtype=np.float64)))
        n += w.size
        for fmt, (quantize, dequantize, _) in FORMATS.items():
            again = quantize(w)  # uint8 [n_chunk, n_cols / 32 * block bytes]
            diff = dequantize(again).astype(np.float64) - w  # [n_chunk, n_cols]
            squares[fmt] += float(np.sum(np.square(diff)))
            largest[fmt] = max(largest[fmt], float(np.max(np.abs(diff))))
            same[fmt] = same[fmt] and np.array_equal(again.reshape(stored.shape), stored)
    errors = {
        fmt: {"rms": (squares[fmt] / n) ** 0.5, "max_abs": largest[fmt], "same_bytes": bool(same[fmt])}
        for fmt in FORMATS
    }
    return errors, (weight_squares / n) ** 0.5, n // n_cols


def model_bytes(infos, fmt):  # -> bytes of every weight, the matrices in fmt (vectors stay as stored)
    return sum(n_blocks(info) * FORMATS[fmt][2] if len(info.shape) == 2 else info.n_bytes for info in infos.values())


def n_blocks(info):  # -> blocks of 32 weights in a tensor
    return int(np.prod(info.shape)) // gguf.QK


# --- the widget ---------------------------------------------------------------------------------------


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated; layer, row and block are clamped to the tensor."""
    p = {**DEFAULTS, **params}
    return {
        "model": as_choice("model", p["model"], list(MODEL_NAMES)),
        "tensor": as_choice("tensor", p["tensor"], TENSORS),
        "layer": as_int("layer", p["layer"], 0, 10**6),
        "row": as_int("row", p["row"], 0, 10**9),
        "block": as_int("block", p["block"], 0, 10**9),
    }


def percent(x):  # -> "9.93%", "0.0188%", "0": 3 significant digits, as the view prints them
    return "0" if x == 0 else f"{100 * x:.3g}%" if 100 * x >= 1e-3 else f"{100 * x:.1e}%"


def megabytes(n):  # -> "84.2 MB", "0.965 MB", "1.21 GB": 3 significant digits
    return f"{n / 1e9:.3g} GB" if n >= 1e9 else f"{n / 1e6:.3g} MB"


def compute(params: dict) -> dict:
    p = read_params(params)
    key = ("tiny",) if p["model"] == "tiny" else file_key(p["model"])
    infos = tensor_infos(key)
    n_layer = sum(1 for name in infos if name.endswith(".attn_q.weight"))
    p["layer"] = max(0, min(p["layer"], n_layer - 1))
    name = "token_embd.weight" if p["tensor"] == "token_embd" else f"blk.{p['layer']}.{p['tensor']}.weight"
    if name not in infos:
        raise ValueError(f"this file has no tensor {name!r}")
    info = infos[name]
    if info.type not in BLOCKS:
        raise ValueError(
            f"{name} is stored as {info.type}, one number after another, without blocks; "
            f"this view decodes {', '.join(BLOCKS)} blocks"
        )
    n_rows, n_cols = info.shape
    block_bytes, per_row = BLOCKS[info.type].itemsize, n_cols // gguf.QK
    p["row"], p["block"] = min(p["row"], n_rows - 1), min(p["block"], per_row - 1)
    start = p["block"] * block_bytes  # the block's first byte in its row
    raw = tensor_rows(key, name, p["row"], p["row"] + 1)[0, start : start + block_bytes]  # uint8 [block_bytes]
    fields, elements = decode_block(info.type, raw)
    offset = p["row"] * per_row * block_bytes + start  # its first byte, counted in the tensor
    first = p["block"] * gguf.QK
    errors, rms, n_measured = format_errors(key, name)
    stored = sum(i.n_bytes for i in infos.values())
    formats = [
        {
            "name": fmt,
            "bits": f"{8 * block / gguf.QK:g}",
            "model": megabytes(model_bytes(infos, fmt)),
            "stored": fmt == info.type,
            "same_bytes": errors[fmt]["same_bytes"],
            "rms_rel": errors[fmt]["rms"] / rms,
            "max_rel": errors[fmt]["max_abs"] / rms,
            "rms_text": percent(errors[fmt]["rms"] / rms),
            "max_text": percent(errors[fmt]["max_abs"] / rms),
        }
        for fmt, (_, _, block) in FORMATS.items()
    ]
    return {
        "params": p,
        "model_name": MODEL_NAMES[p["model"]],
        "n_layer": n_layer,
        # the number boxes' ranges, which follow the model and the tensor
        "limits": {"layer": n_layer - 1, "row": n_rows - 1, "block": per_row - 1},
        "tensor": {
            "name": name,
            "label": LABELS[p["tensor"]],
            "type": info.type,
            "n_rows": n_rows,
            "n_cols": n_cols,
            "blocks_per_row": per_row,
            "block_bytes": block_bytes,
            "n_bytes": f"{info.n_bytes:,}",
        },
        "block": {
            "first": first,  # the block holds the row's weights first .. last
            "last": first + gguf.QK - 1,
            "halves": [f"{first}–{first + 15}", f"{first + 16}–{first + 31}"],  # j = 0-15 and 16-31
            "offset": f"{offset:,}",
            "end": f"{offset + block_bytes - 1:,}",
            "file_offset": None if key == ("tiny",) else f"{file_head(key).data_start + info.offset + offset:,}",
            "hex": [f"{b:02x}" for b in raw.tolist()],
            "fields": fields,
            "formula": formula(info.type),
            "nibbles": info.type != "Q8_0",
            "elements": elements,
            "edges": EDGES[info.type],
        },
        "requantized": measured_text(info, n_measured, rms),
        "formats": formats,
        "stored": stored_note(infos, stored),
        "note": again_note(info.type, errors),
    }


def measured_text(info, n_measured, rms):  # -> which weights the table of formats requantized
    n_rows, n_cols = info.shape
    if n_measured == n_rows:
        which = f"The whole tensor, {n_rows * n_cols:,} weights"
    else:
        which = (
            f"One row in {row_stride(n_rows, n_cols)} of the tensor ({n_measured:,} of its {n_rows:,} rows, "
            f"{n_measured * n_cols:,} weights)"
        )
    return (
        f"{which} as the model runs them (dequantized; RMS {number(rms)}), quantized again. Errors are "
        "relative to the weights’ RMS."
    )


def stored_note(infos, stored):  # -> what the file holds: its tensors by type, its bytes, bits a weight
    counts = {}
    for info in infos.values():
        counts[info.type] = counts.get(info.type, 0) + 1
    kinds = ", ".join(f"{n} in {kind}" for kind, n in sorted(counts.items(), key=lambda c: -c[1]))
    bits = 8 * stored / sum(int(np.prod(i.shape)) for i in infos.values())
    return (
        f"As stored: {len(infos)} tensors ({kinds}), {megabytes(stored)} of weights, {bits:.2f} bits a "
        "weight on average."
    )


def again_note(kind, errors):  # -> what quantizing the stored weights again in their own format did
    if errors[kind]["same_bytes"]:
        return (
            f"Quantized again in {kind}, the weights give back the stored bytes, block for block: they "
            f"already lie on {kind}’s grid, so nothing more is lost."
        )
    return (
        f"Quantized again in {kind}, the weights do not come back byte for byte: this file’s quantizer "
        "chose its scales or codes differently from llama.cpp’s reference rounding."
    )
