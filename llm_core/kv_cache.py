"""The KV cache: keep every layer's keys and values so each new token costs one position, not all.

Generating token t needs the keys and values of positions 0..t-1 in every layer. They never change
(a causal model's earlier positions cannot see later ones), so instead of recomputing them for the whole
prefix at every step, inference engines store them: prefill fills the cache with the prompt, and each
decode step appends one position. The price is memory, which grows linearly with the context:

    bytes = 2 (K and V) * n_layer * n_kv_head * d_head * n_ctx * batch * bytes_per_value

which is why grouped-query attention (fewer KV heads) matters at long contexts (Ainslie et al. 2023,
arXiv:2305.13245; Pope et al. 2022, "Efficiently Scaling Transformer Inference", arXiv:2211.05102).
Two other designs shrink it further, and `kv_cache_bytes` counts both: layers that attend only to a
sliding window of recent positions keep at most that many (gpt-oss), and multi-head latent attention
keeps one compressed vector per position instead of every head's key and value (DeepSeek-V3).

>>> cache = KVCache(n_layer=2, n_kv_head=1, d_head=4, max_seq=8)
>>> k_all, v_all = cache.update(0, np.ones((1, 3, 4)), np.ones((1, 3, 4)))
>>> k_all.shape, cache.lengths.tolist()
((1, 3, 4), [3, 0])
"""

from dataclasses import replace

import numpy as np


class KVCache:
    """Preallocated keys and values for every layer, [n_layer, n_kv_head, max_seq, d_head] each.

    Like llama.cpp's and llama2.c's caches, the memory is allocated once for max_seq positions; each
    layer's `update` writes the new positions after the ones it already holds. `lengths[layer]` is how
    many positions that layer holds; `n_seq` is how many every layer holds.
    """

    def __init__(self, n_layer, n_kv_head, d_head, max_seq, dtype=np.float32):
        shape = (n_layer, n_kv_head, max_seq, d_head)
        self.k = np.zeros(shape, dtype=dtype)
        self.v = np.zeros(shape, dtype=dtype)
        self.lengths = np.zeros(n_layer, dtype=np.int64)
        self.max_seq = max_seq

    def update(self, layer, k_new, v_new):
        """Append positions to one layer; return that layer's keys and values so far.

        [n_kv_head, n_new, d_head] x 2 -> [n_kv_head, n_k, d_head] x 2, n_k = positions held after.
        subtle: the returned arrays are views into the cache; a later update writes past their end, so
        they stay valid, but copy them before changing them.
        """
        start = int(self.lengths[layer])
        end = start + k_new.shape[1]
        if end > self.max_seq:
            raise ValueError(f"KV cache full: {start} + {k_new.shape[1]} positions > max_seq = {self.max_seq}")
        self.k[layer, :, start:end] = k_new
        self.v[layer, :, start:end] = v_new
        self.lengths[layer] = end
        return self.k[layer, :, :end], self.v[layer, :, :end]

    @property
    def n_seq(self):
        """Positions cached in every layer (the next token's position)."""
        return int(self.lengths.min())

    @property
    def nbytes(self):
        """Bytes of keys and values actually stored (positions held, all layers)."""
        n_layer, n_kv_head, _, d_head = self.k.shape
        return 2 * int(self.lengths.sum()) * n_kv_head * d_head * self.k.itemsize

    @property
    def allocated_bytes(self):
        """Bytes reserved for max_seq positions (what the cache costs in memory)."""
        return self.k.nbytes + self.v.nbytes

    def reset(self):
        """Forget every position (the memory stays allocated)."""
        self.lengths[:] = 0

    def crop(self, n_seq):
        """Keep only the first n_seq positions of every layer (what transformers' DynamicCache.crop does);
        the next update writes after them."""
        if not 0 <= n_seq <= self.n_seq:
            raise ValueError(f"can crop to 0..{self.n_seq} positions, got {n_seq}")
        self.lengths[:] = n_seq

    def copy(self):
        """An independent cache holding the same positions (extending one leaves the other as it was)."""
        other = KVCache.__new__(KVCache)
        other.k, other.v, other.lengths, other.max_seq = self.k.copy(), self.v.copy(), self.lengths.copy(), self.max_seq
        return other


class PrefixCache:
    """Prompts read before, each with the KV cache and next-token logits its prefill left: prefix caching.

    A prompt that comes again (the reader moved a sampling slider, not the text) skips its prefill, as
    serving engines reuse the keys and values of a prompt prefix they have already computed (vLLM's
    automatic prefix caching, Kwon et al. 2023, arXiv:2309.06180; SGLang's RadixAttention, Zheng et al.
    2023, arXiv:2312.07104). This one matches whole prompts exactly, so a hit gives bit for bit what a
    fresh prefill would; it keeps the `size` most recently used. Entries are copied in and out: callers
    extend what they get without changing what is kept.

    >>> prefixes = PrefixCache(size=2)
    >>> prefixes.store([1, 2], KVCache(1, 1, 2, 4), np.zeros(3))
    >>> prefixes.lookup([1, 2])[1].tolist(), prefixes.lookup([1]) is None
    ([0.0, 0.0, 0.0], True)
    """

    def __init__(self, size=8):
        if not (isinstance(size, int) and size > 0):
            raise ValueError(f"size must be a positive integer, got {size!r}")
        self.size, self.entries = size, {}  # (ids) -> (KVCache, logits [n_vocab]), least recent first

    def lookup(self, ids):  # [n_seq] -> (KVCache, logits [n_vocab]) or None
        key = tuple(int(i) for i in ids)
        if key not in self.entries:
            return None
        cache, logits = self.entries[key] = self.entries.pop(key)  # now the most recently used
        return cache.copy(), logits.copy()

    def store(self, ids, cache, logits):  # [n_seq], KVCache holding them, [n_vocab]
        self.entries.pop(tuple(int(i) for i in ids), None)
        self.entries[tuple(int(i) for i in ids)] = (cache.copy(), np.array(logits, copy=True))
        while len(self.entries) > self.size:
            del self.entries[next(iter(self.entries))]


