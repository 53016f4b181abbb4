"""FlashAttention: the same attention, computed tile by tile, without ever holding the n x n scores.

Plain attention (`llm_core.attention`) forms every score q . k / sqrt(d_head) at once, an n_q x n_k
matrix, softmaxes it row by row and multiplies by v. FlashAttention (Dao et al. 2022, "FlashAttention:
Fast and Memory-Efficient Exact Attention with IO-Awareness", arXiv:2205.14135) cuts q into blocks of
block_q rows and k, v into blocks of block_k rows and visits one tile of scores at a time. A softmax
needs the whole row, so each query row keeps a running state instead (the online softmax; Milakov &
Gimelshein 2018, arXiv:1805.02867):

    m   the largest score seen so far             m' = max(m, max_j s_j)
    l   the sum of exp(s - m) so far              l' = e^(m - m') l + sum_j e^(s_j - m')
    acc the sum of exp(s - m) v so far            acc' = e^(m - m') acc + sum_j e^(s_j - m') v_j

When a tile brings a larger score, everything summed before is scaled down by e^(m - m') (the rescale
factor, at most 1). After the last tile, out = acc / l: exactly softmax(s) v, up to rounding. The memory
held at once is a few tiles, whatever n is; the FLOPs are the same; under the causal mask, tiles whose
keys all lie after their queries are skipped.

>>> from llm_core.attention import causal_mask, scaled_dot_product_attention
>>> rng = np.random.default_rng(0)
>>> q, k, v = rng.normal(size=(3, 10, 4))
>>> out, trace = flash_attention(q, k, v, block_q=4, block_k=4)
>>> plain, _ = scaled_dot_product_attention(q, k, v, causal_mask(10))
>>> bool(np.allclose(out, plain, rtol=1e-12, atol=1e-12))
True
>>> trace["tiles"]  # 3 x 3 tiles: 3 in full, 3 on the diagonal (1), 3 skipped (0)
array([[1, 0, 0],
       [2, 1, 0],
       [2, 2, 1]])
"""

import math

import numpy as np

from .attention import attention_scores

SKIPPED, PARTLY_MASKED, FULL = 0, 1, 2  # a tile's status in trace["tiles"]


def online_softmax_step(m, total, acc, scores, v):
    """Fold one tile of keys into the running softmax state of a block of query rows.

    m, total [..., n_rows]: the running max and sum, the paper's m and l (start: -inf and 0); acc [...,
    n_rows, d_head] (start: 0); scores [..., n_rows, n_cols] (-inf where masked); v [..., n_cols, d_head]
    -> m', total', acc', rescale [..., n_rows].
    rescale = e^(m - m') is what the earlier sums are multiplied by: 1 if the tile raised no row's max.

    >>> m, total, acc, r = online_softmax_step(np.array([1.0]), np.array([1.0]), np.array([[2.0]]),
    ...                                    np.array([[1.0, 3.0]]), np.array([[1.0], [0.0]]))
    >>> float(m[0]), round(float(r[0]), 4), round(float(total[0]), 4)  # l' = e^-2 + e^-2 + e^0
    (3.0, 0.1353, 1.2707)
    """
    m_new = np.maximum(m, scores.max(axis=-1))
    # subtle: a row that has seen only masked keys keeps m = -inf, and -inf - -inf is NaN; shift it by 0
    # instead (its exponentials are all e^-inf = 0 either way).
    shift = np.where(np.isneginf(m_new), 0, m_new)
    rescale = np.exp(m - shift)  # [..., n_rows]; e^-inf = 0 on a row's first tile
    p = np.exp(scores - shift[..., None])  # [..., n_rows, n_cols], 0 where masked
    return m_new, rescale * total + p.sum(axis=-1), rescale[..., None] * acc + p @ v, rescale


