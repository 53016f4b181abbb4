"""The model: a small Llama-style decoder, assembled from the pieces of the earlier chapters.

ids -> token embeddings -> n_layer blocks -> final RMSNorm -> logits over the vocabulary. Each block
reads the residual stream through a pre-norm and adds its result back (Llama: Touvron et al. 2023,
arXiv:2302.13971, section 2.2):

    x = x + attention(rms_norm(x))    grouped-query attention with RoPE on queries and keys
    x = x + swiglu(rms_norm(x))       the feed-forward network

No biases anywhere; the output projection reuses the embedding table (tied embeddings, Press & Wolf
2017, arXiv:1608.05859). Weights are a dict keyed like the weight file (`weight_shapes` lists them),
laid out for x @ w. Everything runs in float32, as in training, and because float32 halves the work
for the browser's numpy.

forward() is one pure function for both phases of generation: prefill (the whole prompt at once,
filling a KVCache) and decode (one new token, attending to the cache). With trace=True it also returns
what the widgets draw: embeddings, the residual stream after every sub-layer, every head's attention
weights, the FFN activations and the logit lens (nostalgebraist 2020, "interpreting GPT: the logit
lens"): each layer's residual stream read out through the final norm and the unembedding.

Training it: transformer_block_backward and unembed_backward here, each layer's backward next to its
forward (norms, rope, attention, ffn, embeddings, loss), composed by train.py. Generating text with it is
generation.py; reading a model's files, model_files.py. ablate_heads switches attention heads off and
ablation_effect says how the predictions change without them (chapter 6: a head is not a clean module).

>>> cfg = ModelConfig(n_vocab=16, n_ctx=8, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)
>>> logits, _ = forward(random_weights(cfg, seed=0), cfg, [1, 2, 3])
>>> logits.shape, logits.dtype
((3, 16), dtype('float32'))
"""

import json
import math
from dataclasses import asdict, dataclass

import numpy as np

from .activations import softmax
from .attention import multi_head_attention, multi_head_attention_backward
from .ffn import swiglu, swiglu_backward, weight_gradient
from .kv_cache import KVCache
from .norms import rms_norm, rms_norm_backward
from .rope import rope_cos_sin, rope_frequencies


