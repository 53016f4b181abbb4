"""llm_core.model against a naive float64 reference, cached vs uncached generation, bad input, and the
trained tiny model in models/tiny/ (skipped, saying why, until its files exist; GLASSBOX_TINY_MODEL
names another folder, e.g. a smoke run's output)."""

import base64
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from llm_core.bpe_train import train as train_bpe
from llm_core.checkpoints import pack_weights, unpack_weights
from llm_core.kv_cache import PrefixCache
from llm_core.configs import ArchConfig, parameter_count
from llm_core.loss import cross_entropy
from llm_core.model import (
    BLOCK_WEIGHTS,
    Model,
    ModelConfig,
    forward,
    n_params,
    random_weights,
    transformer_block,
    weight_shapes,
)
from llm_core.generation import generate
from llm_core.model_files import load_model
from llm_core.norms import rms_norm
from llm_core.rope import rope_cos_sin, rope_frequencies
from llm_core.tokenizer import Encoding
from tests.tolerances import (
    abs_matmul,
    assert_within_rounding,
    forward_terms,
    is_top,
    rounding_tolerance,
    steps_to_compare,
    within_rounding,
)

ROOT = Path(__file__).resolve().parents[2]
TINY = Path(os.environ.get("GLASSBOX_TINY_MODEL", ROOT / "models" / "tiny"))
SMALL = ModelConfig(n_vocab=300, n_ctx=32, d_model=16, n_layer=2, n_head=4, n_kv_head=2, d_head=4, d_ff=24)
EOT = "<|endoftext|>"


@pytest.fixture(scope="module")
def encoding():
    """A byte-level BPE vocabulary of 299 tokens + <|endoftext|>, trained on a chapter of Moby Dick."""
    text = (ROOT / "tests" / "core" / "corpus" / "english_moby_dick_1.txt").read_text(encoding="utf-8")
    enc, _ = train_bpe(text, SMALL.n_vocab - 1, name="test")
    return Encoding("test", enc.pat_str, enc.mergeable_ranks, {EOT: SMALL.n_vocab - 1})


@pytest.fixture(scope="module")
def small(encoding):
    """A random model whose weights are large enough (std 0.3) for logits that differ visibly."""
    weights = {
        name: (w if w.ndim == 1 else w * 15).astype(np.float32) for name, w in random_weights(SMALL, seed=1).items()
    }
    return Model(SMALL, weights, encoding)


def naive_norm(x, g, cfg):
    return x / math.sqrt(sum(v * v for v in x) / len(x) + cfg.norm_eps) * g


def naive_block(xs, w, p, cfg):  # one block by float64 loops, one position and one head at a time
    d_head, half = cfg.d_head, cfg.d_head // 2

    def rotate(vec, pos):  # pair i = coordinates (i, i + d_head / 2), angle pos * base^(-2i / d_head)
        out = vec.copy()
        for i in range(half):
            t = pos * cfg.rope_base ** (-2 * i / d_head)
            a, b = vec[i], vec[i + half]
            out[i], out[i + half] = a * math.cos(t) - b * math.sin(t), a * math.sin(t) + b * math.cos(t)
        return out

    hs = [naive_norm(x, w[p + "attn_norm"], cfg) for x in xs]
    qs = [h @ w[p + "wq"] for h in hs]
    ks = [h @ w[p + "wk"] for h in hs]
    vs = [h @ w[p + "wv"] for h in hs]
    new = []
    for t in range(len(xs)):
        heads = []
        for head in range(cfg.n_head):
            kv = head // (cfg.n_head // cfg.n_kv_head)
            q = rotate(qs[t][head * d_head : (head + 1) * d_head], t)
            scores = [q @ rotate(ks[j][kv * d_head : (kv + 1) * d_head], j) / math.sqrt(d_head) for j in range(t + 1)]
            e = [math.exp(s - max(scores)) for s in scores]
            heads.append(sum(e[j] / sum(e) * vs[j][kv * d_head : (kv + 1) * d_head] for j in range(t + 1)))
        x = xs[t] + np.concatenate(heads) @ w[p + "wo"]
        h = naive_norm(x, w[p + "ffn_norm"], cfg)
        gate = h @ w[p + "w_gate"]
        new.append(x + (gate / (1 + np.exp(-gate)) * (h @ w[p + "w_up"])) @ w[p + "w_down"])
    return new