def tile_status(n_q, n_k, block_q, block_k, causal=True):  # -> int [n_q tiles, n_k tiles]
    """Each tile's status: FULL (every query sees every key), PARTLY_MASKED (on the diagonal) or SKIPPED
    (every key after every query), for the causal mask of llm_core.attention.causal_mask (the n_q queries
    are the last n_q of the n_k positions), read from the tile's corners only: no n_q x n_k mask is built.

    >>> tile_status(5, 5, 2, 2)  # the last tile is query 4 against key 4 alone: nothing masked
    array([[1, 0, 0],
           [2, 1, 0],
           [2, 2, 2]])
    """
    if block_q < 1 or block_k < 1:
        raise ValueError(f"block sizes must be at least 1, got block_q={block_q}, block_k={block_k}")
    if causal and n_k < n_q:
        raise ValueError(f"need n_k >= n_q (the queries are the last n_q positions), got {n_q} and {n_k}")
    offset = n_k - n_q
    first_q = np.arange(0, n_q, block_q)  # [n_q tiles]: the first and last query row of each tile
    last_q = np.minimum(first_q + block_q, n_q) - 1
    first_k = np.arange(0, n_k, block_k)  # [n_k tiles]
    last_k = np.minimum(first_k + block_k, n_k) - 1
    if not causal:
        return np.full((len(first_q), len(first_k)), FULL)
    full = last_k[None, :] <= offset + first_q[:, None]  # the tile's first query sees its last key
    skipped = first_k[None, :] > offset + last_q[:, None]  # its last query sees not even its first key
    return np.where(full, FULL, np.where(skipped, SKIPPED, PARTLY_MASKED))


def flash_attention(q, k, v, block_q=64, block_k=64, causal=True, watch=None):
    """Tiled attention with the online softmax, in the loop order of Dao et al.'s Algorithm 1.

    q [..., n_q, d_head], k, v [..., n_k, d_head] (leading axes broadcast, so grouped-query attention
    passes q as [n_kv_head, n_group, n_q, d_head] and k, v as [n_kv_head, 1, n_k, d_head]) -> out [...,
    n_q, d_head], trace. Equal to scaled_dot_product_attention(q, k, v, causal_mask(n_q, n_k)) (or no
    mask with causal=False) up to rounding.

    The outer loop walks the key/value tiles, the inner one the query tiles (Algorithm 1, lines 5 and 7);
    m, l and acc play the part of the paper's m, l and O kept in HBM between visits.
    trace: "tiles" (tile_status), "order" [(i, j), ...] the tiles computed, in order; with watch = a query
    row, "row": that row's state after each tile of its block was folded in, in key order (its m, l,
    rescale and the partial output acc / l, each [...]; the tile's own max "tile_max"; "keys" = (first,
    last + 1)).
    """
    n_q, n_k = q.shape[-2], k.shape[-2]
    if n_k == 0:
        raise ValueError("attention needs at least one key")
    status = tile_status(n_q, n_k, block_q, block_k, causal)
    lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    m = np.full((*lead, n_q), -np.inf, dtype=q.dtype)
    total = np.zeros((*lead, n_q), dtype=q.dtype)
    acc = np.zeros((*lead, n_q, v.shape[-1]), dtype=q.dtype)
    offset = n_k - n_q
    order, row = [], []
    for j, k0 in enumerate(range(0, n_k, block_k)):
        cols = slice(k0, min(k0 + block_k, n_k))
        for i, q0 in enumerate(range(0, n_q, block_q)):
            if status[i, j] == SKIPPED:
                continue
            rows = slice(q0, min(q0 + block_q, n_q))
            scores = attention_scores(q[..., rows, :], k[..., cols, :])  # [..., block_q, block_k]
            if status[i, j] == PARTLY_MASKED:  # key c visible to query r when c <= offset + r
                visible = (
                    np.arange(cols.start, cols.stop)[None, :] <= offset + np.arange(rows.start, rows.stop)[:, None]
                )
                scores = np.where(visible, scores, -np.inf)
            m[..., rows], total[..., rows], acc[..., rows, :], rescale = online_softmax_step(
                m[..., rows], total[..., rows], acc[..., rows, :], scores, v[..., cols, :]
            )
            order.append((i, j))
            if watch is not None and rows.start <= watch < rows.stop:
                r = watch - rows.start
                row.append(
                    {
                        "tile": (i, j),
                        "keys": (cols.start, cols.stop),
                        "tile_max": scores[..., r, :].max(axis=-1),
                        "m": m[..., watch].copy(),
                        "l": total[..., watch].copy(),
                        "rescale": rescale[..., r],
                        "out": acc[..., watch, :] / total[..., watch, None],
                    }
                )
    out = acc / total[..., None]  # every row saw at least one key: l >= 1 (its max term is e^0)
    trace = {"tiles": status, "order": order}
    if watch is not None:
        trace["row"] = row
    return out, trace


