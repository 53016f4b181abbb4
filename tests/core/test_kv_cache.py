"""llm_core.kv_cache: the cache object, cached = uncached attention, and the memory calculator."""

from types import SimpleNamespace

import numpy as np
import pytest

from llm_core import kv_cache
from llm_core.attention import multi_head_attention
from llm_core.configs import CONFIGS
from llm_core.kv_cache import KVCache, attention_variants, kv_bytes_per_token, kv_cache_bytes
from llm_core.rope import rope_frequencies

RNG = np.random.default_rng(5)


def test_update_appends_per_layer():
    cache = KVCache(n_layer=2, n_kv_head=2, d_head=3, max_seq=6, dtype=np.float64)
    a, b = RNG.normal(size=(2, 2, 4, 3))
    k, v = cache.update(0, a, b)
    np.testing.assert_array_equal(k, a)
    assert cache.lengths.tolist() == [4, 0] and cache.n_seq == 0
    cache.update(1, a, b)
    c, d = RNG.normal(size=(2, 2, 1, 3))
    k, v = cache.update(0, c, d)
    np.testing.assert_array_equal(k, np.concatenate([a, c], axis=1))
    np.testing.assert_array_equal(v, np.concatenate([b, d], axis=1))
    assert cache.n_seq == 4 and cache.lengths.tolist() == [5, 4]


def test_byte_counts_and_overflow():
    cache = KVCache(n_layer=3, n_kv_head=2, d_head=4, max_seq=10)
    assert cache.allocated_bytes == 2 * 3 * 2 * 10 * 4 * 4  # K and V, float32
    assert cache.nbytes == 0
    for layer in range(3):
        cache.update(layer, np.zeros((2, 7, 4)), np.zeros((2, 7, 4)))
    cfg = SimpleNamespace(n_layer=3, n_kv_head=2, d_head=4)
    assert cache.nbytes == kv_cache_bytes(cfg, n_ctx=7, bytes_per_value=4)
    with pytest.raises(ValueError, match="max_seq"):
        cache.update(0, np.zeros((2, 4, 4)), np.zeros((2, 4, 4)))
    cache.reset()
    assert cache.n_seq == 0 and cache.nbytes == 0


@pytest.mark.parametrize("n_head,n_kv_head", [(4, 4), (4, 2), (4, 1)])
def test_cached_decode_equals_full_pass(n_head, n_kv_head):
    """Prefill 5 tokens, then decode 4 one at a time: the same outputs as one pass over all 9."""
    d_model, d_head, n_seq, n_prefill, n_layer = 16, 4, 9, 5, 2
    x = RNG.normal(size=(n_seq, d_model))
    weights = [
        (
            RNG.normal(size=(d_model, n_head * d_head)),
            RNG.normal(size=(d_model, n_kv_head * d_head)),
            RNG.normal(size=(d_model, n_kv_head * d_head)),
            RNG.normal(size=(n_head * d_head, d_model)),
        )
        for _ in range(n_layer)
    ]
    freqs = rope_frequencies(d_head)
    for layer, w in enumerate(weights):  # layers side by side on the same input (no residual needed here)
        full, full_trace = multi_head_attention(x, *w, n_head, n_kv_head, rope_freqs=freqs)
        cache = KVCache(n_layer, n_kv_head, d_head, max_seq=n_seq, dtype=np.float64)
        parts = [
            multi_head_attention(x[:n_prefill], *w, n_head, n_kv_head, rope_freqs=freqs, kv_cache=cache, layer=layer)[0]
        ]
        for t in range(n_prefill, n_seq):
            out, trace = multi_head_attention(
                x[t : t + 1], *w, n_head, n_kv_head, rope_freqs=freqs, kv_cache=cache, layer=layer
            )
            parts.append(out)
            np.testing.assert_allclose(
                trace["weights"][:, 0], full_trace["weights"][:, t, : t + 1], rtol=1e-10, atol=1e-14
            )
        np.testing.assert_allclose(np.concatenate(parts), full, rtol=1e-10, atol=1e-10)
        assert int(cache.lengths[layer]) == n_seq


def test_real_config_sizes():
    # Llama 3 8B: 2 * 32 layers * 8 kv heads * 128 * 2 bytes = 128 KiB per token; 8192 tokens = 1 GiB
    assert kv_bytes_per_token(CONFIGS["llama-3-8b"]) == 128 * 1024
    assert kv_cache_bytes(CONFIGS["llama-3-8b"], n_ctx=8192) == 2**30
    # Llama 2 7B has 32 kv heads (no GQA): 512 KiB per token, 2 GiB at its 4096 context
    assert kv_cache_bytes(CONFIGS["llama-2-7b"], n_ctx=4096) == 2 * 2**30
    assert kv_cache_bytes(CONFIGS["llama-3-8b"], 1000, batch=4, bytes_per_value=1) == 4 * 1000 * 64 * 1024