@dataclass(frozen=True)
class ModelConfig:
    """The shape of the model; the defaults are Glassbox's tiny model (models/tiny/config.json)."""

    n_vocab: int = 4096  # tokens in the vocabulary: rows of the embedding table
    n_ctx: int = 256  # longest sequence the model reads (prompt + generated tokens)
    d_model: int = 128  # width of the residual stream
    n_layer: int = 6  # transformer blocks
    n_head: int = 4  # query heads per attention layer
    n_kv_head: int = 2  # key/value heads; n_head // n_kv_head query heads share each one (GQA)
    d_head: int = 32  # width of one head (even: RoPE rotates pairs)
    d_ff: int = 384  # hidden units of the SwiGLU feed-forward network
    rope_base: float = 10000.0  # RoPE base frequency (Llama 2's rope_theta)
    norm_eps: float = 1e-5  # added to the mean square in RMSNorm (Llama's rms_norm_eps)
    tied_embeddings: bool = True  # the output projection is the embedding table, transposed

    def __post_init__(self):
        for name in ("n_vocab", "n_ctx", "d_model", "n_layer", "n_head", "n_kv_head", "d_head", "d_ff"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.n_head % self.n_kv_head:
            raise ValueError(
                f"n_kv_head ({self.n_kv_head}) must divide n_head ({self.n_head}): "
                "each key/value head serves a whole group of query heads"
            )
        if self.d_head % 2:
            raise ValueError(f"d_head must be even (RoPE rotates pairs of coordinates), got {self.d_head}")
        if not (self.rope_base > 1 and self.norm_eps > 0):
            raise ValueError(f"need rope_base > 1 and norm_eps > 0, got {self.rope_base}, {self.norm_eps}")

    @classmethod
    def from_json(cls, text):  # str -> ModelConfig
        return cls(**json.loads(text))

    def to_json(self):  # -> str
        return json.dumps(asdict(self), indent=2) + "\n"


def weight_shapes(cfg):  # -> {name: shape}, in the weight file's order
    """Every weight's name and shape: "tok_emb", then "layers.{i}.{attn_norm,wq,...}", "final_norm"."""
    d, q, kv = cfg.d_model, cfg.n_head * cfg.d_head, cfg.n_kv_head * cfg.d_head
    shapes = {"tok_emb": (cfg.n_vocab, d)}
    for i in range(cfg.n_layer):
        shapes.update(
            {
                f"layers.{i}.attn_norm": (d,),
                f"layers.{i}.wq": (d, q),
                f"layers.{i}.wk": (d, kv),
                f"layers.{i}.wv": (d, kv),
                f"layers.{i}.wo": (q, d),
                f"layers.{i}.ffn_norm": (d,),
                f"layers.{i}.w_gate": (d, cfg.d_ff),
                f"layers.{i}.w_up": (d, cfg.d_ff),
                f"layers.{i}.w_down": (cfg.d_ff, d),
            }
        )
    shapes["final_norm"] = (d,)
    if not cfg.tied_embeddings:
        shapes["lm_head"] = (d, cfg.n_vocab)
    return shapes


def n_params(cfg):  # -> int
    """Number of parameters (a tied output projection is not counted twice)."""
    return sum(math.prod(shape) for shape in weight_shapes(cfg).values())


def check_weights(weights, cfg):
    """Raise a ValueError naming the first weight that is missing or has the wrong shape."""
    for name, shape in weight_shapes(cfg).items():
        if name not in weights:
            raise ValueError(f"weight {name!r} is missing")
        if tuple(weights[name].shape) != shape:
            raise ValueError(f"weight {name!r} has shape {tuple(weights[name].shape)}, expected {shape}")


def random_weights(cfg, seed=0):  # -> {name: float32 array}
    """An untrained model: norm gains 1, matrices normal with std 0.02 (GPT-2's initialisation)."""
    rng = np.random.default_rng(seed)
    return {
        name: (np.ones(shape) if len(shape) == 1 else rng.normal(0.0, 0.02, shape)).astype(np.float32)
        for name, shape in weight_shapes(cfg).items()
    }


def unembed(x, weights):  # [n_seq, d_model] -> [n_seq, n_vocab]
    """Logits: the similarity of each normed vector with every token's output vector."""
    w_out = weights["lm_head"] if "lm_head" in weights else weights["tok_emb"].T  # [d_model, n_vocab]
    return x @ w_out


def unembed_backward(d_logits, x, weights):  # [..., n_vocab], [..., d_model] -> [..., d_model], {name: grad}
    """The gradients of unembed: d_x = d_logits w_out^T, and the output matrix's x^T d_logits (summed over
    every position), under its own name: "tok_emb" [n_vocab, d_model] when tied (the table is w_out
    transposed; train.py adds it to the embedding lookup's gradient), else "lm_head" [d_model, n_vocab]."""
    if "lm_head" in weights:
        return d_logits @ weights["lm_head"].T, {"lm_head": weight_gradient(x, d_logits)}
    return d_logits @ weights["tok_emb"], {"tok_emb": weight_gradient(d_logits, x)}


BLOCK_WEIGHTS = ("attn_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w_gate", "w_up", "w_down")


def transformer_block(x, w, cfg, positions, rope, cache=None, layer=0):
    """One decoder block: attention, then the feed-forward network, each read through a pre-norm and added
    back to the residual stream.

    [n_seq, d_model] -> [n_seq, d_model] (after attention), [n_seq, d_model] (after the block), trace

    w: the block's weights, named as in BLOCK_WEIGHTS (attn_norm [d_model]; wq [d_model, n_head d_head];
    wk, wv [d_model, n_kv_head d_head]; wo [n_head d_head, d_model]; ffn_norm [d_model]; w_gate, w_up
    [d_model, d_ff]; w_down [d_ff, d_model]). positions [n_seq] and rope (cos, sin [n_seq, d_head]) are
    the tokens' places in the sequence; cache, a KVCache whose `layer` slot this block extends (None:
    the sequence is all there is). trace: {"attn": every intermediate of the attention, "ffn": of the
    feed-forward network}. Without a cache, x may be a batch [..., n_seq, d_model] (training's: each
    sequence attends within itself); the results and the trace's arrays then have its leading axes.
    """
    attn_out, attn_trace = multi_head_attention(
        rms_norm(x, w["attn_norm"], cfg.norm_eps),
        w["wq"],
        w["wk"],
        w["wv"],
        w["wo"],
        cfg.n_head,
        cfg.n_kv_head,
        positions=positions,
        kv_cache=cache,
        layer=layer,
        rope=rope,
    )
    x = x + attn_out
    ffn_out, ffn_trace = swiglu(rms_norm(x, w["ffn_norm"], cfg.norm_eps), w["w_gate"], w["w_up"], w["w_down"])
    return x, x + ffn_out, {"attn": attn_trace, "ffn": ffn_trace}


def transformer_block_backward(d_out, x, mid, w, cfg, rope, trace):
    """The gradients of transformer_block (no KV cache), given d_out = dL/d(the block's output).

    d_out, x (the block's input), mid (the stream after attention, the forward's first result)
    [..., n_seq, d_model]; w, cfg, rope as in the forward; trace: the forward's trace, its arrays with the
    same leading axes as x (a batch: its sequences' traces stacked) -> d_x [..., n_seq, d_model],
    {name in BLOCK_WEIGHTS: gradient, summed over every position}.

    Each residual add passes the gradient through unchanged and adds the sub-layer's: going back,
    d_mid = d_out + (the FFN's gradient with respect to mid, through its norm), then
    d_x = d_mid + (attention's, through its norm). The normed inputs of the two sub-layers are recomputed
    from x and mid (one norm each) rather than kept.
    """
    eps = cfg.norm_eps
    d_normed, d_gate, d_up, d_down = swiglu_backward(
        d_out, rms_norm(mid, w["ffn_norm"], eps), w["w_gate"], w["w_up"], w["w_down"], trace["ffn"]
    )
    d_mid, d_ffn_norm = rms_norm_backward(d_normed, mid, w["ffn_norm"], eps)
    d_mid = d_mid + d_out
    d_normed, d_q, d_k, d_v, d_o = multi_head_attention_backward(
        d_mid, rms_norm(x, w["attn_norm"], eps), w["wq"], w["wk"], w["wv"], w["wo"], trace["attn"], rope
    )
    d_x, d_attn_norm = rms_norm_backward(d_normed, x, w["attn_norm"], eps)
    grads = (d_attn_norm, d_q, d_k, d_v, d_o, d_ffn_norm, d_gate, d_up, d_down)
    return d_x + d_mid, dict(zip(BLOCK_WEIGHTS, grads))


def forward(weights, cfg, ids, cache=None, trace=False, lens=True, logits_to_keep=0):
    """Logits for every position of ids; the next token's logits are the last row.

    [n_seq] int -> [n_seq, n_vocab] (or [logits_to_keep, n_vocab]), trace

    cache: a KVCache holding the positions before ids (decode), or an empty one (prefill); it is
    extended by ids. Without one, ids are the whole sequence. Returns (logits, trace or None).
    trace: ids, positions; embeddings [n_seq, d_model]; residual [2 n_layer + 1, n_seq, d_model], the
    stream after the embedding and after each sub-layer, named in residual_labels; attention
    [n_layer, n_head, n_seq, n_k]; ffn_hidden [n_layer, n_seq, d_ff]; logit_lens
    [n_layer, n_seq, n_vocab] (its last entry is the logits); layers, each layer's attention and ffn
    traces (q, k, v, scores, gate, up, ...). lens=False leaves logit_lens out (None): it costs n_layer more
    unembeddings, more than the rest of the pass on short prompts.
    logits_to_keep: 0 unembeds every position; n > 0 only the last n (as in transformers'
    `logits_to_keep`): generation reads only the last row, and the unembedding of a long prompt's every
    position is about a third of its prefill.
    """
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    n_past = 0 if cache is None else cache.n_seq
    if len(ids) == 0:
        raise ValueError("ids must hold at least one token")
    if ids.min() < 0 or ids.max() >= cfg.n_vocab:
        raise ValueError(f"token ids must be in [0, {cfg.n_vocab}), got {ids.min()}..{ids.max()}")
    if n_past + len(ids) > cfg.n_ctx:
        raise ValueError(f"{n_past} cached + {len(ids)} new positions exceed the context n_ctx = {cfg.n_ctx}")
    positions = np.arange(n_past, n_past + len(ids))
    freqs = rope_frequencies(cfg.d_head, cfg.rope_base)

    x = weights["tok_emb"][ids]  # [n_seq] -> [n_seq, d_model]
    rope = rope_cos_sin(positions, freqs, x.dtype)  # [n_seq, d_head] x 2, the same in every layer
    residual, layers = [x], []
    for i in range(cfg.n_layer):
        w = {name: weights[f"layers.{i}.{name}"] for name in BLOCK_WEIGHTS}
        mid, x, layer = transformer_block(x, w, cfg, positions, rope, cache, i)
        residual += [mid, x]
        layers.append(layer)
    kept = x[-logits_to_keep:] if logits_to_keep > 0 else x  # [n_seq, d_model] -> [n_kept, d_model]
    logits = unembed(rms_norm(kept, weights["final_norm"], cfg.norm_eps), weights)
    if not trace:
        return logits, None

    residual = np.stack(residual)  # (2 n_layer + 1) x [n_seq, d_model] -> [2 n_layer + 1, n_seq, d_model]
    # the logit lens reads each layer's output as if it were the last layer's
    lens = (
        [
            unembed(rms_norm(residual[2 * i + 2], weights["final_norm"], cfg.norm_eps), weights)
            for i in range(cfg.n_layer)
        ]
        if lens
        else None
    )
    return logits, {
        "ids": ids,
        "positions": positions,
        "embeddings": residual[0],
        "residual": residual,
        "residual_labels": ["embedding"]
        + [f"layer {i} {part}" for i in range(cfg.n_layer) for part in ("attention", "ffn")],
        "attention": np.stack([layer["attn"]["weights"] for layer in layers]),
        "ffn_hidden": np.stack([layer["ffn"]["hidden"] for layer in layers]),
        "logit_lens": np.stack(lens) if lens else None,
        "layers": layers,
    }


def ablate_heads(weights, cfg, heads):  # {name: array}, cfg, [(layer, head)] -> {name: array}
    """The weights with the named attention heads switched off: their output is zeroed before w_o adds it in.

    A head's output reaches the residual stream only through its d_head rows of w_o ([n_head d_head, d_model]:
    head h owns rows h d_head to (h + 1) d_head), so zeroing those rows removes exactly that head's term, the
    "zero ablation" of interpretability work (e.g. Michel et al. 2019, arXiv:1905.10650, which switches heads
    off by a mask on their output). The input weights are not changed: the touched w_o are copies.
    """
    out = dict(weights)
    for layer, head in heads:
        if not (0 <= layer < cfg.n_layer and 0 <= head < cfg.n_head):
            raise ValueError(f"no head {head} in layer {layer}: the model has {cfg.n_layer} x {cfg.n_head}")
        name = f"layers.{layer}.wo"
        if out[name] is weights[name]:
            out[name] = weights[name].copy()
        out[name][head * cfg.d_head : (head + 1) * cfg.d_head] = 0  # [d_head, d_model] rows of this head
    return out


def ablation_effect(weights, cfg, ids, heads):  # [n_seq] -> [n_seq, n_vocab], [n_seq, n_vocab], [n_seq]
    """What switching heads off does to the next-token predictions at every position of ids.

    Returns p and p_off, the model's distributions (float64) with all heads and with `heads` ablated
    (ablate_heads), and their total variation distance at each position: half the summed absolute
    difference, the share of probability that moved (0: the same prediction, 1: nothing in common).
    """
    p = softmax(forward(weights, cfg, ids)[0].astype(np.float64), axis=-1)
    p_off = softmax(forward(ablate_heads(weights, cfg, heads), cfg, ids)[0].astype(np.float64), axis=-1)
    return p, p_off, 0.5 * np.abs(p - p_off).sum(axis=-1)


class Model:
    """A loaded model: config, weights and the tokenizer its vocabulary comes from."""

    def __init__(self, cfg, weights, encoding=None, name="Glassbox's tiny model"):
        check_weights(weights, cfg)
        if encoding is not None and encoding.n_vocab != cfg.n_vocab:
            raise ValueError(f"the tokenizer has {encoding.n_vocab} token ids, the model n_vocab = {cfg.n_vocab}")
        self.cfg, self.weights, self.encoding, self.name = cfg, weights, encoding, name

    def __repr__(self):
        return f"<Model {self.name}: {n_params(self.cfg):,} parameters, {self.cfg.n_layer} layers>"

    def forward(self, ids, cache=None, trace=False, lens=True, logits_to_keep=0):  # [n_seq] -> [n_seq, n_vocab], trace
        return forward(self.weights, self.cfg, ids, cache, trace, lens, logits_to_keep)

    def new_cache(self):
        return KVCache(self.cfg.n_layer, self.cfg.n_kv_head, self.cfg.d_head, self.cfg.n_ctx)

    def generate(self, prompt, max_new_tokens=32, **sampling):  # -> generation.generate's dict
        from .generation import generate  # here, not at the top: generation imports this module

        return generate(self, prompt, max_new_tokens, **sampling)