def kv_values_per_layer(cfg):  # -> int
    """Numbers one position keeps in one layer: a key and a value per KV head, 2 * n_kv_head * d_head.

    Multi-head latent attention (DeepSeek-V2/V3, cfg.mla = (q_rank, kv_rank, d_nope, d_rope, d_v)) keeps
    instead one compressed latent of kv_rank numbers, from which every head's key and value are rebuilt,
    plus one shared RoPE key of d_rope: kv_rank + d_rope (DeepSeek-AI 2024, arXiv:2412.19437, section
    2.1.1: "only the blue-boxed vectors need to be cached").
    """
    mla = getattr(cfg, "mla", None)
    if mla:
        _, kv_rank, _, d_rope, _ = mla
        return kv_rank + d_rope
    return 2 * cfg.n_kv_head * cfg.d_head


def kv_bytes_per_token(cfg, bytes_per_value=2):
    """Cache bytes one position costs in every layer: 2 * n_layer * n_kv_head * d_head * bytes_per_value.

    cfg: anything with n_layer, n_kv_head, d_head (an ArchConfig from llm_core.configs, the model's config,
    an MoEConfig from llm_core.moe, whose MLA caches kv_values_per_layer instead of 2 * n_kv_head * d_head).
    A model with sliding-window layers pays this only while the context is inside the window; past it,
    those layers stop growing (kv_cache_bytes).
    """
    return cfg.n_layer * kv_values_per_layer(cfg) * bytes_per_value


def cached_positions(cfg, n_ctx):  # -> int, positions summed over the layers
    """Positions held by all layers together after n_ctx tokens: n_layer * n_ctx, unless some layers slide.

    A sliding-window layer (cfg.n_sliding_layer of them, each attending to the last cfg.sliding_window
    positions, as gpt-oss's alternate layers do) never needs older keys and values, so a rolling cache
    keeps at most sliding_window positions there (Beltagy et al. 2020, arXiv:2004.05150; Mistral 7B,
    arXiv:2310.06825, section 2, "rolling buffer cache").
    """
    n_sliding = getattr(cfg, "n_sliding_layer", 0)
    window = min(n_ctx, cfg.sliding_window) if n_sliding else 0
    return (cfg.n_layer - n_sliding) * n_ctx + n_sliding * window


def kv_cache_bytes(cfg, n_ctx, batch=1, bytes_per_value=2):
    """Bytes of KV cache for `batch` sequences of n_ctx positions; bytes_per_value 2 = fp16/bf16.

    >>> from llm_core.configs import CONFIGS  # Llama 3 8B: 2 * 32 * 8 * 128 * 2 = 128 KiB per token
    >>> kv_cache_bytes(CONFIGS["llama-3-8b"], n_ctx=8192) / 2**30
    1.0
    """
    if n_ctx < 0 or batch < 0 or bytes_per_value <= 0:
        raise ValueError(f"need n_ctx, batch >= 0 and bytes_per_value > 0, got {n_ctx}, {batch}, {bytes_per_value}")
    return kv_values_per_layer(cfg) * cached_positions(cfg, n_ctx) * batch * bytes_per_value


def attention_variants(cfg):  # -> {"MHA": cfg, "GQA": cfg, "MQA": cfg} ("MLA" for "GQA" with latent attention)
    """The same model with its key/value heads rewritten: MHA (n_kv_head = n_head), GQA as published, MQA (1).

    Only n_kv_head changes, so the three differ only in KV-cache size (and a few parameters in w_k, w_v).
    A model published with multi-head attention gives the same config for "MHA" and "GQA"; one published
    with multi-head latent attention (DeepSeek-V3) is "MLA", beside plain MHA and MQA of its heads.
    cfg: a frozen dataclass with n_head and n_kv_head (an ArchConfig, the model's ModelConfig).

    >>> from llm_core.configs import CONFIGS  # Llama 2 70B: 64 query heads share 8 kv heads
    >>> {name: c.n_kv_head for name, c in attention_variants(CONFIGS["llama-2-70b"]).items()}
    {'MHA': 64, 'GQA': 8, 'MQA': 1}
    """
    if getattr(cfg, "mla", None):  # latent attention: against MHA and MQA with the same heads (its paper's table 1)
        return {
            "MHA": replace(cfg, mla=None, n_kv_head=cfg.n_head),
            "MLA": cfg,
            "MQA": replace(cfg, mla=None, n_kv_head=1),
        }
    return {"MHA": replace(cfg, n_kv_head=cfg.n_head), "GQA": cfg, "MQA": replace(cfg, n_kv_head=1)}
