"""Mixture of experts: a router sends each token through k of n_expert feed-forward networks.

A dense block runs every token through its one FFN (llm_core.ffn.swiglu). A mixture-of-experts (MoE) layer
holds n_expert FFNs, the experts, and a router: one linear map [d_model, n_expert] whose logits score the
experts for each token. Each token goes through only its k best-scored experts, and their outputs are
added, weighted by the router (Shazeer et al. 2017, arXiv:1701.06538; Switch Transformer, Fedus et al.
2021, arXiv:2101.03961; Mixtral, Jiang et al. 2024, arXiv:2401.04088, section 2.1). So the model stores
every expert (memory grows with n_expert) while each token pays for k of them (FLOPs grow with k).
Reading is another matter: one token reads only its k experts' weights, but a batch of B tokens reads
every expert any of them picked, E (1 - (1 - k/E)^B) per layer under uniform routing
(`expected_experts_used`, `params_read`), which nears all E within a few dozen tokens.

Routing convention, Mixtral's: softmax over all n_expert logits, keep the k largest probabilities, divide
them by their sum. The paper writes it softmax(TopK(logits)) (eq. 1-2): the same numbers, since
exp(l_i) / sum over the top k of exp(l_j) = p_i / sum over the top k of p_j. Qwen3's config.json says so
with norm_topk_prob: true. Switch (k = 1) keeps the probability without renormalising; DeepSeek-V3 scores
with a sigmoid instead of a softmax (arXiv:2412.19437, eq. 15-16); neither is modelled here.

>>> experts, weights, probs = top_k_routing(np.log(np.array([[0.5, 0.2, 0.3]])), 2)
>>> experts.tolist(), np.round(weights, 3).tolist()
([[0, 2]], [[0.625, 0.375]])
>>> float(load_balancing_loss(np.full((4, 4), 0.25), np.array([[0], [1], [2], [3]]))[0])  # even: 1
1.0
>>> c = MOE_CONFIGS["mixtral-8x7b"]; n = parameter_counts(c)
>>> round(n["total"] / 1e9, 1), round(n["active"] / 1e9, 1)
(46.7, 12.9)
"""

from dataclasses import dataclass

import numpy as np

from .activations import softmax
from .ffn import swiglu


def router_logits(x, w_router):  # [n_seq, d_model], [d_model, n_expert] -> [n_seq, n_expert]
    """The router's score for every expert, per token: one linear map, no bias (Mixtral's `gate`)."""
    return x @ w_router


def top_k_routing(logits, k):
    """Each token's k experts and their weights, Mixtral's way (softmax, top k, renormalise).

    [n_seq, n_expert], int -> experts [n_seq, k] (best first), weights [n_seq, k] (each row sums to 1),
    probs [n_seq, n_expert] (the softmax over all experts, which the balance loss averages).
    Ties go to the lower expert index.
    """
    probs = softmax(logits, axis=-1)
    experts = np.argsort(-probs, axis=-1, kind="stable")[:, :k]  # [n_seq, k]
    top = np.take_along_axis(probs, experts, axis=-1)  # [n_seq, k]
    return experts, top / top.sum(axis=-1, keepdims=True), probs


def split_ffn(w_gate, w_up, w_down, n_expert):  # -> experts: w_gate, w_up [n_expert, d_model, d_expert], w_down
    """A dense SwiGLU FFN cut into n_expert experts of d_ff / n_expert consecutive hidden units each.

    [d_model, d_ff], [d_model, d_ff], [d_ff, d_model] -> {"w_gate", "w_up": [n_expert, d_model, d_expert],
    "w_down": [n_expert, d_expert, d_model]}. Every hidden unit adds its own row of w_down to the output, so
    the dense FFN is exactly the sum of all the experts' outputs: nothing is invented. MoEfication (Zhang et
    al. 2022, arXiv:2110.01786) splits trained FFNs this way, grouping units that fire together.
    """
    d_model, d_ff = w_gate.shape
    if d_ff % n_expert:
        raise ValueError(f"{d_ff} hidden units do not split into {n_expert} equal experts")
    d_expert = d_ff // n_expert

    def per_expert(w):  # [d_model, d_ff] -> [d_model, n_expert, d_expert] -> [n_expert, d_model, d_expert]
        return w.reshape(d_model, n_expert, d_expert).transpose(1, 0, 2)

    return {
        "w_gate": per_expert(w_gate),
        "w_up": per_expert(w_up),
        "w_down": w_down.reshape(n_expert, d_expert, d_model),
    }  # [d_ff, d_model] -> [n_expert, d_expert, d_model]