def naive_forward(weights, cfg, ids):  # float64 loops, one position and one head at a time
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    xs = [w["tok_emb"][t].copy() for t in ids]
    for layer in range(cfg.n_layer):
        xs = naive_block(xs, w, f"layers.{layer}.", cfg)
    return np.array([naive_norm(x, w["final_norm"], cfg) @ w["tok_emb"].T for x in xs])


def test_transformer_block_is_the_naive_block(small):
    """One block, in float64 throughout: transformer_block equals the loops up to float64 rounding."""
    w = {name: small.weights[f"layers.1.{name}"].astype(np.float64) for name in BLOCK_WEIGHTS}
    x = np.random.default_rng(4).normal(size=(6, SMALL.d_model))
    positions = np.arange(6)
    rope = rope_cos_sin(positions, rope_frequencies(SMALL.d_head, SMALL.rope_base), np.float64)
    mid, out, trace = transformer_block(x, w, SMALL, positions, rope)
    expected = naive_block(list(x), {f"b.{k}": v for k, v in w.items()}, "b.", SMALL)
    np.testing.assert_allclose(out, np.array(expected), rtol=1e-12, atol=1e-12)
    assert mid.shape == out.shape == x.shape and set(trace) == {"attn", "ffn"}
    # the block adds the FFN's output to the stream after attention
    np.testing.assert_allclose(out - mid, trace["ffn"]["hidden"] @ w["w_down"], rtol=1e-9, atol=1e-12)


def test_forward_matches_naive_reference(small):
    ids = [5, 17, 260, 3, 99, 42, 7]
    logits, _ = forward(small.weights, SMALL, ids)
    assert logits.shape == (len(ids), SMALL.n_vocab) and logits.dtype == np.float32
    expected = naive_forward(small.weights, SMALL, ids)  # float64: what float32 rounds along the whole pass
    assert_within_rounding(logits, expected, forward_terms(SMALL, len(ids), logits=True), np.abs(expected).max())


def test_parameter_count_agrees_with_configs_calculator():
    cfg = ModelConfig()
    arch = ArchConfig(
        "tiny",
        cfg.d_model,
        cfg.n_layer,
        cfg.n_head,
        cfg.n_kv_head,
        cfg.d_head,
        cfg.d_ff,
        cfg.n_vocab,
        cfg.n_ctx,
        True,
        "rmsnorm",
        "swiglu",
        "rope",
        "none",
        cfg.rope_base,
        "test",
    )
    assert n_params(cfg) == parameter_count(arch)["total"]
    assert 1_000_000 <= n_params(cfg) <= 5_000_000 and cfg.n_kv_head < cfg.n_head and cfg.n_ctx >= 256


