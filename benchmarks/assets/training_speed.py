# In the page's worker and in CPython (training.py): training steps of the trainer widget's default model
# (d_model 48, 2 layers, 4 query heads sharing 2 key/value heads, context 32, 256 byte tokens, 8 windows a
# step) through llm_core.train.training_run, next to a plain numpy matmul of the same run (the floor);
# then where a step's time goes (its parts, and matmuls at the step's own shapes).
# -> {step_s (each timed step), tokens, flops, matmul_gflops(_c, _f), matmul_shape, parts_s, shapes_gflops}
import time
import numpy as np
from llm_core.model import ModelConfig, random_weights
from llm_core.train import (
    TrainConfig,
    adamw_step,
    clip_by_global_norm,
    forward_for_backward,
    loss_and_grads,
    random_batch,
    step_flops,
    training_run,
)

cfg = ModelConfig(n_vocab=256, n_ctx=32, d_model=48, n_layer=2, n_head=4, n_kv_head=2, d_head=12, d_ff=144)
N_BATCH, N_STEPS = 8, 12
tokens = np.random.default_rng(0).integers(0, 256, 8000)
run = training_run(
    random_weights(cfg),
    cfg,
    tokens,
    TrainConfig(steps=N_STEPS + 2, lr=3e-3, warmup=1),
    N_BATCH,
    np.random.default_rng(0),
)
next(run)  # warm up
step_s = []
for _ in range(N_STEPS):
    t = time.perf_counter()
    next(run)
    step_s.append(time.perf_counter() - t)


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


# The floor: the step's biggest product, the batch's 256 positions through the unembedding [48, 256].
rng = np.random.default_rng(1)
a = rng.standard_normal((N_BATCH * cfg.n_ctx, cfg.d_model), dtype=np.float32)
b = rng.standard_normal((cfg.d_model, cfg.n_vocab), dtype=np.float32)
bt = np.ascontiguousarray(b.T)
mm = 2 * a.shape[0] * cfg.d_model * cfg.n_vocab
out = {
    "step_s": step_s,
    "tokens": N_BATCH * cfg.n_ctx,
    "flops": step_flops(cfg, N_BATCH, cfg.n_ctx),
    "matmul_gflops_c": mm / best(lambda: a @ b, 20) / 1e9,
    "matmul_gflops_f": mm / best(lambda: a @ bt.T, 20) / 1e9,
    "matmul_shape": [a.shape[0], cfg.d_model, cfg.n_vocab],
}
out["matmul_gflops"] = max(out["matmul_gflops_c"], out["matmul_gflops_f"])

# Where the time goes: a step's parts on one batch, each its fastest of 5 (the backward is the whole
# loss_and_grads less its forward pass), and numpy matmuls at two of the step's own shapes: a projection
# of the batch's positions (x @ w_up) and a weight's gradient, summed over the positions (x^T d_up).
w = random_weights(cfg)
ids, targets = random_batch(tokens, cfg.n_ctx, N_BATCH, np.random.default_rng(2))
grads = loss_and_grads(w, cfg, ids, targets)[1]
hp = TrainConfig()
forward_s = best(lambda: forward_for_backward(w, cfg, ids), 5)
out["parts_s"] = {
    "forward": forward_s,
    "backward": best(lambda: loss_and_grads(w, cfg, ids, targets), 5) - forward_s,
    "optimizer": best(lambda: adamw_step(w, clip_by_global_norm(grads, hp.grad_clip)[0], {}, hp.lr, hp), 5),
}
n = N_BATCH * cfg.n_ctx
x, d_up, w_up = a, rng.standard_normal((n, cfg.d_ff), dtype=np.float32), w["layers.0.w_up"]
mm = 2 * n * cfg.d_model * cfg.d_ff
out["shapes_gflops"] = {
    f"{n}x{cfg.d_model}x{cfg.d_ff} (x @ w_up)": mm / best(lambda: x @ w_up, 20) / 1e9,
    f"{cfg.d_model}x{n}x{cfg.d_ff} (x^T d_up)": mm / best(lambda: x.T @ d_up, 20) / 1e9,
}
out