def expert_outputs(x, experts):  # [n_seq, d_model], experts -> [n_seq, n_expert, d_model]
    """Every expert on every token: what a dense layer pays, and what an oracle router would need to see."""
    gate = np.einsum("sd,edf->sef", x, experts["w_gate"])  # [n_seq, n_expert, d_expert]
    up = np.einsum("sd,edf->sef", x, experts["w_up"])
    hidden = gate / (1 + np.exp(-gate)) * up  # silu(gate) * up
    return np.einsum("sef,efd->sed", hidden, experts["w_down"])


def moe_swiglu(x, experts, chosen, weights):
    """An MoE layer's output: each token through its k experts only, weighted by the router and summed.

    [n_seq, d_model], experts (split_ffn's layout), chosen [n_seq, k] expert indices, weights [n_seq, k]
    -> [n_seq, d_model], tokens_per_expert [n_expert] (how many tokens each expert ran).
    Expert by expert, as MoE layers run: gather the tokens routed to expert e, run its SwiGLU on just
    those rows, add weight * output back into them. A token's outputs are added in expert order, so with
    every expert chosen at weight 1 the result is the same sum, bit for bit, whatever the slot order.
    """
    n_expert = experts["w_gate"].shape[0]
    out = np.zeros(x.shape, dtype=np.result_type(x, weights, experts["w_down"]))
    tokens_per_expert = np.zeros(n_expert, dtype=np.int64)
    for e in range(n_expert):
        rows, slots = np.nonzero(chosen == e)  # the tokens routed to e, and which of their k slots
        tokens_per_expert[e] = rows.size
        if rows.size:
            y, _ = swiglu(x[rows], experts["w_gate"][e], experts["w_up"][e], experts["w_down"][e])
            out[rows] += weights[rows, slots, None] * y  # a token picks e at most once: rows are distinct
    return out, tokens_per_expert


def load_balancing_loss(probs, chosen):  # [n_seq, n_expert], [n_seq, k] -> loss, f [n_expert], P [n_expert]
    """The auxiliary balance loss of Switch Transformer and Mixtral-style training: n_expert * sum_i f_i P_i.

    f_i: the share of the n_seq * k routing slots that went to expert i (for k = 1, Switch's fraction of
    tokens dispatched to i); P_i: the router's mean probability for i. Both sum to 1. (Fedus et al. 2021,
    arXiv:2101.03961, eq. 4-6.) Perfectly even routing gives exactly 1 for any k; every token sent to one
    expert with probability 1 gives n_expert. f counts hard choices and has no gradient; P carries it, so
    training pushes probability away from the experts that are already busy.
    subtle: implementations differ by a factor of k (some sum the k slots instead of averaging them); the
    average keeps 1.0 as "balanced" whatever k is.
    """
    n_seq, n_expert = probs.shape
    f = np.bincount(chosen.ravel(), minlength=n_expert) / chosen.size  # [n_expert]
    p = probs.mean(axis=0)  # [n_expert]
    return float(n_expert * np.sum(f * p)), f, p