def test_trace_contents(small):
    ids = [1, 2, 3, 4, 5, 6]
    logits, trace = forward(small.weights, SMALL, ids, trace=True)
    n, L, H = len(ids), SMALL.n_layer, SMALL.n_head
    np.testing.assert_array_equal(trace["embeddings"], small.weights["tok_emb"][ids])
    assert trace["residual"].shape == (2 * L + 1, n, SMALL.d_model)
    assert trace["residual_labels"] == [
        "embedding",
        "layer 0 attention",
        "layer 0 ffn",
        "layer 1 attention",
        "layer 1 ffn",
    ]
    attn = trace["attention"]
    assert attn.shape == (L, H, n, n)
    assert_within_rounding(attn.sum(-1), 1.0, n + 2, 1.0)  # n weights, each one division from the softmax
    assert np.all(np.triu(attn, k=1) == 0), "a position attended to a later one"
    assert trace["ffn_hidden"].shape == (L, n, SMALL.d_ff)
    assert trace["logit_lens"].shape == (L, n, SMALL.n_vocab)
    np.testing.assert_array_equal(trace["logit_lens"][-1], logits)
    # each sub-layer's output is the difference of consecutive residual snapshots
    layer0 = trace["layers"][0]
    w_down = small.weights["layers.0.w_down"]  # d_ff terms, then the add to the stream and the subtraction
    assert_within_rounding(
        trace["residual"][2] - trace["residual"][1],
        layer0["ffn"]["hidden"] @ w_down,
        SMALL.d_ff + 2,
        abs_matmul(layer0["ffn"]["hidden"], w_down) + np.abs(trace["residual"][2]),
    )
    assert layer0["attn"]["k"].shape == (SMALL.n_kv_head, n, SMALL.d_head)
    assert forward(small.weights, SMALL, ids)[1] is None


def test_prefill_then_decode_equals_full_forward(small):
    ids = [7, 8, 9, 10, 11, 12, 13, 14]
    full, _ = forward(small.weights, SMALL, ids)
    cache = small.new_cache()
    prefill, _ = forward(small.weights, SMALL, ids[:5], cache=cache)
    steps = [forward(small.weights, SMALL, [t], cache=cache)[0] for t in ids[5:]]
    # one position at a time against all at once: every sum of the pass in another order
    assert_within_rounding(
        np.concatenate([prefill, *steps]), full, forward_terms(SMALL, len(ids), logits=True), np.abs(full).max()
    )
    assert cache.n_seq == len(ids)


@pytest.mark.parametrize(
    "params",
    [
        {"temperature": 0},
        {"temperature": 1.0},
        {"temperature": 0.7, "top_k": 20, "top_p": 0.9, "min_p": 0.05, "seed": 123},
    ],
)
def test_cached_and_uncached_generation_agree(small, params):
    cached = generate(small, "Call me Ishmael", 20, use_cache=True, **params)
    uncached = generate(small, "Call me Ishmael", 20, use_cache=False, **params)
    # the same tokens, unless a near tie went the other way: up to it, every step's logits agree
    n = steps_to_compare(cached["new_ids"], uncached["new_ids"])
    n_terms = forward_terms(SMALL, len(cached["prompt_ids"]) + 20, logits=True)
    for a, b in zip(cached["steps"][:n], uncached["steps"][:n]):
        assert_within_rounding(a["logits"], b["logits"], n_terms, np.abs(b["logits"]).max())
    assert len(cached["new_ids"]) == 20 and cached["n_dropped"] == 0
    assert cached["text"] == small.encoding.decode(cached["new_ids"])


def test_logits_to_keep_gives_the_last_rows(small):
    ids = [7, 8, 9, 10, 11, 12]
    full, trace = forward(small.weights, SMALL, ids, trace=True)
    normed = rms_norm(trace["residual"][-1], small.weights["final_norm"], SMALL.norm_eps)
    magnitude = abs_matmul(normed, small.weights["tok_emb"].T)  # [n_seq, n_vocab]: each logit's sum of |terms|
    for n in (1, 3, 6):
        kept, _ = forward(small.weights, SMALL, ids, logits_to_keep=n)
        # the same stream; the final norm and the unembedding of fewer rows may sum in another order
        assert_within_rounding(kept, full[-n:], 2 * SMALL.d_model + 3, magnitude[-n:])


