"""Embeddings: each token id is a row of a [n_vocab, d_model] table, and geometry in it means something.

The model turns token ids into vectors by looking up rows of its embedding table. Training puts tokens
used alike near each other, so the angle between two vectors (cosine similarity) says how alike the
model treats them, and the nearest rows to a vector are the tokens it is most like. PCA (Pearson 1901;
via the SVD) finds the 2 or 3 directions along which the vectors vary most, to draw them on a screen.
embed_backward is the lookup's gradient, for training (llm_core.train). mean_difference_direction turns a group
of tokens (the months) into one direction, a feature the table stores.

>>> cosine_similarity(np.array([1.0, 0.0]), np.array([[1.0, 1.0], [0.0, 2.0]]))
array([0.70710678, 0.        ])
"""

import numpy as np


def embed(ids, table):  # [n_seq] int, [n_vocab, d_model] -> [n_seq, d_model]
    """Look up each id's row of the embedding table."""
    ids = np.asarray(ids)
    if ids.size and (ids.min() < 0 or ids.max() >= len(table)):
        raise ValueError(f"token ids must be in [0, {len(table)}), got {ids.min()}..{ids.max()}")
    return table[ids]


def embed_backward(d_x, ids, n_vocab):  # [..., d_model], [...] int, int -> [n_vocab, d_model]
    """The gradient of the embedding table, given d_x = dL/d(embed(ids, table)).

    A lookup copies rows, so each position's gradient goes back to its token's row, and a token that
    appears k times gets the sum of its k gradients; rows of tokens not in ids get 0. What the forward
    saves: the ids.

    >>> embed_backward(np.array([[1.0, 2.0], [10.0, 20.0], [0.5, 0.5]]), [2, 0, 2], 3)
    array([[10. , 20. ],
           [ 0. ,  0. ],
           [ 1.5,  2.5]])
    """
    d_table = np.zeros((n_vocab, d_x.shape[-1]), dtype=d_x.dtype)
    np.add.at(d_table, np.asarray(ids).reshape(-1), d_x.reshape(-1, d_x.shape[-1]))  # repeated ids add up
    return d_table


def cosine_similarity(a, b):  # [..., d_model], [..., d_model] -> [...]
    """a . b / (|a| |b|): 1 same direction, 0 perpendicular, -1 opposite. Broadcasts over leading axes.

    A zero vector has no direction; its similarity to anything is defined as 0 (not NaN).
    """
    norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    dots = np.sum(a * b, axis=-1)
    return np.where(norms > 0, dots / np.where(norms > 0, norms, 1), 0.0)


def nearest_neighbours(query, table, k=10, exclude=()):  # [d_model], [n_vocab, d_model] -> [k], [k]
    """The k rows of `table` most cosine-similar to `query`, best first: (indices, similarities).

    Ids in `exclude` are skipped (e.g. the query token itself). Ties go to the lower index.
    """
    sims = cosine_similarity(table, query)  # [n_vocab]
    candidates = np.setdiff1d(np.arange(len(table)), np.asarray(exclude, dtype=np.int64))
    order = candidates[np.argsort(-sims[candidates], kind="stable")][:k]
    return order, sims[order]


def analogy(table, a, b, c, k=5):  # ids -> [k], [k]
    """Analogy "a is to b as c is to ?": the nearest rows to table[b] - table[a] + table[c].

    a, b and c themselves are excluded, as in the original word2vec evaluation (Mikolov et al. 2013,
    arXiv:1301.3781), where king - man + woman ~ queen. subtle: that exclusion flatters the method:
    without it the nearest row is often one of the inputs (Linzen 2016, arXiv:1606.07736).
    """
    target = table[b] - table[a] + table[c]
    return nearest_neighbours(target, table, k=k, exclude=(a, b, c))


def pca(x, n_components=2):  # [n, d_model] -> [n, n_components], [n_components, d_model], [n_components]
    """Project rows onto their n_components directions of largest variance.

    Returns (projected, components, explained): projected = (x - mean) @ components.T; `explained` is the
    fraction of the total variance each direction keeps, so 1 - explained.sum() is what the picture
    loses. subtle: a direction's sign is arbitrary (v and -v are equally good); each is flipped so its
    largest-magnitude entry is positive, so every LAPACK (CPython's, Pyodide's) draws the same picture.
    """
    n, d_model = x.shape
    if not 1 <= n_components <= min(n, d_model):
        raise ValueError(
            f"n_components must be in [1, {min(n, d_model)}] for {n} rows of {d_model}, got {n_components}"
        )
    centered = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centered, full_matrices=False)  # rows of vt: directions, by variance
    components = vt[:n_components]
    signs = np.sign(components[np.arange(n_components), np.argmax(np.abs(components), axis=1)])
    components = components * np.where(signs == 0, 1, signs)[:, None]
    variance = s**2
    total = variance.sum()
    explained = variance[:n_components] / total if total > 0 else np.zeros(n_components)
    return centered @ components.T, components, explained


def mean_difference_direction(table, ids):  # [n_vocab, d_model], [k] int -> [d_model]
    """A feature as a direction: the mean row of the tokens `ids` minus the mean of every other row, unit length.

    Projecting the table on it (table @ direction, [n_vocab]) says how far each token lies along the feature;
    the "difference of means" probe (e.g. Marks & Tegmark 2023, arXiv:2310.06824, for true/false statements).
    """
    ids = np.asarray(ids, dtype=np.int64)
    inside = np.zeros(len(table), dtype=bool)
    inside[ids] = True
    if inside.all() or not inside.any():
        raise ValueError("need at least one token inside the group and one outside it")
    direction = table[inside].mean(axis=0) - table[~inside].mean(axis=0)
    return direction / np.linalg.norm(direction)