@dataclass(frozen=True)
class MoEConfig:
    """The shape of an MoE transformer, as far as counting its parameters needs."""

    name: str  # display name
    d_model: int  # width of the residual stream (config.json hidden_size)
    n_layer: int  # transformer blocks
    n_head: int  # query heads
    n_kv_head: int  # key/value heads (grouped-query attention)
    d_head: int  # width of one head
    n_vocab: int  # vocabulary: rows of the embedding table
    n_expert: int  # routed experts per MoE layer
    top_k: int  # routed experts each token goes through
    d_expert: int  # hidden units of one expert's SwiGLU
    n_shared: int = 0  # shared experts, run for every token (DeepSeek-V3)
    n_dense_layer: int = 0  # first blocks with a dense SwiGLU instead of experts (first_k_dense_replace)
    d_ff_dense: int = 0  # hidden units of those dense FFNs
    mla: tuple | None = None  # multi-head latent attention: (q_lora_rank, kv_lora_rank, d_nope, d_rope, d_v)
    qk_norm: bool = False  # an RMSNorm gain of d_head on queries and on keys (Qwen3)
    bias: bool = False  # biases on attention, router and experts, one attention sink per head (gpt-oss)
    router_bias: bool = False  # a per-expert bias used only to pick experts (DeepSeek-V3's balancing)
    n_ctx: int = 0  # longest context the released model supports (config.json max_position_embeddings)
    sliding_window: int = 0  # positions a sliding-window layer attends to, and so keeps in its KV cache
    n_sliding_layer: int = 0  # blocks with sliding-window attention (gpt-oss: every other one)
    published: tuple = ()  # (total, active) as published, in parameters
    source: str = ""  # where the shape and the published figures come from
    notes: str = ""  # what the count leaves out or how the published figure counts


# Each from its config.json on Hugging Face (the URL in `source`) and its paper or model card.
MOE_CONFIGS = {
    # hidden_size 4096, 32 layers, 32/8 heads, intermediate_size 14336, num_local_experts 8,
    # num_experts_per_tok 2, vocab 32000, untied, max_position_embeddings 32768, sliding_window null
    # (full attention in every layer). 47B / 13B in the paper's abstract (arXiv:2401.04088);
    # 46.7B / 12.9B in Mistral's announcement, https://mistral.ai/news/mixtral-of-experts
    "mixtral-8x7b": MoEConfig(
        "Mixtral 8x7B",
        4096,
        32,
        32,
        8,
        128,
        32000,
        n_expert=8,
        top_k=2,
        d_expert=14336,
        n_ctx=32768,
        published=(46.7e9, 12.9e9),
        source="Jiang et al. 2024, arXiv:2401.04088; "
        "https://huggingface.co/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json",
        notes="the published active count includes the embedding table",
    ),
    # hidden_size 7168, 61 layers (the first 3 dense, intermediate_size 18432), 128 heads with MLA
    # (q_lora_rank 1536, kv_lora_rank 512, qk_nope_head_dim 128, qk_rope_head_dim 64, v_head_dim 128),
    # n_routed_experts 256, n_shared_experts 1, moe_intermediate_size 2048, num_experts_per_tok 8,
    # vocab 129280, untied, max_position_embeddings 163840. The checkpoint adds a multi-token-prediction module (num_nextn_predict_layers 1,
    # 11.5B more, README_WEIGHTS.md), which neither the 671B nor this count includes.
    "deepseek-v3": MoEConfig(
        "DeepSeek-V3",
        7168,
        61,
        128,
        128,
        128,
        129280,
        n_expert=256,
        top_k=8,
        d_expert=2048,
        n_shared=1,
        n_dense_layer=3,
        d_ff_dense=18432,
        mla=(1536, 512, 128, 64, 128),
        router_bias=True,
        n_ctx=163840,
        published=(671e9, 37e9),
        source="DeepSeek-AI 2024, arXiv:2412.19437; "
        "https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json",
        notes="the active count leaves out the input embedding (36.6B in DeepSeek's README_WEIGHTS.md, "
        "rounded to 37B in the paper); the multi-token-prediction module is left out",
    ),
    # hidden_size 2048, 48 layers, 32/4 heads of head_dim 128 with q/k norms, num_experts 128,
    # num_experts_per_tok 8, moe_intermediate_size 768 (every layer MoE: mlp_only_layers []), vocab 151936,
    # untied, max_position_embeddings 40960, use_sliding_window false. 30.5B / 3.3B on the model card.
    "qwen3-30b-a3b": MoEConfig(
        "Qwen3-30B-A3B",
        2048,
        48,
        32,
        4,
        128,
        151936,
        n_expert=128,
        top_k=8,
        d_expert=768,
        qk_norm=True,
        n_ctx=40960,
        published=(30.5e9, 3.3e9),
        source="Qwen team 2025, arXiv:2505.09388; https://huggingface.co/Qwen/Qwen3-30B-A3B/blob/main/config.json",
        notes="the published active count includes the embedding table",
    ),
    # hidden_size 2880, 36 layers, 64/8 heads of head_dim 64 with attention_bias, num_local_experts 128,
    # experts_per_token 4, intermediate_size 2880 (per expert), vocab 201088, untied; experts with biases
    # (gate_up_proj_bias, down_proj_bias), a router with a bias, one learned sink logit per head;
    # max_position_embeddings 131072; layer_types alternate sliding_attention (sliding_window 128) and
    # full_attention, 18 of each.
    # 116.8B / 5.1B on the model card, whose active count leaves out the embedding table.
    "gpt-oss-120b": MoEConfig(
        "gpt-oss-120b",
        2880,
        36,
        64,
        8,
        64,
        201088,
        n_expert=128,
        top_k=4,
        d_expert=2880,
        bias=True,
        n_ctx=131072,
        sliding_window=128,
        n_sliding_layer=18,
        published=(116.8e9, 5.1e9),
        source="OpenAI 2025, gpt-oss-120b & gpt-oss-20b model card, arXiv:2508.10925; "
        "https://huggingface.co/openai/gpt-oss-120b/blob/main/config.json",
        notes="the active count leaves out the embedding table; the released checkpoint stores the "
        "expert weights in MXFP4 (4.25 bits per parameter)",
    ),
}