# --- memory and traffic -------------------------------------------------------------------------------


def attention_memory(n_seq, d_head, block_q, block_k, n_head=1, bytes_per_number=2):  # -> dict of ints
    """Bytes plain attention holds for its scores against the bytes FlashAttention holds at once.

    "scores": the n_seq x n_seq score matrix of each of n_head heads (the softmaxed weights are as
    large again; plain attention writes both). "tiles": for each head, the blocks one step of the tiled
    loop holds in on-chip memory: q, the output accumulator acc ([block_q, d_head] each), k and v
    ([block_k, d_head] each), the scores tile [block_q, block_k], m and l ([block_q] each).

    >>> attention_memory(1024, 64, 64, 64, bytes_per_number=2)
    {'scores': 2097152, 'tiles': 41216}
    """
    tiles = 2 * block_q * d_head + 2 * block_k * d_head + block_q * block_k + 2 * block_q
    return {
        "scores": n_head * n_seq * n_seq * bytes_per_number,
        "tiles": n_head * tiles * bytes_per_number,
    }


def paper_block_sizes(sram, d_head):  # -> (block_q, block_k)
    """Algorithm 1, line 1 of Dao et al.: B_c = ceil(M / 4d), B_r = min(ceil(M / 4d), d), for an on-chip
    memory (SRAM) of M numbers: four blocks of about B x d numbers (q, k, v, the output) fit in it.

    >>> paper_block_sizes(100_000, 64)
    (64, 391)
    """
    block = math.ceil(sram / (4 * d_head))
    return min(block, d_head), block


def hbm_accesses(n_seq, d_head, sram):  # -> dict of ints, counted in numbers read or written
    """Numbers read from and written to the GPU's main memory (HBM) by one head's attention, two ways.

    Standard attention, Algorithm 0 of Dao et al. 2022 (arXiv:2205.14135, section 2.2): read Q, K, write
    S = QK^T; read S, write P = softmax(S); read P, V, write O = PV:
        reads  = 2Nd + N^2 + N^2 + Nd = 3Nd + 2N^2,     writes = N^2 + N^2 + Nd = 2N^2 + Nd.
    FlashAttention, Algorithm 1 (section 3.1) with its block sizes (paper_block_sizes), T_c = ceil(N / B_c)
    key/value blocks: K and V are read once (line 6); for each of the T_c key blocks, every block of Q, O,
    l and m is read (line 8) and O, l, m written back (lines 12-13); O, l, m start written (line 2):
        reads  = 2Nd + T_c (2Nd + 2N),                  writes = (Nd + 2N) + T_c (Nd + 2N).
    Theorem 2 states these as Theta(Nd + N^2) and Theta(N^2 d^2 / M) (its proof counts the same loads);
    the ratio standard / flash is then about 4N^2 / (3Nd N / B_c) = 4 B_c / 3d, about M / 3d^2.
    No causal skipping is counted (the paper counts the full square).

    >>> r = hbm_accesses(1024, 64, 100_000)
    >>> r["block_k"], r["n_k_blocks"], r["standard"], r["flash"]
    (391, 3, 4456448, 800768)
    """
    n, d = n_seq, d_head
    block_q, block_k = paper_block_sizes(sram, d)
    t_c = math.ceil(n / block_k)
    standard_reads, standard_writes = 3 * n * d + 2 * n * n, 2 * n * n + n * d
    flash_reads = 2 * n * d + t_c * (2 * n * d + 2 * n)
    flash_writes = (n * d + 2 * n) + t_c * (n * d + 2 * n)
    return {
        "block_q": block_q,
        "block_k": block_k,
        "n_k_blocks": t_c,
        "standard_reads": standard_reads,
        "standard_writes": standard_writes,
        "standard": standard_reads + standard_writes,
        "flash_reads": flash_reads,
        "flash_writes": flash_writes,
        "flash": flash_reads + flash_writes,
    }
