# Run once in the page's worker after SmolLM2 is loaded (smollm2.py); later calls use these names. Every
# time is time.perf_counter() in the worker, around the measured work only.
import time
import numpy as np
from llm_core import model as M
from llm_core.generation import generate, prefill
from llm_core.models import get_model
from llm_core.sampling import sample, top_tokens

SM = get_model("smollm2")
SM_CFG, SM_W = SM.cfg, SM.weights
SM_LAYER = ("wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down")
# numpy's reference rates on SmolLM2's FFN shape, weights as llm_core keeps them: [d_in, d_out], each column
# contiguous (np.asfortranarray); measured right after each decode or prefill run, so each budget compares
# two measurements made under the same load
_rng = np.random.default_rng(0)
SM_X = _rng.standard_normal((1, SM_CFG.d_model), dtype=np.float32)
SM_XS = _rng.standard_normal((64, SM_CFG.d_model), dtype=np.float32)
SM_WF = np.asfortranarray(_rng.standard_normal((SM_CFG.d_model, SM_CFG.d_ff), dtype=np.float32))


def sm_median(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def sm_decode(prompt, n_new):
    # greedy: the prompt's prefill (not timed), then n_new decode steps, each one forward pass of the
    # newest token against the KV cache and an argmax; the loop alone is timed; then the matrix-vector rate
    cache, logits = prefill(SM, prompt)
    token = int(np.argmax(logits))
    ids = [token]
    t = time.perf_counter()
    for _ in range(n_new):
        logits, _ = M.forward(SM_W, SM_CFG, [token], cache=cache, logits_to_keep=1)
        token = int(np.argmax(logits[-1]))
        ids.append(token)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "ids": ids, "matvec": sm_median(lambda: SM_X @ SM_WF, 31)}


def sm_prefill(prompt):
    t = time.perf_counter()
    prefill(SM, prompt)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "matmul": sm_median(lambda: SM_XS @ SM_WF, 3)}


def sm_generate(prompt, n_new):
    # the widgets' path: llm_core.generation.generate (sampler, top-5, decoded piece per token), prefill taken out
    total = sm_median(lambda: generate(SM, prompt, n_new, temperature=0), 1)
    return total - sm_prefill(prompt)["seconds"]


def sm_rates():
    # the same products in the two other layouts, beside llm_core's
    w_rows = np.ascontiguousarray(SM_WF)
    w_out_in = np.ascontiguousarray(SM_WF.T)  # [d_out, d_in], rows contiguous: y = w_out_in @ x
    return {
        "matvec": sm_median(lambda: SM_X @ SM_WF, 31),
        "matvec_rowmajor": sm_median(lambda: SM_X @ w_rows, 31),
        "matvec_out_in": sm_median(lambda: w_out_in @ SM_X[0], 31),
        "matmul": sm_median(lambda: SM_XS @ SM_WF, 5),
        "matmul_rowmajor": sm_median(lambda: SM_XS @ w_rows, 5),
        "shape": list(SM_WF.shape),
    }


def sm_layer_matvecs(weights, layers, fused=False, out_in=False):
    # one decode step's weight products for these layers, nothing else (vectors of the right widths)
    d, q = SM_CFG.d_model, SM_CFG.n_head * SM_CFG.d_head
    x, h, z = (
        np.full((1, d), 0.01, np.float32),
        np.full((1, q), 0.01, np.float32),
        np.full((1, SM_CFG.d_ff), 0.01, np.float32),
    )
    t = time.perf_counter()
    for i in layers:
        if fused:
            x @ weights[f"{i}.wqkv"]
            h @ weights[f"{i}.wo"]
            x @ weights[f"{i}.w_gate_up"]
            z @ weights[f"{i}.w_down"]
        elif out_in:
            for name in SM_LAYER:
                weights[f"{i}.{name}"] @ (h[0] if name == "wo" else z[0] if name == "w_down" else x[0])
        else:
            for name in SM_LAYER:
                (h if name == "wo" else z if name == "w_down" else x) @ weights[f"layers.{i}.{name}"]
    return time.perf_counter() - t


