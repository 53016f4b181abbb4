"""Attention: each position gathers information from the positions it may look at.

Every position emits a query (what it is looking for), a key (what it offers) and a value (what it
passes on). Its output is the average of the values, weighted by softmax(q . k / sqrt(d_head)) over the
keys: "Attention Is All You Need" (Vaswani et al. 2017, arXiv:1706.03762), eq. 1. The causal mask stops
a position from seeing later ones, so the model cannot peek at the token it must predict.

Multi-head attention runs n_head of these in parallel on slices of the vector (section 3.2.2).
Grouped-query attention (Ainslie et al. 2023, arXiv:2305.13245) lets a group of n_head // n_kv_head
query heads share one key/value head: query head h reads kv head h // (n_head // n_kv_head). It shrinks
the KV cache by n_head / n_kv_head; n_kv_head = n_head is ordinary multi-head attention, n_kv_head = 1
is multi-query attention (Shazeer 2019, arXiv:1911.02150).

Weights are laid out for x @ w (w is [d_in, d_out]), as in GPT-2's checkpoint and picoGPT;
torch.nn.Linear stores the transpose. attention_backward and multi_head_attention_backward are their
gradients, for training (llm_core.train).

>>> causal_mask(3).astype(int)  # row = query position, column = key position; 1 = may attend
array([[1, 0, 0],
       [1, 1, 0],
       [1, 1, 1]])
"""

import numpy as np

from .activations import softmax
from .ffn import weight_gradient
from .rope import rope_cos_sin, rotate_pairs, rotate_pairs_backward


def causal_mask(n_q, n_k=None, offset=None):  # -> bool [n_q, n_k]
    """True where query i may attend to key j: j <= offset + i.

    The n_q queries are the last n_q of the n_k positions (offset = n_k - n_q by default), which is the
    decode case with a KV cache: one new query at the end attends to every cached key.
    """
    n_k = n_q if n_k is None else n_k
    offset = n_k - n_q if offset is None else offset
    if n_q < 0 or n_k < 0 or offset < 0:
        raise ValueError(f"need n_q, n_k, offset >= 0, got n_q={n_q}, n_k={n_k}, offset={offset}")
    return np.arange(n_k)[None, :] <= np.arange(offset, offset + n_q)[:, None]


def attention_scores(q, k):  # [..., n_q, d_head], [..., n_k, d_head] -> [..., n_q, n_k]
    """q . k / sqrt(d_head) for every query-key pair.

    Dividing by sqrt(d_head) keeps the scores' spread near 1 whatever d_head is (the dot product of two
    random unit-variance vectors has variance d_head), so softmax does not saturate (Vaswani et al. 3.2.1).
    """
    return q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype)


def attention_weights(scores, mask=None):  # [..., n_q, n_k], bool [n_q, n_k] -> [..., n_q, n_k]
    """softmax over the keys, masked keys set to -inf first (weight 0). Each row sums to 1.

    subtle: a row with every key masked sums to 0 instead (all-zero weights, output a zero vector),
    not NaN; it cannot happen with a causal mask, where each query sees at least itself.
    """
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    return softmax(scores, axis=-1)


def scaled_dot_product_attention(q, k, v, mask=None):
    """softmax(q k^T / sqrt(d_head)) v, for one head (or a stack of heads in the leading axes).

    [n_q, d_head], [n_k, d_head], [n_k, d_head], bool [n_q, n_k] -> [n_q, d_head], [n_q, n_k]
    Returns the output and the attention weights.
    """
    weights = attention_weights(attention_scores(q, k), mask)
    return weights @ v, weights


def attention_distance(weights):  # [..., n_q, n_k] -> [..., n_q]
    """How far back each query looks, on average: sum_j weights_ij * (position_i - j), in positions.

    The n_q queries are the last n_q of the n_k positions, as in causal_mask. A head that always attends
    to the previous token scores 1, one that attends to itself 0, one that spreads evenly over a causal
    prefix of n tokens (n - 1) / 2. Used to summarise what a head does (e.g. Vig & Belinkov 2019,
    "Analyzing the Structure of Attention in a Transformer Language Model", arXiv:1906.04284).

    >>> attention_distance(np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]))
    array([0. , 1. , 0.5])
    """
    n_q, n_k = weights.shape[-2:]
    # [n_q, 1] - [1, n_k] -> [n_q, n_k]: how many positions key j lies before query i
    offsets = np.arange(n_k - n_q, n_k)[:, None] - np.arange(n_k)[None, :]
    return (weights * offsets).sum(axis=-1)


