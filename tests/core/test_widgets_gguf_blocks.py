"""The quantization chapter's GGUF blocks widget, computed in CPython, and the numbers the chapter quotes.

Checked against llm_core.gguf reading the whole file (read_gguf: tensor_bytes, tensor) and naive loops:
the block's bytes are the file's, its decoded weights are the dequantized tensor's, each code is read
from the right nibble; the table of formats equals a direct requantization of the tensor; requantizing
SmolLM2's Q4_1 tensors gives back the file's bytes; plus clamping and bad-input messages. The SmolLM2
tests skip when the file is missing (tests/conftest.py: smollm2_gguf).
"""

import math

import numpy as np
import pytest

from llm_core import gguf
from llm_core.models import get_model
from widget_loader import load_widget, run

blocks = load_widget("gguf_blocks")
QUANTIZERS = {
    "Q8_0": (gguf.quantize_q8_0, gguf.dequantize_q8_0),
    "Q4_0": (gguf.quantize_q4_0, gguf.dequantize_q4_0),
    "Q4_1": (gguf.quantize_q4_1, gguf.dequantize_q4_1),
}


@pytest.fixture(scope="module")
def smollm2(smollm2_gguf):
    """SmolLM2's file as llm_core.gguf reads it whole (memory-mapped), to check the widget's own reads."""
    return gguf.read_gguf(smollm2_gguf)


def float16_value(two_bytes):  # "0f", "30" -> the fp16 number, decoded by hand from its bits
    bits = int(two_bytes[1] + two_bytes[0], 16)  # little-endian: the second byte is the high one
    sign, exponent, mantissa = bits >> 15, (bits >> 10) & 0x1F, bits & 0x3FF
    magnitude = 2.0**-14 * mantissa / 1024 if exponent == 0 else 2.0 ** (exponent - 15) * (1 + mantissa / 1024)
    return -magnitude if sign else magnitude


def naive_decode(kind, raw):  # uint8 [block bytes] -> 32 weights, by a loop over bytes and nibbles
    d = float16_value([f"{b:02x}" for b in raw[:2]])
    if kind == "Q8_0":
        return [np.float32(d) * np.float32(int(b) - 256 if b > 127 else int(b)) for b in raw[2:]]
    m = float16_value([f"{b:02x}" for b in raw[2:4]]) if kind == "Q4_1" else 0.0
    codes = raw[4:] if kind == "Q4_1" else raw[2:]
    out = [0.0] * 32
    for j, byte in enumerate(codes):
        for position, q in ((j, byte & 0x0F), (j + 16, byte >> 4)):
            out[position] = (
                np.float32(d) * np.float32(q) + np.float32(m)
                if kind == "Q4_1"
                else np.float32(d) * np.float32(int(q) - 8)
            )
    return out


def check_block(r, tensor_bytes, tensor):
    """The widget's block against the file read whole: its bytes, fields, codes and weights."""
    b, t, p = r["block"], r["tensor"], r["params"]
    row_bytes = t["blocks_per_row"] * t["block_bytes"]
    start = p["row"] * row_bytes + p["block"] * t["block_bytes"]
    raw = np.asarray(tensor_bytes).reshape(-1)[start : start + t["block_bytes"]]
    assert b["hex"] == [f"{x:02x}" for x in raw.tolist()]
    assert [h for f in b["fields"] for h in f["bytes"]] == b["hex"]  # the fields cover the block in order
    assert b["offset"] == f"{start:,}"
    weights = tensor[p["row"], b["first"] : b["first"] + 32]
    values = [e["value"] for e in b["elements"]]
    assert values == weights.tolist()  # exactly the weights the model runs
    assert values == [float(v) for v in naive_decode(t["type"], raw)]
    for f in b["fields"]:
        if f["word"]:
            assert f["value"] == float16_value(f["bytes"])
    for e in b["elements"]:
        byte = raw[e["byte"]]
        if e["nibble"] is None:
            assert e["q"] == (int(byte) - 256 if byte > 127 else int(byte))
        else:
            assert e["q"] == (byte & 0x0F if e["nibble"] == "low" else byte >> 4)
            assert e["nibble"] == ("low" if e["j"] < 16 else "high")