@pytest.mark.parametrize("params", [{"temperature": 0}, {"temperature": 0.9, "top_p": 0.9, "seed": 4}])
def test_a_prefix_cache_hit_changes_nothing(small, params):
    fresh = generate(small, "Call me Ishmael", 12, **params)
    prefixes = PrefixCache(size=2)
    first = generate(small, "Call me Ishmael", 12, prefix_cache=prefixes, **params)
    again = generate(small, "Call me Ishmael", 12, prefix_cache=prefixes, **params)  # a hit: no prefill
    assert list(prefixes.entries) == [tuple(fresh["prompt_ids"])]
    for run in (first, again):
        assert run["new_ids"] == fresh["new_ids"]
        for a, b in zip(run["steps"], fresh["steps"]):
            np.testing.assert_array_equal(a["logits"], b["logits"])  # the stored values, bit for bit
    # what is kept is not changed by the generations that started from it
    cache, logits = prefixes.lookup(fresh["prompt_ids"])
    assert cache.n_seq == len(fresh["prompt_ids"])
    np.testing.assert_array_equal(logits, fresh["steps"][0]["logits"])


def test_prefix_cache_keeps_the_most_recent(small):
    prefixes = PrefixCache(size=2)
    for prompt in ("a", "b", "a", "c"):
        generate(small, prompt, 1, prefix_cache=prefixes)
    assert [small.encoding.decode(list(k)) for k in prefixes.entries] == ["a", "c"]


def test_same_seed_same_tokens(small):
    runs = [small.generate("the text", 16, temperature=1.5, seed=s)["new_ids"] for s in (5, 5, 6)]
    assert runs[0] == runs[1] != runs[2]


def test_step_info(small):
    out = small.generate("the", 3, temperature=1.0, top_k=5, seed=0)
    step = out["steps"][0]
    assert step["token"] == out["new_ids"][0] and 0 < step["prob"] <= 1 and 0 <= step["u"] < 1
    assert len(step["top_ids"]) == 5 and step["top_probs"] == sorted(step["top_probs"], reverse=True)
    assert step["piece"] == small.encoding.decode([step["token"]])


def test_long_prompt_is_cut_from_the_left_and_counted(small):
    ids = list(range(1, 41))  # 40 tokens, context 32
    out = small.generate(ids, 8, temperature=0)
    assert out["prompt_ids"] == ids[-24:] and out["n_dropped"] == 16
    assert len(out["new_ids"]) == 8
    assert small.generate(ids[:24], 8, temperature=0)["n_dropped"] == 0


def test_unknown_characters_encode_through_bytes(small):
    text = "the 漢字 🙂 \x00 café"
    ids = small.encoding.encode(text)
    assert small.encoding.decode(ids) == text
    assert all(i < 256 for i in small.encoding.encode("漢字🙂"))  # never seen in training: single bytes
    out = small.generate(text, 4, temperature=0)
    assert out["prompt_ids"] == ids


def test_empty_prompt_starts_a_document(small):
    out = small.generate("", 3, temperature=0)
    assert out["prompt_ids"] == [small.encoding.special_tokens[EOT]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"temperature": -1}, "temperature must be a number >= 0"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_k": -3}, "top_k must be an integer >= 0"),
        ({"top_k": 2.5}, "top_k"),
        ({"top_p": 1.5}, "top_p must be a number in [0, 1]"),
        ({"min_p": -0.1}, "min_p must be a number in [0, 1]"),
        ({"max_new_tokens": 32}, "max_new_tokens must be an integer in [0, 31]"),
        ({"max_new_tokens": -1}, "max_new_tokens"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_bad_sampling_parameters_say_which_and_the_range(small, kwargs, message):
    kwargs = {"max_new_tokens": 4, **kwargs}
    with pytest.raises(ValueError) as info:
        small.generate("the", **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"n_kv_head": 3}, "n_kv_head (3) must divide n_head (4)"),
        ({"n_kv_head": 0}, "n_kv_head must be a positive integer"),
        ({"d_head": 5}, "d_head must be even"),
        ({"n_layer": 1.5}, "n_layer must be a positive integer"),
        ({"norm_eps": 0.0}, "norm_eps > 0"),
    ],
)
def test_config_validation(changes, message):
    with pytest.raises(ValueError) as info:
        dataclasses.replace(SMALL, **changes)
    assert message in str(info.value)


