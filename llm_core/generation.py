"""Generation: a model continues a prompt one token at a time (chapters 0, 9 and 10).

prefill reads the whole prompt in one forward pass, filling a KV cache; generate then repeats: the last
position's logits -> sampling.sample -> append the token -> feed only that token (attending to the
cache). Without the cache each step reruns the whole sequence; both give the same tokens.

>>> from llm_core.model import Model, ModelConfig, random_weights
>>> cfg = ModelConfig(n_vocab=16, n_ctx=8, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)
>>> model = Model(cfg, random_weights(cfg, seed=0))
>>> out = generate(model, [1, 2, 3], max_new_tokens=4, temperature=0)
>>> len(out["new_ids"]), out["new_ids"] == generate(model, [1, 2, 3], 4, temperature=0, use_cache=False)["new_ids"]
(4, True)
"""

from .model import forward
from .sampling import as_generator, check_sampling_params, sample, top_tokens


def truncate_prompt(prompt_ids, n_ctx, max_new_tokens):  # [n_prompt] -> [n_kept], n_dropped
    """Keep the last n_ctx - max_new_tokens prompt tokens, so prompt and reply fit the context.

    Cut from the left: the end of the prompt, right before the reply, matters most for what comes next.
    Returns the kept ids and how many were dropped (0: the prompt fits).
    """
    keep = n_ctx - max_new_tokens
    if len(prompt_ids) <= keep:
        return list(prompt_ids), 0
    return list(prompt_ids[len(prompt_ids) - keep :]), len(prompt_ids) - keep


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


def generate(
    model,
    prompt,
    max_new_tokens=32,
    temperature=1.0,
    top_k=0,
    top_p=1.0,
    min_p=0.0,
    seed=0,
    use_cache=True,
    prefix_cache=None,
):
    """Continue prompt (text or token ids) by max_new_tokens tokens, one sample() at a time.

    With use_cache the prompt is prefilled into a KVCache and each step feeds only the newest token;
    without, each step reruns forward over the whole sequence. Both give the same tokens (a test
    checks). prefix_cache (a kv_cache.PrefixCache, with use_cache) skips the prefill of a prompt read
    before. Returns a dict: prompt_ids (after truncation), new_ids, text (the new tokens decoded),
    n_dropped (prompt tokens cut from the left so prompt and reply fit the context; 0 if none) and steps, one per new token: token, piece (its
    text), prob (its probability after the filters), p_model (its probability at temperature 1, no
    filters), top_ids / top_probs (the 5 most likely tokens at temperature 1), u (the uniform draw; None
    when greedy), logits [n_vocab]; and cache, the KVCache after the last step (the prompt and every new
    token but the last, which no pass has read yet; None without use_cache).
    """
    cfg, enc = model.cfg, model.encoding
    check_sampling_params(temperature, top_k, top_p, min_p)
    if not (
        isinstance(max_new_tokens, int)
        and not isinstance(max_new_tokens, bool)
        and 0 <= max_new_tokens <= cfg.n_ctx - 1
    ):
        raise ValueError(
            f"max_new_tokens must be an integer in [0, {cfg.n_ctx - 1}] (the context holds "
            f"{cfg.n_ctx} tokens, one at least for the prompt), got {max_new_tokens!r}"
        )
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
    ids, n_dropped = truncate_prompt(ids, cfg.n_ctx, max_new_tokens)
    prompt_ids, steps = list(ids), []
    cache, logits = prefill(model, ids, prefix_cache) if use_cache and max_new_tokens else (None, None)
    for _ in range(max_new_tokens):
        if logits is None:  # with the cache, feed only the newest token; without, the whole sequence
            logits, _ = forward(model.weights, cfg, ids[-1:] if use_cache else ids, cache=cache, logits_to_keep=1)
            logits = logits[-1]  # [1, n_vocab] -> [n_vocab]: the prediction for the next position
        out = sample(logits, temperature, top_k, top_p, min_p, rng)
        token, softmax = out["token"], out["stages"]["softmax"]
        top = top_tokens(softmax, 5)
        steps.append(
            {
                "token": token,
                "piece": enc.decode([token]) if enc is not None else None,
                "prob": float(out["probs"][token]),
                "p_model": float(softmax[token]),
                "top_ids": top.tolist(),
                "top_probs": softmax[top].tolist(),
                "u": out["u"],
                "logits": logits,
            }
        )
        ids.append(token)
        logits = None
    new_ids = ids[len(prompt_ids) :]
    return {
        "prompt_ids": prompt_ids,
        "new_ids": new_ids,
        "text": enc.decode(new_ids) if enc else None,
        "n_dropped": n_dropped,
        "steps": steps,
        "cache": cache,
    }