def test_gqa_saves_by_the_group_size():
    gqa = CONFIGS["llama-2-70b"]
    mha = SimpleNamespace(n_layer=gqa.n_layer, n_kv_head=gqa.n_head, d_head=gqa.d_head)
    assert kv_cache_bytes(mha, 4096) == (gqa.n_head // gqa.n_kv_head) * kv_cache_bytes(gqa, 4096)


def test_invalid_sizes():
    with pytest.raises(ValueError, match="n_ctx"):
        kv_cache_bytes(CONFIGS["gpt2"], n_ctx=-1)


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_attention_variants_change_only_the_kv_heads(key):
    cfg = CONFIGS[key]
    variants = attention_variants(cfg)
    assert list(variants) == ["MHA", "GQA", "MQA"] and variants["GQA"] is cfg
    assert [v.n_kv_head for v in variants.values()] == [cfg.n_head, cfg.n_kv_head, 1]
    for v in variants.values():
        assert v.n_head == cfg.n_head and v.n_layer == cfg.n_layer and v.d_head == cfg.d_head
        # closed form, written out: K and V, every layer, every kv head, d_head values of 2 bytes
        assert kv_cache_bytes(v, 1000) == 2 * cfg.n_layer * v.n_kv_head * cfg.d_head * 2 * 1000


def test_attention_variants_of_the_model_config():
    from llm_core.model import ModelConfig

    variants = attention_variants(ModelConfig())  # the tiny model: 4 query heads, 2 kv heads
    assert [v.n_kv_head for v in variants.values()] == [4, 2, 1]


def test_copy_is_independent():
    cache = KVCache(n_layer=1, n_kv_head=1, d_head=2, max_seq=4)
    cache.update(0, np.ones((1, 2, 2)), np.ones((1, 2, 2)))
    other = cache.copy()
    other.update(0, np.full((1, 1, 2), 5.0), np.full((1, 1, 2), 5.0))
    assert cache.n_seq == 2 and other.n_seq == 3 and cache.k[0, 0, 2].tolist() == [0.0, 0.0]
    np.testing.assert_array_equal(other.k[0, 0, :2], cache.k[0, 0, :2])


def test_prefix_cache_size_is_checked():
    with pytest.raises(ValueError, match="positive integer"):
        kv_cache.PrefixCache(size=0)


def test_crop_keeps_the_first_positions():
    cache = KVCache(n_layer=2, n_kv_head=1, d_head=2, max_seq=4)
    for layer in range(2):
        cache.update(layer, np.arange(6.0).reshape(1, 3, 2), np.zeros((1, 3, 2)))
    cache.crop(1)
    k, _ = cache.update(0, np.full((1, 1, 2), 9.0), np.zeros((1, 1, 2)))
    assert k[0].tolist() == [[0.0, 1.0], [9.0, 9.0]] and cache.lengths.tolist() == [2, 1]
    with pytest.raises(ValueError, match="crop"):
        cache.crop(3)


def test_mla_caches_the_latent_and_the_rope_key():
    """DeepSeek-V3 (arXiv:2412.19437, 2.1.1): per token per layer, kv_lora_rank 512 + qk_rope_head_dim 64
    numbers; against MHA's 2 n_head d_head = 2 * 128 * 128 (the paper's table 1 comparison)."""
    from llm_core.moe import MOE_CONFIGS

    ds = MOE_CONFIGS["deepseek-v3"]
    assert kv_bytes_per_token(ds, 2) == 61 * (512 + 64) * 2  # 70,272 bytes, 68.6 KiB
    assert kv_cache_bytes(ds, 4096, batch=3, bytes_per_value=1) == 61 * 576 * 4096 * 3
    variants = attention_variants(ds)
    assert list(variants) == ["MHA", "MLA", "MQA"] and variants["MLA"] is ds
    assert kv_bytes_per_token(variants["MHA"], 2) == 2 * 61 * 128 * 128 * 2
    assert kv_bytes_per_token(variants["MQA"], 2) == 2 * 61 * 1 * 128 * 2


def test_sliding_window_layers_stop_growing_at_the_window():
    """gpt-oss-120b: 36 layers of 8 KV heads of 64, every other one sliding over 128 positions."""
    from llm_core.moe import MOE_CONFIGS

    oss = MOE_CONFIGS["gpt-oss-120b"]
    per_layer = 2 * 8 * 64 * 2  # bytes of one position in one layer
    for n_ctx in (0, 1, 100, 128, 129, 4096, 131072):  # a naive loop over the layers
        expected = sum(per_layer * (min(n_ctx, 128) if layer % 2 == 0 else n_ctx) for layer in range(36))
        assert kv_cache_bytes(oss, n_ctx) == expected
    assert kv_bytes_per_token(oss, 2) == 36 * per_layer  # inside the window every layer grows
    assert kv_cache_bytes(oss, 131072) == 18 * per_layer * (131072 + 128)


def test_moe_configs_with_plain_gqa():
    from llm_core.moe import MOE_CONFIGS

    assert kv_bytes_per_token(MOE_CONFIGS["mixtral-8x7b"]) == 2 * 32 * 8 * 128 * 2  # 128 KiB, as Llama 3 8B
    assert kv_bytes_per_token(MOE_CONFIGS["qwen3-30b-a3b"]) == 2 * 48 * 4 * 128 * 2  # 96 KiB