def test_config_is_frozen_and_round_trips_json():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SMALL.n_layer = 3
    assert ModelConfig.from_json(SMALL.to_json()) == SMALL


def test_forward_rejects_bad_ids_and_overflowing_context(small):
    with pytest.raises(ValueError, match="token ids must be in"):
        forward(small.weights, SMALL, [SMALL.n_vocab])
    with pytest.raises(ValueError, match="exceed the context"):
        forward(small.weights, SMALL, list(range(SMALL.n_ctx + 1)))
    with pytest.raises(ValueError, match="missing"):
        Model(SMALL, {k: v for k, v in small.weights.items() if k != "final_norm"})


def test_untied_output_projection():
    cfg = dataclasses.replace(SMALL, tied_embeddings=False)
    assert weight_shapes(cfg)["lm_head"] == (SMALL.d_model, SMALL.n_vocab)
    weights = random_weights(cfg, seed=2)
    logits, _ = forward(weights, cfg, [1, 2])
    expected, normed = logits_by_hand(weights, cfg, [1, 2])
    # the same stream; the final norm written out differently, then d_model terms per logit
    assert_within_rounding(logits[-1], expected[-1], 2 * cfg.d_model + 3, abs_matmul(normed[-1], weights["lm_head"]))


def logits_by_hand(weights, cfg, ids):  # -> logits, the final-normed stream
    _, trace = forward(weights, cfg, ids, trace=True)
    x = trace["residual"][-1]
    x = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + cfg.norm_eps) * weights["final_norm"]
    return x @ weights["lm_head"], x


@pytest.mark.parametrize("fmt, max_relative", [("fp32", 0.0), ("fp16", 1e-3), ("int8", 0.01), ("int4", 0.2)])
def test_checkpoint_formats_round_trip(small, fmt, max_relative):
    arrays, errors = pack_weights(small.weights, fmt, group_size=4)
    restored = unpack_weights(arrays)
    assert restored.keys() == small.weights.keys()
    for name, w in small.weights.items():
        assert restored[name].dtype == np.float32 and restored[name].shape == w.shape
        diff = np.linalg.norm(restored[name] - w) / np.linalg.norm(w)
        assert diff <= max_relative + 1e-7
        # it reports its own error: two norms of w.size squares each (and a subtraction, a division)
        assert errors[name]["relative"] == within_rounding(diff, w.size + 2, diff)


def test_load_model_from_folder_and_data_dir(small, tmp_path, monkeypatch):
    folder = tmp_path / "models" / "toy"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(SMALL.to_json())
    np.savez(folder / "weights.npz", **pack_weights(small.weights, "fp16")[0])
    ranks = sorted(small.encoding.mergeable_ranks.items(), key=lambda item: item[1])
    (folder / "vocab.tiktoken").write_bytes(b"".join(base64.b64encode(t) + b" %d\n" % r for t, r in ranks))
    spec = {
        "name": "test",
        "pat_str": small.encoding.pat_str,
        "special_tokens": {EOT: 299},
        "vocab_file": "vocab.tiktoken",
    }
    (folder / "tokenizer.json").write_text(json.dumps(spec))
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    for where in (str(folder), "models/toy"):  # a folder on disk; a path inside llm_core's data folder
        loaded = load_model(where)
        assert loaded.cfg == SMALL
        assert loaded.encoding.encode("the model") == small.encoding.encode("the model")
        fp16 = {k: v.astype(np.float16).astype(np.float32) for k, v in small.weights.items()}
        # the same values; loaded weights are column-major, which BLAS may multiply with another kernel
        expected = forward(fp16, SMALL, [1, 2, 3])[0]
        assert_within_rounding(
            loaded.forward([1, 2, 3])[0], expected, forward_terms(SMALL, 3, logits=True), np.abs(expected).max()
        )


