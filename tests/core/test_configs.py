"""llm_core.configs: parameter counts against every weight tensor listed checkpoint-style, and published sizes."""

import dataclasses
import doctest

import pytest

from llm_core import configs, kv_cache
from llm_core.configs import CONFIGS, parameter_count, weights_bytes

# Totals worked out by hand from each config.json, and the rounded size each model is published under
# where there is one to check: openai/gpt-2's model names (download_model.py: 124M, 355M, 774M, 1558M)
# and the parameter count shown on the Hugging Face model page.
PUBLISHED = {
    "gpt2": (124_439_808, "124M"),
    "gpt2-medium": (354_823_168, "355M"),
    "gpt2-large": (774_030_080, "774M"),
    "gpt2-xl": (1_557_611_200, "1558M"),
    "llama-2-7b": (6_738_415_616, "6.74B"),
    "llama-2-13b": (13_015_864_320, None),
    "llama-2-70b": (68_976_648_192, None),
    "llama-3.2-1b": (1_235_814_400, "1.24B"),
    "llama-3-8b": (8_030_261_248, "8.03B"),
    "llama-3-70b": (70_553_706_496, "70.6B"),
    "llama-3.1-405b": (405_853_388_800, None),
    "mistral-7b": (7_241_732_096, "7.24B"),
    "qwen2.5-7b": (7_615_616_512, "7.62B"),
}


# Each model's config.json on Hugging Face (the repository its `source` names), written out by hand from
# the files, in config.json's own terms:
#   hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim, intermediate_size,
#   vocab_size, max_position_embeddings, rope_theta, tie_word_embeddings
# GPT-2's files name them n_embd, n_layer, n_head, -, -, n_inner, vocab_size, n_positions (n_inner is null:
# 4 * n_embd; no rope_theta: learned positions; tie_word_embeddings absent: GPT2Config's default, true).
# head_dim None: not in the file, hidden_size / num_attention_heads. Llama 2's files (transformers
# 4.31/4.32) have no rope_theta: LlamaConfig's default 10000.0 applies, the base of Su et al. (RoFormer)
# that Llama 2 keeps. Llama 3.1 405B's 126 layers, 16384, 53248, 128 and 8 heads and theta 500,000 are
# also the paper's table 3 (which rounds the vocabulary to 128,000; config.json has 128,256).
HF_CONFIG_JSON = {
    "gpt2": (768, 12, 12, 12, None, None, 50257, 1024, None, True),
    "gpt2-medium": (1024, 24, 16, 16, None, None, 50257, 1024, None, True),
    "gpt2-large": (1280, 36, 20, 20, None, None, 50257, 1024, None, True),
    "gpt2-xl": (1600, 48, 25, 25, None, None, 50257, 1024, None, True),
    "llama-2-7b": (4096, 32, 32, 32, None, 11008, 32000, 4096, 10000.0, False),
    "llama-2-13b": (5120, 40, 40, 40, None, 13824, 32000, 4096, 10000.0, False),
    "llama-2-70b": (8192, 80, 64, 8, None, 28672, 32000, 4096, 10000.0, False),
    "llama-3.2-1b": (2048, 16, 32, 8, 64, 8192, 128256, 131072, 500000.0, True),
    "llama-3-8b": (4096, 32, 32, 8, None, 14336, 128256, 8192, 500000.0, False),
    "llama-3-70b": (8192, 80, 64, 8, None, 28672, 128256, 8192, 500000.0, False),
    "llama-3.1-405b": (16384, 126, 128, 8, None, 53248, 128256, 131072, 500000.0, False),
    "mistral-7b": (4096, 32, 32, 8, None, 14336, 32000, 32768, 10000.0, False),
    "qwen2.5-7b": (3584, 28, 28, 4, None, 18944, 152064, 32768, 1000000.0, False),
}


def test_catalogue_is_pinned_against_config_json():
    assert sorted(CONFIGS) == sorted(HF_CONFIG_JSON)  # a new entry comes with its row above


