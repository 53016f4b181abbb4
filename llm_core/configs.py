"""Real model shapes, and what they cost: parameters, weight memory, KV-cache memory.

Each ArchConfig is a published dense decoder-only transformer, copied from the model's config.json on
Hugging Face (named in `source`) and its paper. Mixture-of-experts models, whose total parameters (all
in memory) and active parameters (run per token) differ, are `MOE_CONFIGS` (Mixtral 8x7B, DeepSeek-V3,
Qwen3-30B-A3B, gpt-oss-120b), defined with their counts in `llm_core.moe` and listed here too, so a
calculator reads one catalogue: `moe.parameter_counts(MOE_CONFIGS[key])` gives "total" and "active".

Parameter count of one block (weights laid out as in the checkpoints):
    attention  d_model * d_head * (2 n_head + 2 n_kv_head)      (q and o: n_head; k and v: n_kv_head)
    ffn        2 d_model d_ff (GELU MLP) or 3 d_model d_ff (SwiGLU: gate, up, down)
    norms      2 per block (+1 final): d_model each for RMSNorm, 2 d_model for LayerNorm (gain and bias)
plus biases where the model has them, the embedding table n_vocab * d_model, GPT-2's learned position
table n_ctx * d_model, and an output projection n_vocab * d_model unless it is tied to the embedding.

>>> parameter_count(CONFIGS["gpt2"])["total"]  # GPT-2 small, "124M"
124439808
"""

import re
from dataclasses import dataclass

from .kv_cache import kv_cache_bytes  # noqa: F401 (a calculator of this module too, for configs)
from .moe import MOE_CONFIGS  # noqa: F401 (the MoE configurations, each with its source, beside the dense ones)
from .quantization import quantized_bytes


@dataclass(frozen=True)
class ArchConfig:
    """The shape of a transformer, as far as counting parameters and memory needs."""

    name: str  # display name
    d_model: int  # width of the residual stream
    n_layer: int  # number of transformer blocks
    n_head: int  # query heads per attention layer
    n_kv_head: int  # key/value heads: n_head is multi-head, 1 multi-query, between grouped-query
    d_head: int  # width of one head
    d_ff: int  # hidden width of the feed-forward network
    n_vocab: int  # vocabulary size: rows of the embedding table
    n_ctx: int  # longest context the released model supports, in tokens
    tied_embeddings: bool  # the output projection reuses the embedding table
    norm: str  # "layernorm" (gain and bias) or "rmsnorm" (gain only)
    ffn: str  # "gelu" (up, down) or "swiglu" (gate, up, down)
    position: str  # "learned" (an [n_ctx, d_model] table) or "rope"
    bias: str  # linear layers with biases: "all" (GPT-2), "qkv" (Qwen2), "none" (Llama)
    rope_base: float | None  # RoPE base frequency (config.json's rope_theta); None without RoPE
    source: str  # where these numbers come from
    notes: str = ""  # anything the calculators leave out


def _gpt2(name, hf_id, d_model, n_layer, n_head):  # GPT-2: LayerNorm, GELU MLP, learned positions, biases
    return ArchConfig(
        name,
        d_model,
        n_layer,
        n_head,
        n_head,
        d_model // n_head,
        4 * d_model,
        50257,
        1024,
        True,
        "layernorm",
        "gelu",
        "learned",
        "all",
        None,
        f"Radford et al. 2019; Hugging Face {hf_id} config.json",
    )


def _llama_like(
    name,
    d_model,
    n_layer,
    n_head,
    n_kv_head,
    d_head,
    d_ff,
    n_vocab,
    n_ctx,
    rope_base,
    source,
    tied=False,
    bias="none",
    notes="",
):  # RMSNorm, SwiGLU, RoPE
    return ArchConfig(
        name,
        d_model,
        n_layer,
        n_head,
        n_kv_head,
        d_head,
        d_ff,
        n_vocab,
        n_ctx,
        tied,
        "rmsnorm",
        "swiglu",
        "rope",
        bias,
        rope_base,
        source,
        notes,
    )


