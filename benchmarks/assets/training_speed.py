# In the page's worker and in CPython (training.py): training steps of the trainer widget's default model
# (d_model 48, 2 layers, 4 query heads sharing 2 key/value heads, context 32, 256 byte tokens, 8 windows a
# step) through llm_core.train.training_run, next to a plain numpy matmul of the same run (the floor).
# -> {step_s (each timed step), tokens, flops, matmul_gflops(_c, _f), matmul_shape}
import time
import numpy as np
from llm_core.model import ModelConfig, random_weights
from llm_core.train import TrainConfig, step_flops, training_run

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
out
