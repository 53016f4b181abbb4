# In the page's worker (tiny_model.py): the tiny model's prefill of 128 tokens next to a plain numpy matmul,
# and decode with and without the KV cache at 64 and 256 tokens of context; best of several runs.
# -> {prefill_128_s, prefill_gflops, matmul_gflops(_c, _f), matmul_shape, decode_64, decode_256}
import time
import numpy as np
from llm_core.model import forward
from llm_core.model_files import load_model
from llm_core.generation import prefill

tiny = load_model("models/tiny")
cfg, w = tiny.cfg, tiny.weights
rng = np.random.default_rng(0)


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def prefill_flops(n):
    # 2 flops per multiply-add: every weight matrix once per token, the tied unembedding, attention
    per_layer = cfg.d_model * (cfg.n_head + 2 * cfg.n_kv_head) * cfg.d_head + cfg.n_head * cfg.d_head * cfg.d_model
    per_layer += 3 * cfg.d_model * cfg.d_ff
    attn = 2 * cfg.n_head * cfg.d_head * n * n  # scores and weighted sum of values
    return 2 * n * (cfg.n_layer * per_layer + cfg.d_model * cfg.n_vocab) + 2 * cfg.n_layer * attn


out = {}
ids = rng.integers(0, cfg.n_vocab, 256).tolist()
forward(w, cfg, ids[:16])  # warm up
secs = best(lambda: forward(w, cfg, ids[:128]), 5)
out["prefill_128_s"] = secs
out["prefill_gflops"] = prefill_flops(128) / secs / 1e9
a = rng.standard_normal((128, cfg.d_model), dtype=np.float32)
b = rng.standard_normal((cfg.d_model, cfg.n_vocab), dtype=np.float32)
bt = np.ascontiguousarray(b.T)
# subtle: Pyodide's numpy has no BLAS; its fallback loop is fast when the right operand's columns are
# contiguous (b = bt.T) and slow otherwise. The floor is the better of the two layouts.
flops = 2 * 128 * cfg.d_model * cfg.n_vocab
out["matmul_gflops_c"] = flops / best(lambda: a @ b, 10) / 1e9
out["matmul_gflops_f"] = flops / best(lambda: a @ bt.T, 10) / 1e9
out["matmul_gflops"] = max(out["matmul_gflops_c"], out["matmul_gflops_f"])
out["matmul_shape"] = [128, cfg.d_model, cfg.n_vocab]
for n_ctx in (64, 256):
    n_new = 16
    prompt = ids[: n_ctx - n_new]
    cached = best(lambda: tiny.generate(prompt, n_new, temperature=0, use_cache=True), 2)
    uncached = best(lambda: tiny.generate(prompt, n_new, temperature=0, use_cache=False), 1)
    # the prefill (the prompt's pass, next-token logits only) is common to both; time it alone and take
    # it out, to compare the decode steps
    pre = best(lambda: prefill(tiny, prompt), 2)
    out[f"decode_{n_ctx}"] = {
        "cached_tok_s": n_new / max(cached - pre, 1e-9),
        "uncached_tok_s": n_new / max(uncached - pre, 1e-9),
    }
out