def naive_errors(w):  # float32 [n_rows, n_cols] -> {format: (rms error / rms, max error / rms)}
    w64 = w.astype(np.float64)
    rms = np.sqrt(np.mean(w64**2))
    out = {"F16": np.abs(w.astype(np.float16).astype(np.float64) - w64)}
    for fmt, (quantize, dequantize) in QUANTIZERS.items():
        out[fmt] = np.abs(dequantize(quantize(w)).reshape(w.shape).astype(np.float64) - w64)
    return {fmt: (np.sqrt(np.mean(e**2)) / rms, e.max() / rms) for fmt, e in out.items()}


def check_errors(r, w):
    expected = naive_errors(w)
    for f in r["formats"]:
        rms, largest = expected[f["name"]]
        assert math.isclose(f["rms_rel"], rms, rel_tol=1e-9, abs_tol=1e-15), f["name"]
        assert math.isclose(f["max_rel"], largest, rel_tol=1e-9, abs_tol=1e-15), f["name"]


# -- the tiny model, stored as SmolLM2's file stores its weights ---------------------------------------


def tiny_as_gguf(name):  # -> float32 [d_out, d_in], laid out as llama.cpp's converter writes it
    model = get_model("tiny")
    if name == "token_embd.weight":
        return model.weights["tok_emb"]
    _, layer, theirs, _ = name.split(".")
    ours = {v: k for k, v in gguf.LLAMA_LAYER_TENSORS.items()}[theirs]
    w = model.weights[f"layers.{layer}.{ours}"].T
    if ours in ("wq", "wk"):
        w = gguf.rope_rows_to_pairs(w, model.cfg.n_head if ours == "wq" else model.cfg.n_kv_head)
    return w


@pytest.mark.parametrize("params", [{}, *blocks.EXAMPLES, {"tensor": "attn_v", "layer": 3, "row": 40, "block": 2}])
def test_tiny_blocks_decode_to_the_dequantized_tensor(params):
    r = run(blocks, **params)
    name, kind = r["tensor"]["name"], r["tensor"]["type"]
    assert kind == ("Q8_0" if name == "token_embd.weight" else "Q4_1")
    stored = QUANTIZERS[kind][0](tiny_as_gguf(name))
    dequantized = QUANTIZERS[kind][1](stored).reshape(r["tensor"]["n_rows"], -1)
    check_block(r, stored, dequantized)
    check_errors(r, dequantized)


def test_the_tiny_models_query_rows_are_in_llama_cpps_pair_order():
    """Row 1 of the stored attn_q is row d_head/2 of the rotate-half layout (the converter's permutation)."""
    model = get_model("tiny")
    stored = gguf.dequantize_q4_1(blocks.tiny_rows("blk.0.attn_q.weight")).reshape(128, 128)
    direct = gguf.dequantize_q4_1(gguf.quantize_q4_1(model.weights["layers.0.wq"].T)).reshape(128, 128)
    d_half = model.cfg.d_head // 2
    assert np.array_equal(stored[1], direct[d_half]) and np.array_equal(stored[2], direct[1])


def test_requantizing_in_the_stored_format_gives_the_same_bytes():
    for tensor in ["attn_q", "token_embd"]:
        r = run(blocks, tensor=tensor)
        stored = [f for f in r["formats"] if f["stored"]]
        assert len(stored) == 1 and stored[0]["same_bytes"] and stored[0]["rms_text"] == "0"
        assert not any(f["same_bytes"] for f in r["formats"] if not f["stored"])
        assert "give back the stored bytes" in r["note"]


def test_bits_and_bytes_of_each_format():
    r = run(blocks)  # the tiny model's blk.0.attn_q: 128 x 128
    bits = {f["name"]: f["bits"] for f in r["formats"]}
    assert bits == {"F16": "16", "Q8_0": "8.5", "Q4_0": "4.5", "Q4_1": "5"}
    assert r["tensor"]["n_bytes"] == f"{128 * 4 * 20:,}"  # 128 rows of 4 Q4_1 blocks
    cfg = get_model("tiny").cfg
    n_norm = (2 * cfg.n_layer + 1) * cfg.d_model
    n_matrix = sum(w.size for k, w in get_model("tiny").weights.items() if w.ndim == 2)
    assert [f["model"] for f in r["formats"]] == [
        blocks.megabytes(n_matrix // 32 * size + 4 * n_norm) for size in (64, 34, 18, 20)
    ]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"row": 10**6, "block": 10**6}, {"row": 127, "block": 3}),
        ({"layer": 99, "tensor": "ffn_down"}, {"layer": 5}),
        ({"tensor": "ffn_down", "block": 50}, {"block": 11}),
        ({"tensor": "token_embd", "row": "4095", "layer": 3}, {"row": 4095, "layer": 3}),
    ],
)
def test_out_of_range_positions_are_clamped(params, expected):
    r = run(blocks, **params)
    p, t = r["params"], r["tensor"]
    assert {k: p[k] for k in expected} == expected
    # the number boxes' maxima, which the view sets: the last layer, row and block of this tensor
    assert r["limits"] == {"layer": r["n_layer"] - 1, "row": t["n_rows"] - 1, "block": t["blocks_per_row"] - 1}
    assert all(p[k] <= r["limits"][k] for k in ("layer", "row", "block"))