def attention_params(cfg):  # -> int, one block's attention
    """One block's attention weights: grouped-query attention, or DeepSeek's multi-head latent attention."""
    d = cfg.d_model
    if cfg.mla:  # low-rank q and kv (each with an RMSNorm on the latent), then the output projection
        q_rank, kv_rank, d_nope, d_rope, d_v = cfg.mla
        q = d * q_rank + q_rank + q_rank * cfg.n_head * (d_nope + d_rope)
        kv = d * (kv_rank + d_rope) + kv_rank + kv_rank * cfg.n_head * (d_nope + d_v)
        return q + kv + cfg.n_head * d_v * d
    n_q, n_kv = cfg.n_head * cfg.d_head, cfg.n_kv_head * cfg.d_head
    count = 2 * d * n_q + 2 * d * n_kv  # w_q, w_o; w_k, w_v
    if cfg.bias:
        count += n_q + 2 * n_kv + d + cfg.n_head  # q, k, v, o biases; one sink logit per head
    return count + (2 * cfg.d_head if cfg.qk_norm else 0)


def parameter_counts(cfg):  # MoEConfig -> dict of ints
    """Parameters by part, the total, and the parameters one token uses (active).

    Per MoE block: n_expert routed experts (3 d_model d_expert each, plus biases) and n_shared shared
    ones, and a router d_model * n_expert. A token runs its top_k routed experts, the shared ones, the
    router and everything outside the experts: active = total - (n_expert - top_k) / n_expert of the
    routed experts. `active_no_embedding` leaves out the embedding table, which a token only reads one
    row of (DeepSeek's and OpenAI's published figures count that way).
    """
    d, n_moe = cfg.d_model, cfg.n_layer - cfg.n_dense_layer
    expert = 3 * d * cfg.d_expert + (2 * cfg.d_expert + d if cfg.bias else 0)
    parts = {
        "embedding": cfg.n_vocab * d,
        "lm_head": cfg.n_vocab * d,
        "attention": cfg.n_layer * attention_params(cfg),
        "norms": (2 * cfg.n_layer + 1) * d,
        "dense_ffn": cfg.n_dense_layer * 3 * d * cfg.d_ff_dense,
        "router": n_moe * (d * cfg.n_expert + (cfg.n_expert if cfg.bias or cfg.router_bias else 0)),
        "shared_experts": n_moe * cfg.n_shared * expert,
        "routed_experts": n_moe * cfg.n_expert * expert,
    }
    parts["total"] = sum(parts.values())
    parts["active_experts"] = n_moe * cfg.top_k * expert  # the routed experts one token runs
    parts["active"] = parts["total"] - parts["routed_experts"] + parts["active_experts"]
    parts["active_no_embedding"] = parts["active"] - parts["embedding"]
    return parts


