"""llm_core.gguf.load_gguf: a Llama-architecture GGUF file runs through llm_core.model's own code.

A small random model written with llama.cpp's own writer (the `gguf` package), in llama.cpp's layout
(query/key rows permuted as its converter does), must give the logits llm_core.model gives for the
same weights; RoPE on the GGUF's neighbour pairs equals RoPE on rotate-half pairs after the rows are
put back; and files that cannot run are refused, before any weight is read, with a message that says why.
"""

import numpy as np
import pytest

gguf_writer = pytest.importorskip("gguf")

from llm_core import gguf  # noqa: E402
from llm_core.bpe_merges import bytes_to_unicode  # noqa: E402
from llm_core.model import ModelConfig, forward, n_params, random_weights  # noqa: E402
from llm_core.generation import generate  # noqa: E402
from llm_core.rope import rope_frequencies  # noqa: E402

SMALL = ModelConfig(
    n_vocab=260,
    n_ctx=32,
    d_model=16,
    n_layer=2,
    n_head=4,
    n_kv_head=2,
    d_head=4,
    d_ff=24,
    rope_base=500.0,
    norm_eps=float(np.float32(1e-6)),
)  # metadata floats are float32


def write_llama_gguf(path, weights, cfg, arch="llama", pre="smollm", tensor_type=None, drop=()):
    """A llama GGUF as llama.cpp's converter writes one: [d_out, d_in] matrices, q/k rows in pairs."""
    writer = gguf_writer.GGUFWriter(str(path), arch)
    writer.add_block_count(cfg.n_layer)
    writer.add_context_length(cfg.n_ctx)
    writer.add_embedding_length(cfg.d_model)
    writer.add_feed_forward_length(cfg.d_ff)
    writer.add_head_count(cfg.n_head)
    writer.add_head_count_kv(cfg.n_kv_head)
    writer.add_rope_freq_base(cfg.rope_base)
    writer.add_layer_norm_rms_eps(cfg.norm_eps)
    writer.add_rope_dimension_count(cfg.d_head)
    writer.add_vocab_size(cfg.n_vocab)
    # 256 byte tokens in GPT-2's byte-to-unicode spelling, one merge ("ab"), then 3 control tokens
    tokens = list(bytes_to_unicode().values()) + ["ab", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types([1] * 257 + [3] * 3)
    writer.add_token_merges(["a b"])
    layer_names = {v: k for k, v in gguf.LLAMA_LAYER_TENSORS.items()}
    tensors = {"token_embd.weight": weights["tok_emb"], "output_norm.weight": weights["final_norm"]}
    for i in range(cfg.n_layer):
        for gguf_name, name in layer_names.items():
            w = weights[f"layers.{i}.{name}"]
            w = w.T if w.ndim == 2 else w  # llm_core's [d_in, d_out] -> the file's [d_out, d_in]
            if name == "wq":
                w = gguf.rope_rows_to_pairs(w, cfg.n_head)
            elif name == "wk":
                w = gguf.rope_rows_to_pairs(w, cfg.n_kv_head)
            tensors[f"blk.{i}.{gguf_name}.weight"] = w
    for name, w in tensors.items():
        if name in drop:
            continue
        if tensor_type == gguf_writer.GGMLQuantizationType.Q6_K and w.ndim == 2:  # 210 bytes per 256 values
            writer.add_tensor(name, np.zeros((w.shape[0], w.shape[1] // 256 * 210), np.uint8), raw_dtype=tensor_type)
        elif tensor_type is not None and w.ndim == 2:
            raw = gguf_writer.quants.quantize(w.astype(np.float32), tensor_type)
            writer.add_tensor(name, raw, raw_dtype=tensor_type)
        else:
            writer.add_tensor(name, np.ascontiguousarray(w, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="module")
def small_weights():
    return random_weights(SMALL, seed=3)


def test_a_written_llama_file_gives_the_logits_of_the_same_weights(tmp_path, small_weights):
    path = write_llama_gguf(tmp_path / "small.gguf", small_weights, SMALL)
    model = gguf.load_gguf(path, n_ctx=SMALL.n_ctx)
    assert model.cfg == SMALL
    assert model.name == "GGUF model"  # the writer set no general.name
    for name, w in small_weights.items():
        np.testing.assert_array_equal(model.weights[name], w, err_msg=name)  # F32: exact, layout and all
    ids = [5, 77, 200, 3, 3, 9, 140, 255]
    expected, _ = forward(small_weights, SMALL, ids)
    got, _ = model.forward(ids)
    np.testing.assert_array_equal(got, expected)
    # and from the file's bytes, as the browser passes them
    from_bytes = gguf.load_gguf(path.read_bytes(), n_ctx=SMALL.n_ctx)
    np.testing.assert_array_equal(from_bytes.forward(ids)[0], expected)


def test_quantized_matrices_dequantize_to_what_the_file_holds(tmp_path):
    cfg = ModelConfig(
        n_vocab=260,
        n_ctx=8,
        d_model=32,
        n_layer=2,
        n_head=4,
        n_kv_head=2,
        d_head=8,
        d_ff=64,
        rope_base=10000.0,
        norm_eps=float(np.float32(1e-5)),
    )  # rows of whole 32-value blocks
    for kind in ("Q4_0", "Q4_1", "Q8_0"):
        qtype = gguf_writer.GGMLQuantizationType[kind]
        path = write_llama_gguf(tmp_path / f"{kind}.gguf", random_weights(cfg, seed=1), cfg, tensor_type=qtype)
        model = gguf.load_gguf(path)
        raw = {t.name: t for t in gguf_writer.GGUFReader(str(path)).tensors}
        for name, file_name, n_head in [
            ("layers.1.w_down", "blk.1.ffn_down.weight", 0),
            ("layers.0.wk", "blk.0.attn_k.weight", cfg.n_kv_head),
            ("tok_emb", "token_embd.weight", 0),
        ]:
            w = gguf_writer.quants.dequantize(raw[file_name].data, qtype)
            w = gguf.rope_rows_to_halves(w, n_head) if n_head else w
            np.testing.assert_array_equal(model.weights[name], w if name == "tok_emb" else w.T, err_msg=kind)


def test_rope_rows_round_trip_exactly():
    w = np.random.default_rng(0).normal(size=(6 * 8, 5)).astype(np.float32)
    np.testing.assert_array_equal(gguf.rope_rows_to_halves(gguf.rope_rows_to_pairs(w, 6), 6), w)
    np.testing.assert_array_equal(gguf.rope_rows_to_pairs(gguf.rope_rows_to_halves(w, 6), 6), w)
    # within a head of 8: the file's rows 0, 1 (a pair) are rows 0 and 4 of the rotate-half layout
    halves = gguf.rope_rows_to_halves(w, 6)
    np.testing.assert_array_equal(halves[[0, 4, 1, 5]], w[[0, 1, 2, 3]])


def rotate_neighbour_pairs(x, positions, freqs):  # [n_seq, d_head] -> [n_seq, d_head], ggml's way, by loops
    out = np.array(x, dtype=np.float64)
    for t, pos in enumerate(positions):
        for i, f in enumerate(freqs):
            a, b = x[t, 2 * i], x[t, 2 * i + 1]
            c, s = np.cos(pos * f), np.sin(pos * f)
            out[t, 2 * i], out[t, 2 * i + 1] = a * c - b * s, a * s + b * c
    return out


def test_rope_on_the_files_pairs_equals_rope_on_halves_after_unpermuting(smollm2_gguf):
    """The real file's layer-0 query and key rows: scores with ggml's neighbour-pair RoPE on the rows
    as stored equal llm_core's rotate-half RoPE on the rows put back; every head, positions 0..40."""
    f = gguf.read_gguf(smollm2_gguf)
    cfg = gguf.config_from_gguf(f.metadata)
    wq_file = f.tensor("blk.0.attn_q.weight").astype(np.float64)  # [n_head * d_head, d_model]
    wk_file = f.tensor("blk.0.attn_k.weight").astype(np.float64)
    x = np.random.default_rng(1).normal(size=(41, cfg.d_model))
    positions = np.arange(41)
    freqs = rope_frequencies(cfg.d_head, cfg.rope_base)
    d = cfg.d_head
    from llm_core.rope import apply_rope

    wq_halves = gguf.rope_rows_to_halves(wq_file, cfg.n_head)
    wk_halves = gguf.rope_rows_to_halves(wk_file, cfg.n_kv_head)
    group = cfg.n_head // cfg.n_kv_head
    for h in range(cfg.n_head):
        kv = h // group
        q_file = rotate_neighbour_pairs(x @ wq_file[h * d : (h + 1) * d].T, positions, freqs)
        k_file = rotate_neighbour_pairs(x @ wk_file[kv * d : (kv + 1) * d].T, positions, freqs)
        q = apply_rope(x @ wq_halves[h * d : (h + 1) * d].T, positions, freqs)
        k = apply_rope(x @ wk_halves[kv * d : (kv + 1) * d].T, positions, freqs)
        np.testing.assert_allclose(q @ k.T, q_file @ k_file.T, rtol=1e-9, atol=1e-9 * np.abs(q_file @ k_file.T).max())


def test_smollm2_config_comes_from_its_metadata(smollm2_gguf):
    f = gguf.read_gguf(smollm2_gguf)
    cfg = gguf.config_from_gguf(f.metadata)
    assert (cfg.n_vocab, cfg.d_model, cfg.n_layer, cfg.n_head, cfg.n_kv_head, cfg.d_head, cfg.d_ff) == (
        49152,
        576,
        30,
        9,
        3,
        64,
        1536,
    )
    assert cfg.rope_base == 100000.0 and cfg.norm_eps == pytest.approx(1e-5)
    assert cfg.n_ctx == gguf.DEFAULT_N_CTX  # trained on 8192; the KV cache is sized for 2048 by default
    assert gguf.config_from_gguf(f.metadata, n_ctx=8192).n_ctx == 8192


def test_files_that_cannot_run_are_refused_before_any_weight_is_read(tmp_path, small_weights, monkeypatch):
    read = []
    monkeypatch.setattr(gguf.GGUFFile, "tensor", lambda self, name: read.append(name))
    cases = [
        (dict(arch="gemma"), r"'gemma' model; llm_core runs the 'llama' architecture only"),
        (dict(pre="no-such-pre"), r"pre-tokenizer 'no-such-pre' is not implemented"),
        (dict(drop=("blk.1.ffn_up.weight",)), r"lacks tensor 'blk.1.ffn_up.weight'"),
        (dict(tensor_type=gguf_writer.GGMLQuantizationType.Q6_K), r"stored as Q6_K"),
    ]
    for i, (kwargs, message) in enumerate(cases):
        weights = small_weights
        if "tensor_type" in kwargs:  # K-quants need rows of 256
            cfg = ModelConfig(n_vocab=260, n_ctx=8, d_model=256, n_layer=1, n_head=4, n_kv_head=2, d_head=64, d_ff=256)
            weights, path = random_weights(cfg, seed=0), tmp_path / f"case{i}.gguf"
            write_llama_gguf(path, weights, cfg, **kwargs)
        else:
            path = write_llama_gguf(tmp_path / f"case{i}.gguf", weights, SMALL, **kwargs)
        with pytest.raises(ValueError, match=message):
            gguf.load_gguf(path)
        assert read == [], f"case {kwargs}: read {read[:2]} before refusing"


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"PK\x03\x04 not a gguf file at all" * 4)
    with pytest.raises(ValueError, match="not a GGUF file"):
        gguf.load_gguf(bad)


def test_smollm2_answers_paris(smollm2_gguf):
    model = gguf.load_gguf(smollm2_gguf, name="SmolLM2-135M-Instruct")
    assert model.name == "SmolLM2-135M-Instruct"
    out = generate(model, "The capital of France is", max_new_tokens=2, temperature=0)
    assert out["text"].startswith(" Paris")


def test_a_file_is_checked_from_its_first_bytes(tmp_path, small_weights, smollm2_gguf):
    data = write_llama_gguf(tmp_path / "small.gguf", small_weights, SMALL).read_bytes()
    assert gguf.check_gguf_head(data[:64], len(data)) == {"more": 256}  # the metadata goes on: read more
    assert gguf.check_gguf_head(data, len(data))["model"]["n_params"] == n_params(SMALL)
    # SmolLM2's metadata and tensor list fit in its first 2 MB (49,152 tokens and 48,900 merges)
    head = smollm2_gguf.open("rb").read(2 << 20)
    info = gguf.check_gguf_head(head, smollm2_gguf.stat().st_size, gguf.BROWSER_MAX_WEIGHT_BYTES)["model"]
    assert (info["n_params"], info["n_layer"], info["n_vocab"]) == (134_515_008, 30, 49152)
    with pytest.raises(ValueError, match=r"135M parameters: as float32.*need 0.5 GB, more than the 0.4 GB"):
        gguf.check_gguf_head(head, smollm2_gguf.stat().st_size, max_weight_bytes=0.4e9)
    with pytest.raises(ValueError, match="not a GGUF file"):
        gguf.check_gguf_head(b"\x89PNG\r\n\x1a\n" + bytes(100), 108)
    with pytest.raises(ValueError, match="truncated GGUF file"):  # the whole file was given: truly cut short
        gguf.check_gguf_head(data[:64], 64)


def test_a_readers_second_file_replaces_the_first_everywhere(tmp_path, monkeypatch, small_weights):
    """The page writes each file the reader opens to the same place ("file"): once the second is loaded,
    widgets must run it, not the first, even on a prompt the first one read already (next_token keeps
    prompts' KV caches per model)."""
    from widget_loader import load_widget, run

    next_token = load_widget("next_token")
    monkeypatch.setattr(gguf, "_data_models", {})
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    (tmp_path / "models" / "file").mkdir(parents=True)
    path = tmp_path / gguf.READER_FILE
    answers = []
    for seed in (3, 4):
        weights = random_weights(SMALL, seed=seed)
        write_llama_gguf(path, weights, SMALL)
        for _, _, model in gguf.load_data_model_steps(gguf.READER_FILE, n_ctx=SMALL.n_ctx):
            pass
        r = run(next_token, model="file", prompt="abba cab")
        logits = forward(weights, SMALL, model.encoding.encode("abba cab"))[0][-1]
        # this model's own scores (float32 read two ways, batched and cached: far below the 0.1-1 that
        # separates two random models' logits)
        assert [row["id"] for row in r["rows"][:3]] == np.argsort(-logits, kind="stable")[:3].tolist()
        np.testing.assert_allclose(
            [row["logit"] for row in r["rows"]], np.sort(logits)[::-1][: len(r["rows"])], rtol=1e-4, atol=1e-4
        )
        answers.append(r["rows"][0]["logit"])
    assert answers[0] != answers[1]