@pytest.mark.parametrize(
    "params, words",
    [
        ({"tensor": "wq"}, "tensor must be one of"),
        ({"tensor": "attn_norm"}, "tensor must be one of"),
        ({"model": "gpt2"}, "model must be one of"),
        ({"row": 2.5}, "row must be a whole number"),
        ({"block": "x"}, "block must be a number"),
        ({"layer": None}, "layer must be a finite number"),
        ({"row": ""}, "row must be a number"),  # an emptied number box: said, not read as 0
    ],
)
def test_bad_values_raise_a_readable_error(params, words):
    with pytest.raises(ValueError, match=words):
        blocks.compute(params)


def test_a_model_not_loaded_yet_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))  # a data folder without SmolLM2 or a reader's file
    with pytest.raises(ValueError, match="press its Load button"):
        blocks.compute({"model": "smollm2"})
    with pytest.raises(ValueError, match="no GGUF file of yours is loaded yet"):
        blocks.compute({"model": "file"})


GGML_IDS = {"F16": 1, "Q4_0": 2, "Q8_0": 8}


def gguf_file(tensors):  # {name: (ggml type, numpy shape, raw bytes)} -> a minimal GGUF v3 file holding them
    import struct

    def string(s):
        return struct.pack("<Q", len(s.encode())) + s.encode()

    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), 0)
    data = b""
    for name, (kind, shape, raw) in tensors.items():
        head += string(name) + struct.pack("<I", len(shape)) + struct.pack(f"<{len(shape)}Q", *shape[::-1])
        head += struct.pack("<IQ", GGML_IDS[kind], len(data))
        data += raw + b"\0" * (-len(raw) % 32)  # every tensor starts at a multiple of the alignment, 32
    return head + b"\0" * (-len(head) % 32) + data


def readers_file(tmp_path, monkeypatch, tensors):  # -> the reader's own GGUF, where the page puts it
    (tmp_path / "models" / "file").mkdir(parents=True)
    (tmp_path / gguf.READER_FILE).write_bytes(gguf_file(tensors))
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    return gguf.read_gguf(tmp_path / gguf.READER_FILE)


def test_a_readers_q4_0_file_is_decoded_with_q_minus_8(tmp_path, monkeypatch):
    w = np.random.default_rng(0).standard_normal((2, 64, 96)).astype(np.float32)  # two layers' attn_q
    f = readers_file(
        tmp_path,
        monkeypatch,
        {
            "token_embd.weight": ("Q8_0", (10, 96), gguf.quantize_q8_0(w[0, :10]).tobytes()),
            **{f"blk.{i}.attn_q.weight": ("Q4_0", (64, 96), gguf.quantize_q4_0(w[i]).tobytes()) for i in range(2)},
        },
    )
    r = run(blocks, model="file", layer=7, row=63, block=2)
    assert r["params"]["layer"] == 1 and r["tensor"]["type"] == "Q4_0" and r["block"]["formula"] == "d × (q − 8)"
    check_block(r, f.tensor_bytes("blk.1.attn_q.weight"), f.tensor("blk.1.attn_q.weight"))
    check_errors(r, f.tensor("blk.1.attn_q.weight"))
    assert [x["name"] for x in r["formats"] if x["same_bytes"]] == ["Q4_0"]
    assert all(e["edge"] == (e["q"] == 0) for e in r["block"]["elements"])  # code 0: the weight that set d
    assert r["stored"] == (
        "As stored: 3 tensors (2 in Q4_0, 1 in Q8_0), 0.00793 MB of weights, "  # 7,932 bytes
        f"{8 * (2 * 64 * 3 * 18 + 10 * 3 * 34) / (2 * 64 * 96 + 10 * 96):.2f} bits a weight on average."
    )
    r = run(blocks, model="file", tensor="token_embd", row=4)
    check_block(r, f.tensor_bytes("token_embd.weight"), f.tensor("token_embd.weight"))


