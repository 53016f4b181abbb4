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

>>> cfg = ModelConfig(n_vocab=16, n_ctx=8, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)
>>> logits, _ = forward(random_weights(cfg, seed=0), cfg, [1, 2, 3])
>>> logits.shape, logits.dtype
((3, 16), dtype('float32'))
"""

import io
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .attention import multi_head_attention
from .checkpoints import unpack_weights
from .data import read_bytes
from .ffn import swiglu
from .kv_cache import KVCache
from .norms import rms_norm
from .rope import rope_cos_sin, rope_frequencies
from .sampling import as_generator, check_sampling_params, sample, top_tokens
from .tokenizer import Encoding, load_tiktoken_bpe, without_surrogates


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
            raise ValueError(f"n_kv_head ({self.n_kv_head}) must divide n_head ({self.n_head}): "
                             "each key/value head serves a whole group of query heads")
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
        shapes.update({
            f"layers.{i}.attn_norm": (d,),
            f"layers.{i}.wq": (d, q), f"layers.{i}.wk": (d, kv), f"layers.{i}.wv": (d, kv),
            f"layers.{i}.wo": (q, d),
            f"layers.{i}.ffn_norm": (d,),
            f"layers.{i}.w_gate": (d, cfg.d_ff), f"layers.{i}.w_up": (d, cfg.d_ff),
            f"layers.{i}.w_down": (cfg.d_ff, d),
        })
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
    return {name: (np.ones(shape) if len(shape) == 1 else rng.normal(0.0, 0.02, shape)).astype(np.float32)
            for name, shape in weight_shapes(cfg).items()}


def unembed(x, weights):  # [n_seq, d_model] -> [n_seq, n_vocab]
    """Logits: the similarity of each normed vector with every token's output vector."""
    w_out = weights["lm_head"] if "lm_head" in weights else weights["tok_emb"].T  # [d_model, n_vocab]
    return x @ w_out


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
    feed-forward network}.
    """
    attn_out, attn_trace = multi_head_attention(
        rms_norm(x, w["attn_norm"], cfg.norm_eps), w["wq"], w["wk"], w["wv"], w["wo"],
        cfg.n_head, cfg.n_kv_head, positions=positions, kv_cache=cache, layer=layer, rope=rope)
    x = x + attn_out
    ffn_out, ffn_trace = swiglu(rms_norm(x, w["ffn_norm"], cfg.norm_eps), w["w_gate"], w["w_up"], w["w_down"])
    return x, x + ffn_out, {"attn": attn_trace, "ffn": ffn_trace}


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
    lens = [unembed(rms_norm(residual[2 * i + 2], weights["final_norm"], cfg.norm_eps), weights)
            for i in range(cfg.n_layer)] if lens else None
    return logits, {
        "ids": ids, "positions": positions,
        "embeddings": residual[0],
        "residual": residual,
        "residual_labels": ["embedding"] + [f"layer {i} {part}" for i in range(cfg.n_layer)
                                            for part in ("attention", "ffn")],
        "attention": np.stack([layer["attn"]["weights"] for layer in layers]),
        "ffn_hidden": np.stack([layer["ffn"]["hidden"] for layer in layers]),
        "logit_lens": np.stack(lens) if lens else None,
        "layers": layers,
    }


def truncate_prompt(prompt_ids, n_ctx, max_new_tokens):  # [n_prompt] -> [n_kept], note or None
    """Keep the last n_ctx - max_new_tokens prompt tokens, so prompt and reply fit the context.

    Cut from the left: the end of the prompt, right before the reply, matters most for what comes next.
    """
    keep = n_ctx - max_new_tokens
    if len(prompt_ids) <= keep:
        return list(prompt_ids), None
    note = (f"The prompt is {len(prompt_ids)} tokens, but the model reads at most {n_ctx} and "
            f"{max_new_tokens} are kept for new tokens: only the prompt's last {keep} tokens were used.")
    return list(prompt_ids[len(prompt_ids) - keep:]), note


def prompt_ids(model, prompt, max_new_tokens=1, max_chars=2_000):  # str -> [n_kept] ids, notes
    """A reader's prompt as the token ids the model will read, with notes (plain sentences) on what changed.

    Only the last `max_chars` characters are tokenized (the model reads at most n_ctx tokens anyway); an
    empty prompt becomes <|endoftext|>, the token that separated the training documents, so the model starts
    a new document; the ids are cut to leave room for `max_new_tokens`.
    """
    notes = []
    prompt = without_surrogates(prompt)
    if len(prompt) > max_chars:
        notes.append(f"The prompt is {len(prompt):,} characters: only its last {max_chars:,} were tokenized.")
        prompt = prompt[-max_chars:]
    ids = model.encoding.encode(prompt)
    if not ids and "<|endoftext|>" not in model.encoding.special_tokens:
        raise ValueError("the prompt is empty, and this model has no <|endoftext|> token to start a new "
                         "document from: type a prompt")
    if not ids:
        notes.append("The prompt is empty, so the model starts a new document: it reads only "
                     "<|endoftext|>, the token that separated the documents it was trained on.")
        ids = [model.encoding.special_tokens["<|endoftext|>"]]
    ids, note = truncate_prompt(ids, model.cfg.n_ctx, max_new_tokens)
    if note:
        notes.append(note)
    return ids, notes


def prefill(model, ids, prefix_cache=None):  # [n_prompt] -> KVCache holding them, logits [n_vocab]
    """Read the whole prompt in one pass, filling a fresh KV cache; the logits predict the next token.

    prefix_cache: a kv_cache.PrefixCache; a prompt found there skips the pass (same values, bit for bit),
    one not found is stored in it.
    """
    hit = prefix_cache.lookup(ids) if prefix_cache is not None else None
    if hit is not None:
        return hit
    cache = model.new_cache()
    logits, _ = forward(model.weights, model.cfg, ids, cache=cache, logits_to_keep=1)
    if prefix_cache is not None:
        prefix_cache.store(ids, cache, logits[-1])
    return cache, logits[-1]


def generate(model, prompt, max_new_tokens=32, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, seed=0,
             use_cache=True, prefix_cache=None):
    """Continue prompt (text or token ids) by max_new_tokens tokens, one sample() at a time.

    With use_cache the prompt is prefilled into a KVCache and each step feeds only the newest token;
    without, each step reruns forward over the whole sequence. Both give the same tokens (a test
    checks). prefix_cache (a kv_cache.PrefixCache, with use_cache) skips the prefill of a prompt read
    before. Returns a dict: prompt_ids (after truncation), new_ids, text (the new tokens decoded),
    note (why the prompt was truncated, else None) and steps, one per new token: token, piece (its
    text), prob (its probability after the filters), p_model (its probability at temperature 1, no
    filters), top_ids / top_probs (the 5 most likely tokens at temperature 1), u (the uniform draw; None
    when greedy), logits [n_vocab]; and cache, the KVCache after the last step (the prompt and every new
    token but the last, which no pass has read yet; None without use_cache).
    """
    cfg, enc = model.cfg, model.encoding
    check_sampling_params(temperature, top_k, top_p, min_p)
    if not (isinstance(max_new_tokens, int) and not isinstance(max_new_tokens, bool)
            and 0 <= max_new_tokens <= cfg.n_ctx - 1):
        raise ValueError(f"max_new_tokens must be an integer in [0, {cfg.n_ctx - 1}] (the context holds "
                         f"{cfg.n_ctx} tokens, one at least for the prompt), got {max_new_tokens!r}")
    if seed is not None and not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
        raise ValueError(f"seed must be an integer >= 0 (or None for a fresh random one), got {seed!r}")
    rng = as_generator(seed)

    if isinstance(prompt, str) and enc is None:
        raise ValueError("this model has no tokenizer: give the prompt as token ids")
    ids = enc.encode(prompt) if isinstance(prompt, str) else [int(i) for i in prompt]
    if not ids:  # nothing to continue from: start a new document, as after <|endoftext|> in training
        if enc is None or "<|endoftext|>" not in enc.special_tokens:
            raise ValueError("prompt must hold at least one token")
        ids = [enc.special_tokens["<|endoftext|>"]]
    ids, note = truncate_prompt(ids, cfg.n_ctx, max_new_tokens)
    prompt_ids, steps = list(ids), []
    cache, logits = prefill(model, ids, prefix_cache) if use_cache and max_new_tokens else (None, None)
    for _ in range(max_new_tokens):
        if logits is None:  # with the cache, feed only the newest token; without, the whole sequence
            logits, _ = forward(model.weights, cfg, ids[-1:] if use_cache else ids, cache=cache,
                                logits_to_keep=1)
            logits = logits[-1]  # [1, n_vocab] -> [n_vocab]: the prediction for the next position
        out = sample(logits, temperature, top_k, top_p, min_p, rng)
        token, softmax = out["token"], out["stages"]["softmax"]
        top = top_tokens(softmax, 5)
        steps.append({
            "token": token,
            "piece": enc.decode([token]) if enc is not None else None,
            "prob": float(out["probs"][token]),
            "p_model": float(softmax[token]),
            "top_ids": top.tolist(), "top_probs": softmax[top].tolist(),
            "u": out["u"], "logits": logits,
        })
        ids.append(token)
        logits = None
    new_ids = ids[len(prompt_ids):]
    return {"prompt_ids": prompt_ids, "new_ids": new_ids, "text": enc.decode(new_ids) if enc else None,
            "note": note, "steps": steps, "cache": cache}


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

    def generate(self, prompt, max_new_tokens=32, **sampling):
        return generate(self, prompt, max_new_tokens, **sampling)


def read_model_file(where, name):  # -> bytes
    """A model file: from the folder `where` if it exists on disk, else llm_core data file where/name."""
    folder = Path(where)
    return (folder / name).read_bytes() if folder.is_dir() else read_bytes(f"{where}/{name}")


def load_weights(data):  # .npz bytes -> {name: float32 array}
    """Read a weight file; quantized entries (see checkpoints.py) are dequantized to float32.

    The matrices that right-multiply activations (x @ w) are stored column-major: the values and every
    result are the same, but numpy without BLAS (as in Pyodide) multiplies about 5x faster when each
    output's column is contiguous in memory (benchmarks/RESULTS.md). The embedding table stays row-major:
    its rows are looked up, and its transpose (the tied unembedding) is column-major already.
    """
    with np.load(io.BytesIO(data)) as npz:
        weights = unpack_weights({name: npz[name] for name in npz.files})
    return {name: np.asfortranarray(w) if w.ndim == 2 and name != "tok_emb" else w
            for name, w in weights.items()}


def load_encoding(where):  # -> Encoding
    """The model's tokenizer: tokenizer.json (name, pattern, special tokens) + vocab.tiktoken."""
    spec = json.loads(read_model_file(where, "tokenizer.json"))
    ranks = load_tiktoken_bpe(read_model_file(where, spec["vocab_file"]))
    return Encoding(spec["name"], spec["pat_str"], ranks, spec["special_tokens"])


def load_model(where="models/tiny", weights_file="weights.npz"):  # -> Model
    """config.json + weights.npz + tokenizer files, from a folder or the llm_core data folder.

    weights_file may name a checkpoint instead, e.g. "checkpoints/step_000400.npz".
    """
    cfg = ModelConfig.from_json(read_model_file(where, "config.json"))
    return Model(cfg, load_weights(read_model_file(where, weights_file)), load_encoding(where))