def split_heads(a, n_head):  # [..., n_seq, n_head * d_head] -> [..., n_head, n_seq, d_head]
    """A projection's output cut into its heads' slices, each head's positions together (a view, no copy)."""
    *lead, n_seq, width = a.shape
    # [..., n_seq, n_head * d_head] -> [..., n_seq, n_head, d_head] -> [..., n_head, n_seq, d_head]
    return np.swapaxes(a.reshape(*lead, n_seq, n_head, width // n_head), -3, -2)


def merge_heads(a):  # [..., n_head, n_seq, d_head] -> [..., n_seq, n_head * d_head]
    """The heads' outputs side by side again, as split_heads found them (its inverse).

    >>> a = np.arange(12).reshape(2, 6)
    >>> bool(np.array_equal(merge_heads(split_heads(a, 3)), a))
    True
    """
    *lead, n_head, n_seq, d_head = a.shape
    # [..., n_head, n_seq, d_head] -> [..., n_seq, n_head, d_head] -> [..., n_seq, n_head * d_head]
    return np.swapaxes(a, -3, -2).reshape(*lead, n_seq, n_head * d_head)


def multi_head_attention(
    x,
    w_q,
    w_k,
    w_v,
    w_o,
    n_head,
    n_kv_head=None,
    positions=None,
    rope_freqs=None,
    causal=True,
    kv_cache=None,
    layer=0,
    rope=None,
):
    """Grouped-query multi-head self-attention over a sequence, with optional RoPE and KV cache.

    x [n_seq, d_model]; w_q [d_model, n_head * d_head]; w_k, w_v [d_model, n_kv_head * d_head];
    w_o [n_head * d_head, d_model] -> out [n_seq, d_model], trace. Without a KV cache x may also be a
    batch of sequences [..., n_seq, d_model], each attending only within itself (training reads a batch
    in one pass: one product per weight for the whole batch instead of one per sequence); out and every
    trace array then carry the same leading axes.

    positions: the positions of x's rows (default: continuing after what the cache holds). rope_freqs:
    rope_frequencies(d_head, ...) to rotate q and k, or None for no rotation; rope: instead, the
    (cos, sin) tables of rope.rope_cos_sin(positions, rope_freqs), which every layer shares, so a forward
    pass computes them once. kv_cache: a KVCache, or
    anything with .lengths and .update(layer, k, v) -> (k_all, v_all); the new keys (after RoPE) and
    values are appended and attention runs over all n_k cached positions.

    trace: q [n_head, n_seq, d_head] and k [n_kv_head, n_k, d_head] (both after RoPE),
    v [n_kv_head, n_k, d_head], mask [n_seq, n_k], scores and weights [n_head, n_seq, n_k],
    heads [n_head, n_seq, d_head] (each head's output, before w_o).
    """
    n_kv_head = n_head if n_kv_head is None else n_kv_head
    if n_head <= 0 or n_kv_head <= 0 or n_head % n_kv_head:
        raise ValueError(f"n_kv_head ({n_kv_head}) must be a positive divisor of n_head ({n_head})")
    *lead, n_seq, d_model = x.shape
    if lead and kv_cache is not None:
        raise ValueError(f"a KV cache holds one sequence: x must be [n_seq, d_model], got {x.shape}")
    if w_q.shape[1] % n_head or w_k.shape[1] * n_head != w_q.shape[1] * n_kv_head:
        raise ValueError(
            f"w_q {w_q.shape} and w_k {w_k.shape} do not fit n_head={n_head}, n_kv_head={n_kv_head} with one d_head"
        )
    d_head = w_q.shape[1] // n_head
    n_group = n_head // n_kv_head  # query heads per kv head

    q = split_heads(x @ w_q, n_head)  # [..., n_seq, d_model] @ [d_model, n_head d_head] -> [..., n_head, n_seq, d_head]
    k = split_heads(x @ w_k, n_kv_head)  # [..., n_kv_head, n_seq, d_head]
    v = split_heads(x @ w_v, n_kv_head)  # [..., n_kv_head, n_seq, d_head]

    n_past = 0 if kv_cache is None else int(kv_cache.lengths[layer])
    if positions is None:
        positions = np.arange(n_past, n_past + n_seq)
    if rope is None and rope_freqs is not None:
        if len(rope_freqs) * 2 != d_head or len(positions) != n_seq:
            raise ValueError(
                f"rope_freqs ({len(rope_freqs)} pairs) and positions ({len(positions)}) must "
                f"fit d_head = {d_head} and n_seq = {n_seq}"
            )
        rope = rope_cos_sin(positions, rope_freqs, q.dtype)  # [n_seq, d_head] x 2
    if rope is not None:  # the same rotation as rope.apply_rope, for queries and keys
        q, k = rotate_pairs(q, *rope), rotate_pairs(k, *rope)
    if kv_cache is not None:
        k, v = kv_cache.update(layer, k, v)  # -> [n_kv_head, n_k, d_head], earlier positions first
    n_k = k.shape[-2]

    mask = causal_mask(n_seq, n_k) if causal else np.ones((n_seq, n_k), dtype=bool)
    # Group the query heads by the kv head they share, so each kv head is used without being copied:
    # [..., n_head, n_seq, d_head] -> [..., n_kv_head, n_group, n_seq, d_head]; k [..., n_kv_head, n_k, d_head]
    # -> [..., n_kv_head, 1, n_k, d_head] broadcasts over the group. Query head h = kv head h // n_group.
    q_grouped = q.reshape(*lead, n_kv_head, n_group, n_seq, d_head)
    scores = attention_scores(q_grouped, k[..., None, :, :])  # [..., n_kv_head, n_group, n_seq, n_k]
    weights = attention_weights(scores, mask)
    heads = weights @ v[..., None, :, :]  # [..., n_kv_head, n_group, n_seq, d_head]
    heads = heads.reshape(*lead, n_head, n_seq, d_head)
    out = merge_heads(heads) @ w_o  # [..., n_seq, n_head * d_head] @ [n_head * d_head, d_model]
    trace = {
        "q": q,
        "k": k,
        "v": v,
        "mask": mask,
        "scores": scores.reshape(*lead, n_head, n_seq, n_k),
        "weights": weights.reshape(*lead, n_head, n_seq, n_k),
        "heads": heads,
    }
    return out, trace


def attention_backward(d_out, q, k, v, weights):
    """The gradients of scaled_dot_product_attention's q, k and v, given d_out = dL/d(its output).

    [..., n_q, d_head] d_out and q; [..., n_k, d_head] k and v; [..., n_q, n_k] weights (the forward's
    softmax, saved) -> d_q [..., n_q, d_head], d_k and d_v [..., n_k, d_head]. With s = 1 / sqrt(d_head),
    out = weights @ v and weights = softmax(s q k^T) row by row:

        d_v       = weights^T d_out
        d_weights = d_out v^T
        d_scores  = weights * (d_weights - sum_j weights * d_weights)   softmax's Jacobian, row by row
        d_q       = s d_scores k,      d_k = s d_scores^T q

    A masked key has weight 0, so its score gets gradient 0: the mask needs no backward of its own.
    k and v may broadcast against q (a kv head shared by a group of query heads): the returned d_k and
    d_v then have q's leading shape, and the caller sums over the heads that shared them.
    """
    d_v = np.swapaxes(weights, -1, -2) @ d_out
    d_weights = d_out @ np.swapaxes(v, -1, -2)  # [..., n_q, n_k]
    d_scores = weights * (d_weights - np.sum(weights * d_weights, axis=-1, keepdims=True))
    scale = 1 / np.sqrt(q.shape[-1]).astype(q.dtype)
    return d_scores @ k * scale, np.swapaxes(d_scores, -1, -2) @ q * scale, d_v


def multi_head_attention_backward(d_out, x, w_q, w_k, w_v, w_o, trace, rope=None):
    """The gradients of multi_head_attention (no KV cache: the sequence is all there is), given
    d_out = dL/d(its output).

    d_out, x [..., n_seq, d_model]; w_q, w_k, w_v, w_o as in the forward; trace: the forward's trace (q and
    k after RoPE, v, weights, heads), its arrays with the same leading axes as x (a batch: the traces of
    its sequences stacked); rope: the (cos, sin) tables the forward rotated by, or None.
    -> d_x [..., n_seq, d_model], d_w_q, d_w_k, d_w_v, d_w_o (the weights' shapes, summed over every
    position of every sequence).

    The forward's steps undone in reverse: the output projection, attention_backward per query head
    (a kv head's gradient is the sum over the n_head // n_kv_head query heads that read it), the RoPE
    rotation (rotate_pairs_backward), and the three input projections, whose gradients with respect to
    x add up (x feeds all three).
    """
    q, k, v, weights, heads = trace["q"], trace["k"], trace["v"], trace["weights"], trace["heads"]
    *lead, n_head, n_seq, d_head = q.shape
    n_kv_head, n_k = k.shape[-3], k.shape[-2]
    if n_k != n_seq:
        raise ValueError(f"the backward runs without a KV cache: {n_k} keys for {n_seq} queries")
    n_group = n_head // n_kv_head

    d_w_o = weight_gradient(merge_heads(heads), d_out)
    d_heads = split_heads(d_out @ w_o.T, n_head)  # [..., n_head, n_seq, d_head]
    # grouped as the forward grouped them: query head h reads kv head h // n_group
    grouped = (*lead, n_kv_head, n_group, n_seq)
    d_q, d_k, d_v = attention_backward(
        d_heads.reshape(*grouped, d_head),
        q.reshape(*grouped, d_head),
        k[..., None, :, :],
        v[..., None, :, :],
        weights.reshape(*grouped, n_k),
    )
    d_q, d_k, d_v = d_q.reshape(q.shape), d_k.sum(axis=-3), d_v.sum(axis=-3)  # a group's kv gradients add up
    if rope is not None:
        d_q, d_k = rotate_pairs_backward(d_q, *rope), rotate_pairs_backward(d_k, *rope)
    d_q, d_k, d_v = merge_heads(d_q), merge_heads(d_k), merge_heads(d_v)
    d_x = d_q @ w_q.T + d_k @ w_k.T + d_v @ w_v.T
    return (
        d_x,
        weight_gradient(x, d_q),
        weight_gradient(x, d_k),
        weight_gradient(x, d_v),
        d_w_o,
    )