# ---------------------------------------------------------------- the trained tiny model


def needs_trained_model(*files):
    missing = [f for f in ("config.json", "weights.npz", "train_log.json", *files) if not (TINY / f).exists()]
    return pytest.mark.skipif(
        bool(missing),
        reason=f"the trained model is not in {TINY} yet (missing {', '.join(missing)}); train it with scripts/train.py",
    )


@pytest.fixture(scope="module")
def tiny():
    return load_model(str(TINY))


@needs_trained_model("val_windows.npy")
def test_numpy_reproduces_training_validation_loss(tiny):
    log = json.loads((TINY / "train_log.json").read_text())
    windows = np.load(TINY / "val_windows.npy").astype(np.int64)
    losses = [cross_entropy(forward(tiny.weights, tiny.cfg, w[:-1])[0], w[1:])[0] for w in windows]
    assert float(np.mean(losses)) == pytest.approx(log["final_val_loss"], rel=0.01)


@needs_trained_model("golden.json")
def test_golden_greedy_generation(tiny):
    golden = json.loads((TINY / "golden.json").read_text())
    out = tiny.generate(golden["prompt"], golden["max_new_tokens"], temperature=0)
    assert out["prompt_ids"] == golden["prompt_ids"] and len(golden["new_ids"]) == 64
    # golden.json was written on another machine, in another float32 order: its choices are this run's
    # up to a near tie (then the two continue from different tokens)
    k = steps_to_compare(out["new_ids"], golden["new_ids"]) - 1
    logits = out["steps"][k]["logits"]
    tol = rounding_tolerance(forward_terms(tiny.cfg, len(out["prompt_ids"]) + k + 1, logits=True), np.abs(logits).max())
    assert is_top(logits, golden["new_ids"][k], 2 * tol), "weights changed? regenerate golden.json: scripts/evaluate.py"


@needs_trained_model("val_windows.npy")
def test_numpy_matches_torch_training_model():
    pytest.importorskip(
        "torch",
        reason="torch is not installed (it is only in the train extra); the numpy "
        "checks against the naive reference and train_log.json still run",
    )
    sys.path.insert(0, str(ROOT / "scripts"))
    import train

    assert train.parity(TINY) <= 1e-4


@needs_trained_model("val_windows.npy")
def test_int8_weights_stay_within_two_percent(tiny):
    windows = np.load(TINY / "val_windows.npy").astype(np.int64)[:24]
    int8 = unpack_weights(pack_weights(tiny.weights, "int8", 32)[0])

    def mean_loss(weights):
        return np.mean([cross_entropy(forward(weights, tiny.cfg, w[:-1])[0], w[1:])[0] for w in windows])

    perplexity_ratio = math.exp(mean_loss(int8) - mean_loss(tiny.weights))
    assert perplexity_ratio == pytest.approx(1.0, abs=0.02)


@needs_trained_model("curves.json")
def test_shipped_files_fit_the_budget_and_checkpoints_load(tiny):
    log = json.loads((TINY / "train_log.json").read_text())
    assert log["shipped_total_bytes"] <= 12_000_000
    curves = json.loads((TINY / "curves.json").read_text())
    snapshots = [c for c in curves["checkpoints"] if c["file"].startswith("checkpoints/")]
    assert len(snapshots) >= 6
    first = load_model(str(TINY), snapshots[0]["file"])
    assert first.weights.keys() == tiny.weights.keys()


def test_trace_without_the_logit_lens_is_the_same_pass():
    tiny = load_model("models/tiny")
    ids = tiny.encoding.encode("The President of the United States")
    logits, full = tiny.forward(ids, trace=True)
    logits2, light = tiny.forward(ids, trace=True, lens=False)
    assert light["logit_lens"] is None
    np.testing.assert_array_equal(logits, logits2)
    np.testing.assert_array_equal(full["residual"], light["residual"])
    np.testing.assert_array_equal(full["logit_lens"][-1], logits)
