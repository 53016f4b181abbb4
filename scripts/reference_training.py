"""Write tests/core/fixtures/training_reference.json: a 50-step training run of a small model in torch.

The reference for llm_core.train (tests/core/test_train.py replays the same run in numpy, step by step).
Everything here is torch's own: the model is scripts/train.py's TinyLlama (torch modules and ops, written
from the architecture, not from llm_core's backward code) with torch.autograd's gradients, the optimizer
torch.optim.AdamW (weight decay on the matrices only), the clipping torch.nn.utils.clip_grad_norm_, the
schedule scripts/train.py's lr_at. What both runs share is the start and the data, written into the
fixture: the initial weights are llm_core.model.random_weights(config, seed) (numpy, loaded into torch),
and the token stream and each step's window starts are drawn here and stored.

Usage (the training venv, as `make training-reference` makes it; about 10 seconds):
    .venv-train/bin/python scripts/reference_training.py            # --out FILE to write elsewhere
"""

import argparse
import json
import platform
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train  # noqa: E402  (scripts/train.py: TinyLlama, import_weights, lr_at)
from llm_core.model import ModelConfig, random_weights  # noqa: E402

OUT = ROOT / "tests" / "core" / "fixtures" / "training_reference.json"
SEED = 2024
CONFIG = ModelConfig(n_vocab=48, n_ctx=32, d_model=32, n_layer=2, n_head=4, n_kv_head=2, d_head=8, d_ff=64)
# llm_core.train.TrainConfig's fields: 50 steps, a learning rate high enough that the loss moves a lot
TRAIN = {
    "steps": 50,
    "lr": 1e-2,
    "warmup": 5,
    "min_lr_ratio": 0.1,
    "weight_decay": 0.1,
    "beta1": 0.9,
    "beta2": 0.95,
    "eps": 1e-8,
    "grad_clip": 1.0,
}
N_BATCH, N_SEQ, N_TOKENS = 4, 24, 600


def token_stream(rng):  # -> [N_TOKENS] ints: a Markov chain in which each token has 3 likely successors
    """Text with something to learn: from each token the next is one of three fixed successors 90% of the
    time (anything else otherwise), so the loss can fall well below log(n_vocab) within 50 steps."""
    successors = rng.integers(0, CONFIG.n_vocab, size=(CONFIG.n_vocab, 3))
    tokens = [int(rng.integers(CONFIG.n_vocab))]
    for _ in range(N_TOKENS - 1):
        likely = rng.random() < 0.9
        tokens.append(int(successors[tokens[-1], rng.integers(3)] if likely else rng.integers(CONFIG.n_vocab)))
    return tokens


def run(weights, tokens, starts):  # -> {"loss", "grad_norm", "lr"}: one float per step
    """The training run in torch: forward, autograd, clip, schedule, AdamW, for each step's windows."""
    torch.manual_seed(0)
    model = train.TinyLlama(CONFIG)
    train.import_weights(model, weights)
    decay = [p for p in model.parameters() if p.dim() >= 2]  # matrices; not the norms' gains
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": TRAIN["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=TRAIN["lr"],
        betas=(TRAIN["beta1"], TRAIN["beta2"]),
        eps=TRAIN["eps"],
    )
    tokens = torch.tensor(tokens, dtype=torch.int64)
    record = {"loss": [], "grad_norm": [], "lr": []}
    for step, step_starts in enumerate(starts):
        windows = torch.stack([tokens[s : s + N_SEQ + 1] for s in step_starts])
        logits = model(windows[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, CONFIG.n_vocab), windows[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), TRAIN["grad_clip"])
        lr = train.lr_at(step, TRAIN["steps"], TRAIN["lr"], TRAIN["warmup"], TRAIN["min_lr_ratio"])
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        record["loss"].append(loss.item())
        record["grad_norm"].append(norm.item())
        record["lr"].append(lr)
    return record


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    tokens = token_stream(rng)
    starts = rng.integers(0, N_TOKENS - N_SEQ, size=(TRAIN["steps"], N_BATCH)).tolist()
    record = run(random_weights(CONFIG, seed=SEED), tokens, starts)
    fixture = {
        "about": "a 50-step training run in torch (scripts/reference_training.py); tests/core/test_train.py "
        "replays it with llm_core.train",
        "written_by": f"torch {torch.__version__}, numpy {np.__version__}, {platform.machine()} CPU, 1 thread",
        "config": asdict(CONFIG),
        "train": TRAIN,
        "init_seed": SEED,
        "n_batch": N_BATCH,
        "n_seq": N_SEQ,
        "tokens": tokens,
        "starts": starts,
        **record,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(fixture) + "\n")
    print(f"wrote {args.out}: loss {record['loss'][0]:.4f} -> {record['loss'][-1]:.4f} in {TRAIN['steps']} steps")


if __name__ == "__main__":
    main()