def test_a_readers_file_with_unblocked_tensors_gets_a_clear_message(tmp_path, monkeypatch):
    """A reader's own GGUF whose matrices are F16 has no blocks to decode: the widget says so."""
    one = np.ones((32, 32), "<f2").tobytes()
    readers_file(
        tmp_path,
        monkeypatch,
        {"token_embd.weight": ("F16", (32, 32), one), "blk.0.attn_q.weight": ("F16", (32, 32), one)},
    )
    with pytest.raises(ValueError, match="stored as F16, one number after another, without blocks"):
        blocks.compute({"model": "file"})


# -- SmolLM2's real file -------------------------------------------------------------------------------


@pytest.mark.parametrize("params", blocks.SMOLLM2_EXAMPLES)
def test_smollm2_blocks_are_the_files_bytes_and_weights(smollm2, params):
    r = run(blocks, **params)
    name = r["tensor"]["name"]
    check_block(r, smollm2.tensor_bytes(name), smollm2.tensor(name))
    info = smollm2.tensors[name]
    offset = int(r["block"]["offset"].replace(",", ""))
    assert r["block"]["file_offset"] == f"{smollm2.data_start + info.offset + offset:,}"


@pytest.mark.parametrize("tensor, layer", [("attn_q", 0), ("ffn_down", 29), ("attn_k", 11)])
def test_smollm2_errors_equal_a_direct_requantization(smollm2, tensor, layer):
    r = run(blocks, model="smollm2", tensor=tensor, layer=layer)
    check_errors(r, smollm2.tensor(r["tensor"]["name"]))
    assert r["requantized"].startswith("The whole tensor")


def test_the_embedding_table_is_measured_on_one_row_in_14(smollm2):
    r = run(blocks, model="smollm2", tensor="token_embd")
    check_errors(r, smollm2.tensor("token_embd.weight")[::14])
    assert r["requantized"].startswith("One row in 14 of the tensor (3,511 of its 49,152 rows, 2,022,336 weights)")
    assert {f["name"]: f["same_bytes"] for f in r["formats"]} == {
        "F16": False,
        "Q8_0": True,
        "Q4_0": False,
        "Q4_1": False,
    }


def test_every_smollm2_q4_1_matrix_requantizes_to_the_files_bytes(smollm2):
    """Quantizing the dequantized weights again in their own format gives back the file, in all 210."""
    q4_1 = [name for name, info in smollm2.tensors.items() if info.type == "Q4_1"]
    assert len(q4_1) == 210
    for name in q4_1:
        again = gguf.quantize_q4_1(smollm2.tensor(name))
        assert np.array_equal(again.reshape(-1), smollm2.tensor_bytes(name)), name
        codes = gguf.unpack_nibbles(gguf.as_blocks(smollm2.tensor_bytes(name), gguf.BLOCK_Q4_1, "Q4_1")["qs"])
        assert (codes == 0).any(axis=-1).all() and (codes == 15).any(axis=-1).all(), name  # every block spans 0..15
    embedding = smollm2.tensor("token_embd.weight")
    assert np.array_equal(gguf.quantize_q8_0(embedding).reshape(-1), smollm2.tensor_bytes("token_embd.weight"))


def test_the_widget_reads_the_files_header_only(smollm2_gguf):
    key = blocks.file_key("smollm2")
    head = blocks.file_head(key)
    assert len(head.buffer) < 8 << 20 < smollm2_gguf.stat().st_size  # the metadata, not the 98 MB
    assert {n: (i.shape, i.type, i.offset) for n, i in head.tensors.items()} == {
        n: (i.shape, i.type, i.offset) for n, i in gguf.read_gguf(smollm2_gguf).tensors.items()
    }


# -- the numbers chapters/11-quantization.md quotes ----------------------------------------------------


def test_chapter_smollm2_file_facts(smollm2, smollm2_gguf):
    from llm_core.model import n_params

    assert smollm2_gguf.stat().st_size == 98_362_432
    kinds = [info.type for info in smollm2.tensors.values()]
    assert (kinds.count("Q4_1"), kinds.count("Q8_0"), kinds.count("F32")) == (210, 1, 61)
    assert smollm2.tensors["token_embd.weight"].type == "Q8_0"
    cfg, _ = gguf.check_runnable(smollm2)
    assert (n_params(cfg), n_params(get_model("tiny").cfg)) == (134_515_008, 1_705_600)
    assert round(n_params(cfg) / n_params(get_model("tiny").cfg)) == 79  # "nearly 80 times"
    r = run(blocks, model="smollm2")
    assert r["stored"] == (
        "As stored: 272 tensors (210 in Q4_1, 61 in F32, 1 in Q8_0), 96.6 MB of weights, 5.74 bits a weight on average."
    )
    assert {f["name"]: f["model"] for f in r["formats"]} == {
        "F16": "269 MB",
        "Q8_0": "143 MB",
        "Q4_0": "75.8 MB",
        "Q4_1": "84.2 MB",
    }