def flops_per_token(n_active):  # -> int
    """Forward FLOPs per token from the weights: one multiply and one add per active parameter (2 N).

    Attention over the context adds more, which grows with its length and is left out here (as in
    C ~ 6ND for training, Kaplan et al. 2020, arXiv:2001.08361, section 2.1).
    """
    return 2 * n_active


def weights_bytes(n_params, bits=16):  # -> float
    """Bytes to hold n_params weights at `bits` bits each (16: bf16; 8: fp8/int8; 4: 4-bit), scales left out.

    Every expert must be in memory, since any token may pick any of them: memory follows the total,
    FLOPs per token the active count.
    """
    return n_params * bits / 8


def expected_experts_used(n_expert, top_k, n_tokens):  # -> float
    """How many distinct experts of one MoE layer n_tokens tokens pick between them, on average.

    The model: routing uniform and independent, each token picking top_k different experts of n_expert.
    One expert is missed by one token with probability 1 - k/E, by all n_tokens with (1 - k/E)^B, so

        E (1 - (1 - k/E)^B)

    distinct experts are used: k for one token, climbing towards all E as the batch grows. Trained
    routers are not uniform (balancing pushes them towards it, but a batch of similar text picks
    similar experts), so a real batch may touch fewer; uniform routing is the number to expect with
    balanced experts and unrelated requests. n_tokens may be fractional (a continuous batch size).

    >>> expected_experts_used(8, 2, 1), round(expected_experts_used(8, 2, 16), 2)
    (2.0, 7.92)
    """
    if not 0 < top_k <= n_expert or n_tokens < 0:
        raise ValueError(f"need 0 < top_k <= n_expert and n_tokens >= 0, got {top_k}, {n_expert}, {n_tokens}")
    return n_expert * (1.0 - (1.0 - top_k / n_expert) ** n_tokens)


def params_read(cfg, n_tokens):  # MoEConfig, tokens in one forward pass -> float
    """Parameters a forward pass over n_tokens tokens reads from memory, under uniform routing.

    Everything outside the routed experts is read once for the whole pass (attention, norms, router,
    shared experts, dense blocks, the embedding and output tables, counted whole as for a dense model),
    and in each MoE block the experts its tokens pick: expected_experts_used of them. One token reads
    exactly parameter_counts(cfg)["active"]; a large batch reads nearly the total. This is what a
    decode step of B sequences (n_tokens = B) or a prefill of P prompt tokens (n_tokens = P) moves.
    """
    n = parameter_counts(cfg)
    per_expert = n["routed_experts"] / (cfg.n_layer - cfg.n_dense_layer) / cfg.n_expert  # one expert, one block
    used = expected_experts_used(cfg.n_expert, cfg.top_k, n_tokens) if n_tokens else 0.0
    return n["total"] - n["routed_experts"] + (cfg.n_layer - cfg.n_dense_layer) * used * per_expert


def weight_bytes_read(cfg, weight_bytes, n_tokens):  # MoEConfig, bytes of all weights, tokens -> float
    """Bytes of weights a pass over n_tokens tokens reads: weight_bytes in proportion to params_read.

    weight_bytes holds every parameter at one precision (scales included), so each parameter costs
    weight_bytes / total on average, and a pass reads that many bytes for each parameter it reads.
    """
    return weight_bytes * params_read(cfg, n_tokens) / parameter_counts(cfg)["total"]
