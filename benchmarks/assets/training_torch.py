# In .venv-train (training.py): the same training step as training_speed.py in PyTorch, on the CPU, with
# scripts/train.py's TinyLlama (the model that mirrors llm_core's), AdamW and clipping. Prints JSON
# {step_s: [seconds of each timed step], torch: version}.
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(sys.argv[1]) / "scripts"))
from llm_core.model import ModelConfig  # noqa: E402
from train import TinyLlama  # noqa: E402

torch.set_num_threads(1)
cfg = ModelConfig(n_vocab=256, n_ctx=32, d_model=48, n_layer=2, n_head=4, n_kv_head=2, d_head=12, d_ff=144)
model = TinyLlama(cfg)
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.1)
tokens = torch.from_numpy(np.random.default_rng(0).integers(0, 256, 8000))
gen = np.random.default_rng(0)


def step():
    starts = torch.from_numpy(gen.integers(0, len(tokens) - 33, 8))
    windows = tokens[starts[:, None] + torch.arange(33)]
    logits = model(windows[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, 256), windows[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


step()
times = []
for _ in range(12):
    t = time.perf_counter()
    step()
    times.append(time.perf_counter() - t)
print(json.dumps({"step_s": times, "torch": torch.__version__}))