def test_chapter_first_block_of_attn_q(smollm2):
    r = run(blocks, model="smollm2", tensor="attn_q", layer=0, row=0, block=0)
    b = r["block"]
    d, m, codes = b["fields"]
    assert d["bytes"] == ["0f", "30"] and d["word"] == "0x300f" and d["text"] == "0.12683"
    assert m["bytes"] == ["d8", "b9"] and m["text"] == "−0.73047"
    assert codes["bytes"][0] == "45" and b["elements"][0]["byte"] == 4
    assert (b["elements"][0]["q"], b["elements"][16]["q"]) == (5, 4)
    assert b["elements"][0]["text"] == "−0.096313"  # 0.12683 x 5 - 0.73047 = -0.09632


def test_chapter_errors_of_attn_q(smollm2):
    r = run(blocks, model="smollm2", tensor="attn_q", layer=0)
    f = {x["name"]: x for x in r["formats"]}
    assert f["Q4_1"]["rms_text"] == "0" and f["Q4_1"]["same_bytes"]
    assert f["Q8_0"]["rms_text"] == "0.626%"  # "0.63%"
    assert (f["Q4_0"]["rms_text"], f["Q4_0"]["max_text"]) == ("9.93%", "110%")
    w = smollm2.tensor("blk.0.attn_q.weight")
    w_hat = gguf.dequantize_q4_0(gguf.quantize_q4_0(w)).reshape(w.shape)
    assert round(100 * np.mean(w_hat != w)) == 98  # "98% of the weights move"
    row, col = np.unravel_index(np.argmax(np.abs(w_hat - w)), w.shape)
    block = w[row, col // 32 * 32 : col // 32 * 32 + 32]
    rms = np.sqrt(np.mean(w.astype(np.float64) ** 2))
    absmax = np.abs(block).max()
    assert round(float(absmax), 2) == 5.25 and int(absmax / rms) == 18 and round(absmax / 8, 2) == 0.66
    assert np.abs(w_hat - w).max() <= absmax / 8 / 2 + 1e-6  # half a step, not a clipped one


def test_chapter_q4_0_against_q4_1_on_weights_never_quantized():
    """The tiny model's layer-0 wq as trained (fp16), in the GGUF layout: Q4_0 8.53%, Q4_1 7.70%, Q8_0 0.53%."""
    errors = naive_errors(np.ascontiguousarray(tiny_as_gguf("blk.0.attn_q.weight")))
    assert {fmt: round(100 * errors[fmt][0], 2) for fmt in QUANTIZERS} == {"Q8_0": 0.53, "Q4_0": 8.53, "Q4_1": 7.70}


def test_chapter_q4_0_grid_is_minus_8_to_7_from_the_signed_absmax():
    """Chapter 11's Q4_0: codes -8..7 (stored 0..15), d = w_max / -8 with w_max the weight of largest
    magnitude, sign kept, landing on -8; a weight of the other sign near -w_max clipped to 7 (one step off);
    every other weight within half a step (plus d's fp16 rounding)."""
    w = np.linspace(-0.9, 0.9, 32).astype(np.float32)
    w[5], w[20] = 1.0, -1.0  # the largest magnitude, positive (first), and its opposite
    stored = gguf.quantize_q4_0(w)
    block = gguf.as_blocks(stored, gguf.BLOCK_Q4_0, "Q4_0")[0]
    d = float(block["d"])
    assert d == float(np.float16(1.0 / -8))  # negative: the signed absmax over -8
    codes = gguf.unpack_nibbles(block["qs"]).astype(int) - 8
    assert codes.min() >= -8 and codes.max() <= 7
    assert codes[5] == -8 and codes[20] == 7  # w_max on -8; -w_max wants +8, clipped to 7
    error = np.abs(gguf.dequantize_q4_0(stored) - w)
    assert math.isclose(error[20], abs(d), rel_tol=1e-6)  # one whole step
    others = np.delete(error, 20)
    assert others.max() <= abs(d) / 2 + 1e-6