LLAMA2 = "Touvron et al. 2023, arXiv:2307.09288; Hugging Face meta-llama/{} config.json"
LLAMA3 = "Llama team, AI @ Meta 2024, arXiv:2407.21783; Hugging Face meta-llama/{} config.json"
LLAMA3_SCALED = "RoPE frequencies rescaled for long context (config.json rope_scaling, rope_type llama3)"

CONFIGS = {  # key -> ArchConfig
    "gpt2": _gpt2("GPT-2", "openai-community/gpt2", 768, 12, 12),
    "gpt2-medium": _gpt2("GPT-2 medium", "openai-community/gpt2-medium", 1024, 24, 16),
    "gpt2-large": _gpt2("GPT-2 large", "openai-community/gpt2-large", 1280, 36, 20),
    "gpt2-xl": _gpt2("GPT-2 XL", "openai-community/gpt2-xl", 1600, 48, 25),
    # name, d_model, n_layer, n_head, n_kv_head, d_head, d_ff, n_vocab, n_ctx, rope_base, source
    "llama-2-7b": _llama_like(
        "Llama 2 7B", 4096, 32, 32, 32, 128, 11008, 32000, 4096, 10000.0, LLAMA2.format("Llama-2-7b-hf")
    ),
    "llama-2-13b": _llama_like(
        "Llama 2 13B", 5120, 40, 40, 40, 128, 13824, 32000, 4096, 10000.0, LLAMA2.format("Llama-2-13b-hf")
    ),
    "llama-2-70b": _llama_like(
        "Llama 2 70B", 8192, 80, 64, 8, 128, 28672, 32000, 4096, 10000.0, LLAMA2.format("Llama-2-70b-hf")
    ),
    "llama-3.2-1b": _llama_like(
        "Llama 3.2 1B",
        2048,
        16,
        32,
        8,
        64,
        8192,
        128256,
        131072,
        500000.0,
        LLAMA3.format("Llama-3.2-1B"),
        tied=True,
        notes=LLAMA3_SCALED,
    ),
    "llama-3-8b": _llama_like(
        "Llama 3 8B", 4096, 32, 32, 8, 128, 14336, 128256, 8192, 500000.0, LLAMA3.format("Meta-Llama-3-8B")
    ),
    "llama-3-70b": _llama_like(
        "Llama 3 70B", 8192, 80, 64, 8, 128, 28672, 128256, 8192, 500000.0, LLAMA3.format("Meta-Llama-3-70B")
    ),
    "llama-3.1-405b": _llama_like(
        "Llama 3.1 405B",
        16384,
        126,
        128,
        8,
        128,
        53248,
        128256,
        131072,
        500000.0,
        LLAMA3.format("Llama-3.1-405B") + " (paper table 3)",
        notes=LLAMA3_SCALED,
    ),
    "mistral-7b": _llama_like(
        "Mistral 7B",
        4096,
        32,
        32,
        8,
        128,
        14336,
        32000,
        32768,
        10000.0,
        "Jiang et al. 2023, arXiv:2310.06825; Hugging Face mistralai/Mistral-7B-v0.1 config.json",
        notes="sliding-window attention over 4096 positions: its rolling KV cache "
        "holds at most 4096 positions, which kv_cache_bytes does not model",
    ),
    "qwen2.5-7b": _llama_like(
        "Qwen2.5 7B",
        3584,
        28,
        28,
        4,
        128,
        18944,
        152064,
        32768,
        1000000.0,
        "Qwen team 2024, arXiv:2412.15115; Hugging Face Qwen/Qwen2.5-7B-Instruct config.json",
        bias="qkv",
        notes="32768 positions as configured; the model card describes YaRN scaling to 131072",
    ),
}