def sm_variants(n_layers):
    # the same products for the first n_layers layers in two other layouts, copied for the test and freed;
    # the three are timed in turn, three rounds, medians
    layers = range(n_layers)
    fused, out_in = {}, {}
    for i in layers:
        g = lambda name: SM_W[f"layers.{i}.{name}"]  # noqa: E731
        fused[f"{i}.wqkv"] = np.asfortranarray(np.concatenate([g("wq"), g("wk"), g("wv")], axis=1))
        fused[f"{i}.w_gate_up"] = np.asfortranarray(np.concatenate([g("w_gate"), g("w_up")], axis=1))
        fused[f"{i}.wo"], fused[f"{i}.w_down"] = g("wo"), g("w_down")
        for name in SM_LAYER:
            out_in[f"{i}.{name}"] = np.ascontiguousarray(g(name).T)
    times = {"now": [], "fused": [], "out_in": []}
    for _ in range(3):
        times["now"].append(sm_layer_matvecs(SM_W, layers))
        times["fused"].append(sm_layer_matvecs(fused, layers, fused=True))
        times["out_in"].append(sm_layer_matvecs(out_in, layers, out_in=True))
    del fused, out_in
    return {"layers": n_layers, **{k: sorted(v)[1] for k, v in times.items()}}


def sm_profile(prompt, n_steps):
    # decode steps with llm_core.model's parts wrapped in timers (restored after); after each step, the
    # same weight products alone (every matrix of the model once, vectors of the right widths: a step's
    # products streamed from memory); per-step medians
    parts = {"multi_head_attention": "attention", "swiglu": "ffn", "rms_norm": "norms", "unembed": "unembedding"}
    originals = {name: getattr(M, name) for name in parts}
    spent = {}

    def timed(fn, key):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - t

        return wrapper

    d, q, f = SM_CFG.d_model, SM_CFG.n_head * SM_CFG.d_head, SM_CFG.d_ff
    x, h, z = np.full((1, d), 0.01, np.float32), np.full((1, q), 0.01, np.float32), np.full((1, f), 0.01, np.float32)
    W = lambda i, name: SM_W[f"layers.{i}.{name}"]  # noqa: E731
    cache, logits = prefill(SM, prompt)
    token = int(np.argmax(logits))
    steps = []
    try:
        for name, key in parts.items():
            setattr(M, name, timed(originals[name], key))
        for _ in range(n_steps):
            spent.update({key: 0.0 for key in parts.values()})
            t = time.perf_counter()
            logits, _ = M.forward(SM_W, SM_CFG, [token], cache=cache, logits_to_keep=1)
            t2 = time.perf_counter()
            token = int(np.argmax(logits[-1]))
            row = dict(spent, total=t2 - t, argmax=time.perf_counter() - t2)
            t = time.perf_counter()
            for i in range(SM_CFG.n_layer):
                x @ W(i, "wq")
                x @ W(i, "wk")
                x @ W(i, "wv")
                h @ W(i, "wo")
            t2 = time.perf_counter()
            for i in range(SM_CFG.n_layer):
                x @ W(i, "w_gate")
                x @ W(i, "w_up")
                z @ W(i, "w_down")
            t3 = time.perf_counter()
            originals["unembed"](x, SM_W)
            row.update(attention_matvecs=t2 - t, ffn_matvecs=t3 - t2, unembed_matvec=time.perf_counter() - t3)
            steps.append(row)
    finally:
        for name, fn in originals.items():
            setattr(M, name, fn)
    for s in steps:  # the step less its products, paired step by step (a load spike hits one pair, not the median)
        s["rest"] = s["total"] - s["attention_matvecs"] - s["ffn_matvecs"] - s["unembed_matvec"]
    out = {k: sorted(s[k] for s in steps)[len(steps) // 2] for k in steps[0]}
    rng = np.random.default_rng(0)
    out["sampler"] = sm_median(lambda: top_tokens(sample(logits[-1], 0.0, 0, 1.0, 0.0, rng)["stages"]["softmax"], 5), 5)
    return out