@pytest.mark.parametrize("key", sorted(HF_CONFIG_JSON))
def test_config_matches_its_config_json(key):
    cfg = CONFIGS[key]
    d_model, n_layer, n_head, n_kv_head, head_dim, d_ff, n_vocab, n_ctx, rope_theta, tied = HF_CONFIG_JSON[key]
    assert (cfg.d_model, cfg.n_layer, cfg.n_head, cfg.n_kv_head) == (d_model, n_layer, n_head, n_kv_head)
    assert cfg.d_head == (head_dim or d_model // n_head)
    assert cfg.d_ff == (d_ff or 4 * d_model)
    assert (cfg.n_vocab, cfg.n_ctx, cfg.rope_base, cfg.tied_embeddings) == (n_vocab, n_ctx, rope_theta, tied)


def test_notes_state_what_the_calculators_leave_out():
    # Mistral 7B's config.json: "sliding_window": 4096; Llama 3.2 1B's: "rope_scaling" of rope_type "llama3"
    assert "4096" in CONFIGS["mistral-7b"].notes and "rope_type llama3" in CONFIGS["llama-3.2-1b"].notes


def checkpoint_shapes(cfg):
    """Every weight tensor of the model, as its checkpoint lists them (GPT-2's or Llama's naming)."""
    d, q, kv = cfg.d_model, cfg.n_head * cfg.d_head, cfg.n_kv_head * cfg.d_head
    if cfg.ffn == "gelu":  # GPT-2: wte, wpe, h.{i}.ln_1/attn.c_attn/attn.c_proj/ln_2/mlp.c_fc/mlp.c_proj, ln_f
        shapes = {"wte": (cfg.n_vocab, d), "wpe": (cfg.n_ctx, d), "ln_f.weight": (d,), "ln_f.bias": (d,)}
        for i in range(cfg.n_layer):
            shapes.update(
                {
                    f"h.{i}.ln_1.weight": (d,),
                    f"h.{i}.ln_1.bias": (d,),
                    f"h.{i}.attn.c_attn.weight": (d, 3 * d),
                    f"h.{i}.attn.c_attn.bias": (3 * d,),
                    f"h.{i}.attn.c_proj.weight": (d, d),
                    f"h.{i}.attn.c_proj.bias": (d,),
                    f"h.{i}.ln_2.weight": (d,),
                    f"h.{i}.ln_2.bias": (d,),
                    f"h.{i}.mlp.c_fc.weight": (d, cfg.d_ff),
                    f"h.{i}.mlp.c_fc.bias": (cfg.d_ff,),
                    f"h.{i}.mlp.c_proj.weight": (cfg.d_ff, d),
                    f"h.{i}.mlp.c_proj.bias": (d,),
                }
            )
        return shapes
    shapes = {"embed_tokens": (cfg.n_vocab, d), "norm": (d,)}
    if not cfg.tied_embeddings:
        shapes["lm_head"] = (cfg.n_vocab, d)
    for i in range(cfg.n_layer):
        p = f"layers.{i}."
        shapes.update(
            {
                p + "input_layernorm": (d,),
                p + "post_attention_layernorm": (d,),
                p + "q_proj": (q, d),
                p + "k_proj": (kv, d),
                p + "v_proj": (kv, d),
                p + "o_proj": (d, q),
                p + "gate_proj": (cfg.d_ff, d),
                p + "up_proj": (cfg.d_ff, d),
                p + "down_proj": (d, cfg.d_ff),
            }
        )
        if cfg.bias == "qkv":
            shapes.update({p + "q_proj.bias": (q,), p + "k_proj.bias": (kv,), p + "v_proj.bias": (kv,)})
    return shapes


def size(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def test_docstring_examples():
    assert doctest.testmod(configs).failed == 0


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_total_matches_checkpoint_listing_and_published_size(key):
    cfg = CONFIGS[key]
    counts = parameter_count(cfg)
    assert counts["total"] == sum(size(s) for s in checkpoint_shapes(cfg).values())
    total, shown = PUBLISHED[key]
    assert counts["total"] == total
    if shown:
        number, unit = shown[:-1], {"M": 1e6, "B": 1e9}[shown[-1]]
        assert f"{total / unit:.{len(number.partition('.')[2])}f}" == number


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_catalogue_is_consistent(key):
    cfg = CONFIGS[key]
    counts = parameter_count(cfg)
    assert counts["total"] == sum(v for k, v in counts.items() if k not in ("total", "per_layer"))
    assert cfg.n_head % cfg.n_kv_head == 0 and cfg.n_head * cfg.d_head == cfg.d_model
    assert "config.json" in cfg.source
    assert cfg.norm in ("layernorm", "rmsnorm") and cfg.ffn in ("gelu", "swiglu")
    assert cfg.bias in ("all", "qkv", "none")
    assert (cfg.position == "rope") == (cfg.rope_base is not None)


def test_gpt2_without_position_table_is_nanogpt_count():
    # nanoGPT's model.py reports GPT-2 small as 123.65M parameters: it leaves out the position table
    counts = parameter_count(CONFIGS["gpt2"])
    assert round((counts["total"] - counts["position"]) / 1e6, 2) == 123.65


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CONFIGS["gpt2"].n_layer = 1


def test_weights_bytes():
    n = PUBLISHED["llama-3-8b"][0]
    assert weights_bytes(CONFIGS["llama-3-8b"], bits=16) == 2 * n
    assert weights_bytes(CONFIGS["llama-3-8b"], bits=8) == n
    assert weights_bytes(CONFIGS["llama-3-8b"], bits=4, group_size=32, scale_bytes=2) == n // 2 + 2 * (n // 32)


def test_kv_cache_calculator_is_shared():
    assert configs.kv_cache_bytes is kv_cache.kv_cache_bytes
    assert configs.kv_cache_bytes(CONFIGS["llama-3-70b"], n_ctx=8192) == 2 * 80 * 8 * 128 * 8192 * 2


def test_arch_from_model_counts_what_llm_core_model_builds():
    from llm_core.model import ModelConfig, n_params

    for cfg in [
        ModelConfig(),
        ModelConfig(n_vocab=50, d_model=16, n_layer=3, n_head=4, n_kv_head=1, d_head=4, d_ff=40, tied_embeddings=False),
    ]:
        arch = configs.arch_from_model(cfg, "x", "y")
        assert parameter_count(arch)["total"] == n_params(cfg)
    assert parameter_count(configs.arch_from_model(ModelConfig(), "tiny", "models/tiny"))["total"] == 1_705_600


def test_source_links():
    links = configs.source_links(CONFIGS["mistral-7b"].source)
    assert links == [
        ("arXiv:2310.06825", "https://arxiv.org/abs/2310.06825"),
        (
            "mistralai/Mistral-7B-v0.1 config.json",
            "https://huggingface.co/mistralai/Mistral-7B-v0.1/blob/main/config.json",
        ),
    ]
    assert configs.source_links("Radford et al. 2019") == []
    for cfg in CONFIGS.values():  # every real config links its config.json
        assert any(url.endswith("/blob/main/config.json") for _, url in configs.source_links(cfg.source))