def parameter_count(cfg):  # -> dict of ints
    """Parameters by part: embedding, position, attention, ffn, norms, lm_head (all layers), and total.

    per_layer is one block's attention + ffn + its two norms.
    """
    d, n_q, n_kv = cfg.d_model, cfg.n_head * cfg.d_head, cfg.n_kv_head * cfg.d_head
    attention = d * n_q + 2 * d * n_kv + n_q * d  # w_q, w_k, w_v, w_o
    if cfg.bias in ("all", "qkv"):
        attention += n_q + 2 * n_kv
    if cfg.bias == "all":
        attention += d
    n_matrices = {"gelu": 2, "swiglu": 3}[cfg.ffn]
    ffn = n_matrices * d * cfg.d_ff + ((n_matrices - 1) * cfg.d_ff + d if cfg.bias == "all" else 0)
    norm = {"layernorm": 2 * d, "rmsnorm": d}[cfg.norm]
    parts = {
        "embedding": cfg.n_vocab * d,
        "position": cfg.n_ctx * d if cfg.position == "learned" else 0,
        "attention": cfg.n_layer * attention,
        "ffn": cfg.n_layer * ffn,
        "norms": (2 * cfg.n_layer + 1) * norm,
        "lm_head": 0 if cfg.tied_embeddings else cfg.n_vocab * d,
    }
    parts["total"] = sum(parts.values())
    parts["per_layer"] = attention + ffn + 2 * norm
    return parts


def arch_from_model(cfg, name, source):  # ModelConfig -> ArchConfig
    """A Llama-style model's shape (llm_core.model.ModelConfig, e.g. the tiny model's) as an ArchConfig.

    RMSNorm, SwiGLU, RoPE, no biases: what llm_core.model builds, so parameter_count(result)["total"]
    equals llm_core.model.n_params(cfg).
    """
    return ArchConfig(
        name,
        cfg.d_model,
        cfg.n_layer,
        cfg.n_head,
        cfg.n_kv_head,
        cfg.d_head,
        cfg.d_ff,
        cfg.n_vocab,
        cfg.n_ctx,
        cfg.tied_embeddings,
        "rmsnorm",
        "swiglu",
        "rope",
        "none",
        cfg.rope_base,
        source,
    )


def source_links(source):  # str -> [(label, url)]
    """Links for the references a `source` string names: arXiv ids and Hugging Face config.json files.

    >>> source_links("Touvron et al. 2023, arXiv:2307.09288; Hugging Face meta-llama/Llama-2-7b-hf config.json")
    [('arXiv:2307.09288', 'https://arxiv.org/abs/2307.09288'), ('meta-llama/Llama-2-7b-hf config.json', \
'https://huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/config.json')]
    """
    links = [(f"arXiv:{n}", f"https://arxiv.org/abs/{n}") for n in re.findall(r"arXiv:(\d{4}\.\d{4,5})", source)]
    links += [
        (f"{repo} config.json", f"https://huggingface.co/{repo}/blob/main/config.json")
        for repo in re.findall(r"Hugging Face ([\w.-]+/[\w.-]+) config\.json", source)
        + re.findall(r"https://huggingface\.co/([\w.-]+/[\w.-]+)/blob/main/config\.json", source)  # MOE_CONFIGS
    ]
    return links


def weights_bytes(cfg, bits=16, group_size=None, scale_bytes=2):  # -> int
    """Bytes to store every parameter at `bits` bits (16: fp16/bf16; 8 or 4: quantized).

    With group_size, one scale of scale_bytes per group is added (group-wise quantization), e.g.
    bits=4, group_size=32 is 4.5 bits per parameter.
    >>> round(weights_bytes(CONFIGS["llama-3-8b"], bits=16) / 1e9, 1)
    16.1
    """
    n = parameter_count(cfg)["total"]
    n_scales = -(-n // group_size) if group_size else 0  # ceil(n / group_size)
    return quantized_bytes(n, bits, n_scales, scale_bytes)
