"""Train Glassbox's tiny model (PyTorch on the CPU) and write the files llm_core loads.

The steps, in order:
  1. corpus      the State of the Union addresses (scripts/corpus.py), split by document
  2. vocabulary  byte-level BPE trained on the training split with llm_core.bpe_train, + <|endoftext|>
  3. tokens      every document encoded, documents separated by <|endoftext|> (cached in build/cache)
  4. training    a torch copy of llm_core.model (same RoPE pairs, RMSNorm, GQA, SwiGLU, tied embeddings),
                 AdamW with linear warmup and cosine decay, random 256-token windows, seeded
  5. files       config.json, weights.npz (fp16), tokenizer.json + vocab.tiktoken, curves.json,
                 checkpoints/*.npz (int4 group-wise), val_windows.npy, train_log.json, CORPUS.md

Usage (a Python 3.11 venv with torch; see scripts/README.md):
    .venv-train/bin/python scripts/train.py --minutes 45 --out models/tiny
    .venv-train/bin/python scripts/train.py --steps 5000 --out models/tiny     # exact, reproducible
    .venv-train/bin/python scripts/train.py --parity models/tiny               # numpy vs torch logits
--minutes times a few steps first and picks the number of steps that fits; train_log.json records it,
so `--steps N` with the same seed reruns the same schedule.
"""

import argparse
import base64
import hashlib
import io
import json
import math
import platform
import shutil
import sys
import time
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import corpus  # noqa: E402  (scripts/corpus.py)
from llm_core import bpe_train  # noqa: E402
from llm_core.checkpoints import pack_weights, total_error, unpack_weights  # noqa: E402
from llm_core.model import ModelConfig, n_params, weight_shapes  # noqa: E402
from llm_core.model_files import load_encoding, load_model  # noqa: E402
from llm_core.rope import rope_frequencies  # noqa: E402
from llm_core.tokenizer import CL100K_PAT_STR, Encoding  # noqa: E402

EOT = corpus.EOT
CACHE = ROOT / "build" / "cache" / "tiny"
CHECKPOINT_FRACTIONS = (0.01, 0.03, 0.08, 0.18, 0.35, 0.6)  # of the steps; the final weights come last
SHIPPED = ("config.json", "weights.npz", "tokenizer.json", "vocab.tiktoken", "curves.json", "checkpoints")
SIZE_BUDGET = 12_000_000  # bytes the site may ship for the model


# ---------------------------------------------------------------- the torch mirror of llm_core.model


class RMSNorm(nn.Module):
    def __init__(self, d_model, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))

    def forward(self, x):  # [..., d_model] -> [..., d_model]; llm_core.norms.rms_norm
        return x / torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):  # [..., d_head] -> [..., d_head]; llm_core.rope.rotate_half
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def rope_tables(cfg):  # -> cos, sin [n_ctx, d_head], computed exactly as llm_core.rope.apply_rope does
    angles = np.outer(np.arange(cfg.n_ctx, dtype=np.float64), rope_frequencies(cfg.d_head, cfg.rope_base))
    angles = np.concatenate([angles, angles], axis=-1)  # pair i is coordinates (i, i + d_head / 2)
    return torch.from_numpy(np.cos(angles).astype(np.float32)), torch.from_numpy(np.sin(angles).astype(np.float32))


class Block(nn.Module):
    def __init__(self, cfg, dropout=0.0):
        super().__init__()
        self.cfg = cfg
        self.dropout = nn.Dropout(dropout)  # training only: evaluation (model.eval()) and llm_core have none
        self.attn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.wq = nn.Linear(cfg.d_model, cfg.n_head * cfg.d_head, bias=False)
        self.wk = nn.Linear(cfg.d_model, cfg.n_kv_head * cfg.d_head, bias=False)
        self.wv = nn.Linear(cfg.d_model, cfg.n_kv_head * cfg.d_head, bias=False)
        self.wo = nn.Linear(cfg.n_head * cfg.d_head, cfg.d_model, bias=False)
        self.ffn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.w_gate = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.w_up = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.w_down = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def attention(self, x, cos, sin):  # [batch, n_seq, d_model] -> [batch, n_seq, d_model]
        cfg, (batch, n_seq, _) = self.cfg, x.shape
        # [batch, n_seq, n_head * d_head] -> [batch, n_head, n_seq, d_head]
        q = self.wq(x).view(batch, n_seq, cfg.n_head, cfg.d_head).transpose(1, 2)
        k = self.wk(x).view(batch, n_seq, cfg.n_kv_head, cfg.d_head).transpose(1, 2)
        v = self.wv(x).view(batch, n_seq, cfg.n_kv_head, cfg.d_head).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        # query head h reads kv head h // (n_head // n_kv_head): [batch, n_kv_head, ...] -> [batch, n_head, ...]
        group = cfg.n_head // cfg.n_kv_head
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        heads = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # [batch, n_head, n_seq, d_head]
        return self.wo(heads.transpose(1, 2).reshape(batch, n_seq, cfg.n_head * cfg.d_head))

    def forward(self, x, cos, sin):
        x = x + self.dropout(self.attention(self.attn_norm(x), cos, sin))
        h = self.ffn_norm(x)
        return x + self.dropout(self.w_down(F.silu(self.w_gate(h)) * self.w_up(h)))


class TinyLlama(nn.Module):
    def __init__(self, cfg, dropout=0.0):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.n_vocab, cfg.d_model)
        self.layers = nn.ModuleList(Block(cfg, dropout) for _ in range(cfg.n_layer))
        self.final_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.lm_head = None if cfg.tied_embeddings else nn.Linear(cfg.d_model, cfg.n_vocab, bias=False)
        cos, sin = rope_tables(cfg)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def init_weights(self, generator):
        """Normal(0, 0.02); the two projections into the residual stream scaled by 1/sqrt(2 n_layer) (GPT-2)."""
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * self.cfg.n_layer) if name.endswith(("wo.weight", "w_down.weight")) else 0.02
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=generator) * std)

    def forward(self, ids):  # [batch, n_seq] -> [batch, n_seq, n_vocab]
        n_seq = ids.shape[1]
        x = self.tok_emb(ids)
        for layer in self.layers:
            x = layer(x, self.cos[:n_seq], self.sin[:n_seq])
        x = self.final_norm(x)
        return x @ self.tok_emb.weight.T if self.lm_head is None else self.lm_head(x)


def torch_name(name):  # llm_core weight name -> torch parameter name: "layers.0.wq" -> "layers.0.wq.weight"
    return f"{name}.weight"


def export_weights(model):  # -> {llm_core name: float32 [d_in, d_out]}
    """torch.nn.Linear stores [d_out, d_in]; llm_core computes x @ w with w [d_in, d_out]: transpose."""
    params = dict(model.named_parameters())
    weights = {}
    for name, shape in weight_shapes(model.cfg).items():
        p = params[torch_name(name)].detach().numpy()
        transpose = len(shape) == 2 and name != "tok_emb"
        weights[name] = np.ascontiguousarray(p.T if transpose else p, dtype=np.float32)
    return weights


def import_weights(model, weights):  # llm_core weights -> the torch model's parameters
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, w in weights.items():
            transpose = w.ndim == 2 and name != "tok_emb"
            params[torch_name(name)].copy_(torch.from_numpy(np.ascontiguousarray(w.T if transpose else w)))


# ---------------------------------------------------------------- data


def save_npz(path, arrays, compress=True):
    """np.savez_compressed, but byte-identical for identical arrays (fixed timestamps, sorted order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zf.compression
            zf.writestr(info, buf.getvalue())


def vocab_file(encoding):  # -> bytes in tiktoken's format, "<base64 token> <rank>\n" by rank
    ranks = sorted(encoding.mergeable_ranks.items(), key=lambda item: item[1])
    return b"".join(base64.b64encode(token) + b" %d\n" % rank for token, rank in ranks)


def train_vocabulary(train_docs, vocab_size, max_bytes, log):
    """BPE on the training documents (the first max_bytes of them if given), one id kept for <|endoftext|>."""
    text = "\n\n".join(t for _, t in train_docs)
    if max_bytes and len(text.encode()) > max_bytes:
        text = text.encode()[:max_bytes].decode("utf-8", errors="ignore")
    start = time.time()
    enc, merges = bpe_train.train(text, vocab_size - 1, pat_str=CL100K_PAT_STR, name="glassbox-tiny")
    ranks = enc.mergeable_ranks
    encoding = Encoding("glassbox-tiny", CL100K_PAT_STR, ranks, {EOT: len(ranks)})
    log(f"vocabulary: {len(merges)} merges on {len(text.encode()) / 1e6:.2f} MB in {time.time() - start:.1f} s")
    return encoding, {
        "merges": len(merges),
        "trained_on_bytes": len(text.encode()),
        "seconds": round(time.time() - start, 1),
    }


def cached_tokens(train_docs, val_docs, encoding, log):
    """(train, val) token ids, cached in build/cache/tiny/ keyed by the texts and the vocabulary."""
    key = hashlib.sha256(vocab_file(encoding) + json.dumps(corpus.describe(train_docs, val_docs)).encode())
    path = CACHE / f"tokens-{key.hexdigest()[:16]}.npz"
    if path.exists():
        with np.load(path) as npz:
            return npz["train"], npz["val"]
    start = time.time()
    train, val = corpus.encode_documents(train_docs, encoding), corpus.encode_documents(val_docs, encoding)
    save_npz(path, {"train": train, "val": val})
    log(f"tokens: {len(train):,} train, {len(val):,} val in {time.time() - start:.1f} s (cached in {path})")
    return train, val


def val_windows(val, n_ctx, n_windows):  # -> int64 [n_windows, n_ctx + 1], evenly spaced over val
    starts = np.linspace(0, len(val) - n_ctx - 1, n_windows).astype(np.int64)
    return np.stack([val[s : s + n_ctx + 1] for s in starts]).astype(np.int64)


def batch(tokens, n_ctx, batch_size, rng):  # -> inputs, targets [batch, n_ctx]
    starts = rng.integers(0, len(tokens) - n_ctx - 1, size=batch_size)
    windows = torch.from_numpy(np.stack([tokens[s : s + n_ctx + 1] for s in starts]).astype(np.int64))
    return windows[:, :-1], windows[:, 1:]


@torch.no_grad()
def evaluate(model, windows, batch_size=32):  # -> mean cross-entropy over every position of every window
    model.eval()
    total = 0.0
    for i in range(0, len(windows), batch_size):
        w = torch.from_numpy(windows[i : i + batch_size])
        logits = model(w[:, :-1])
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1), reduction="sum").item()
    model.train()
    return total / (windows.shape[0] * (windows.shape[1] - 1))


def lr_at(step, steps, peak, warmup, floor=0.1):
    """Linear warmup to peak, then cosine decay to floor * peak at the last step."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def make_optimizer(model, args):
    """AdamW; weight decay on the matrices only (not on norm gains), as in nanoGPT."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.95),
        eps=1e-8,
    )


def train_step(model, opt, tokens, cfg, args, rng):  # -> loss
    x, y = batch(tokens, cfg.n_ctx, args.batch, rng)
    logits = model(x)
    loss = F.cross_entropy(logits.reshape(-1, cfg.n_vocab), y.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
    opt.step()
    return loss.item()


def seconds_per_step(cfg, tokens, args, n=6):
    """Time n training steps of a throwaway model (the first is a warm-up and not counted)."""
    model = TinyLlama(cfg)
    opt = make_optimizer(model, args)
    rng = np.random.default_rng(12345)
    train_step(model, opt, tokens, cfg, args, rng)
    start = time.time()
    for _ in range(n):
        train_step(model, opt, tokens, cfg, args, rng)
    return (time.time() - start) / n


# ---------------------------------------------------------------- parity with llm_core


@torch.no_grad()
def parity(out_dir, n_seq=None):  # -> max |numpy logits - torch logits| on the first val window
    """Load out_dir with llm_core, copy the same weights into TinyLlama, compare the logits."""
    from llm_core.model import forward

    model_np = load_model(str(out_dir))
    cfg = model_np.cfg
    model = TinyLlama(cfg)
    import_weights(model, model_np.weights)
    ids = np.load(Path(out_dir) / "val_windows.npy")[0, : n_seq or cfg.n_ctx].astype(np.int64)
    logits_np, _ = forward(model_np.weights, cfg, ids)
    model.eval()
    logits_torch = model(torch.from_numpy(ids)[None])[0].numpy()
    return float(np.max(np.abs(logits_np - logits_torch)))


# ---------------------------------------------------------------- the run


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=ROOT / "models" / "tiny", help="where the model files go")
    p.add_argument("--minutes", type=float, default=45.0, help="wall-clock budget of the whole run")
    p.add_argument("--steps", type=int, default=None, help="exact number of steps (overrides --minutes)")
    p.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="hard stop of the training loop (default: --minutes + 10), should the machine slow down",
    )
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--batch", type=int, default=16, help="windows of n_ctx tokens per step")
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    p.add_argument("--warmup", type=int, default=200, help="steps of linear warmup")
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--dropout", type=float, default=0.0, help="on each sub-layer's output, training only")
    p.add_argument("--vocab-size", type=int, default=4096, help="including <|endoftext|>")
    p.add_argument("--vocab-max-bytes", type=int, default=0, help="train BPE on this much text (0: all)")
    p.add_argument(
        "--vocab-from",
        type=Path,
        default=None,
        help="reuse this model folder's vocabulary (tokenizer.json + vocab.tiktoken, byte for byte) instead of "
        "training one: a draft model for speculative decoding must share its target's",
    )
    p.add_argument(
        "--corpus-max-bytes",
        type=int,
        default=0,
        help="smoke runs: keep documents of each split only up to this many bytes (0: all)",
    )
    p.add_argument("--val-windows", type=int, default=128, help="fixed validation windows of n_ctx tokens")
    p.add_argument("--evals", type=int, default=30, help="validation evaluations spread over the run")
    p.add_argument("--checkpoint-format", default="int4", choices=("fp16", "int8", "int4"))
    p.add_argument("--no-checkpoints", action="store_true", help="write no snapshots along the run (checkpoints/)")
    p.add_argument("--d-model", type=int, default=ModelConfig.d_model)
    p.add_argument("--n-layer", type=int, default=ModelConfig.n_layer)
    p.add_argument("--n-head", type=int, default=ModelConfig.n_head)
    p.add_argument("--n-kv-head", type=int, default=ModelConfig.n_kv_head)
    p.add_argument("--d-head", type=int, default=ModelConfig.d_head)
    p.add_argument("--d-ff", type=int, default=ModelConfig.d_ff)
    p.add_argument("--n-ctx", type=int, default=ModelConfig.n_ctx)
    p.add_argument("--parity", type=Path, default=None, help="only compare numpy and torch logits of a model")
    return p.parse_args(argv)


def prepare_data(args, log):
    """Steps 1-3: the corpus split, the vocabulary, the token ids; returns them and what to record."""
    train_docs, val_docs = corpus.load_split(args.corpus_max_bytes)
    corpus_info = corpus.describe(train_docs, val_docs)
    log(f"corpus: {corpus_info['documents']} documents, {corpus_info['bytes']} bytes")
    if args.vocab_from:
        encoding = load_encoding(str(args.vocab_from))
        vocab_info = {"from": str(args.vocab_from), "n_vocab": encoding.n_vocab}
        log(f"vocabulary: {encoding.n_vocab} tokens from {args.vocab_from} (not trained)")
    else:
        encoding, vocab_info = train_vocabulary(train_docs, args.vocab_size, args.vocab_max_bytes, log)
    train_tokens, val_tokens = cached_tokens(train_docs, val_docs, encoding, log)
    vocab_info["bytes_per_token_val"] = round(corpus_info["bytes"]["val"] / len(val_tokens), 3)
    return encoding, train_tokens, val_tokens, {"corpus": corpus_info, "vocabulary": vocab_info}


def plan_steps(args, cfg, train_tokens, eval_seconds, t0, log):  # -> number of training steps
    """--steps as given; else as many steps as fit the rest of --minutes, timed on a throwaway model."""
    if args.steps:
        return args.steps
    step_seconds = seconds_per_step(cfg, train_tokens, args)
    reserve = 30 + (args.evals + len(CHECKPOINT_FRACTIONS) + 2) * eval_seconds  # evals, export, parity
    steps = max(10, int((args.minutes * 60 - (time.time() - t0) - reserve) / step_seconds))
    log(
        f"timing: {step_seconds:.3f} s a step ({args.batch * cfg.n_ctx / step_seconds:,.0f} tokens/s), "
        f"an evaluation {eval_seconds:.1f} s -> {steps} steps"
    )
    return steps


def run_training(args, cfg, train_tokens, windows, t0, log):
    """Step 4: train, evaluate on the fixed windows now and then, save the checkpoints; returns the model."""
    torch.manual_seed(args.seed)
    model = TinyLlama(cfg, args.dropout)
    model.init_weights(torch.Generator().manual_seed(args.seed))
    opt = make_optimizer(model, args)
    start = time.time()
    val0 = evaluate(model, windows)
    steps = plan_steps(args, cfg, train_tokens, time.time() - start, t0, log)
    torch.manual_seed(args.seed)  # dropout's random state, the same whether or not plan_steps timed steps
    warmup = min(args.warmup, max(1, steps // 10))
    fractions = () if args.no_checkpoints else CHECKPOINT_FRACTIONS
    checkpoint_steps = sorted({max(1, round(f * steps)) for f in fractions})
    eval_steps = set(np.linspace(0, steps, args.evals + 1).round().astype(int).tolist()) | set(checkpoint_steps)
    tokens_per_step = args.batch * cfg.n_ctx
    curves = {
        "train": {"step": [], "tokens": [], "loss": []},
        "val": {"step": [0], "tokens": [0], "loss": [round(val0, 5)]},
        "checkpoints": [],
    }
    log_every = max(1, steps // 200)
    rng = np.random.default_rng(args.seed)
    deadline = t0 + 60 * (args.max_minutes or args.minutes + 10)
    running, start, done = [], time.time(), 0
    shutil.rmtree(args.out / "checkpoints", ignore_errors=True)  # no stale snapshots of an earlier run
    for step in range(1, steps + 1):
        if time.time() > deadline:
            log(f"warning: past the hard time limit (--max-minutes); stopping after step {done} of {steps}")
            break
        for group in opt.param_groups:
            group["lr"] = lr_at(step - 1, steps, args.lr, warmup)
        running.append(train_step(model, opt, train_tokens, cfg, args, rng))
        done = step
        if step % log_every == 0 or step == steps:
            add_point(curves["train"], step, step * tokens_per_step, float(np.mean(running)))
            running = []
        if step in eval_steps:
            add_point(curves["val"], step, step * tokens_per_step, evaluate(model, windows))
            log(
                f"step {step}/{steps}: train {curves['train']['loss'][-1]:.4f}, val {curves['val']['loss'][-1]:.4f}, "
                f"lr {opt.param_groups[0]['lr']:.2e}"
            )
        if step in checkpoint_steps:
            name = f"checkpoints/step_{step:06d}.npz"
            save_npz(args.out / name, pack_weights(export_weights(model), args.checkpoint_format)[0])
            curves["checkpoints"].append(
                {
                    "step": step,
                    "tokens": step * tokens_per_step,
                    "file": name,
                    "format": args.checkpoint_format,
                    "val_loss": curves["val"]["loss"][-1],
                }
            )
    if curves["val"]["step"][-1] != done:
        add_point(curves["val"], done, done * tokens_per_step, evaluate(model, windows))
    seconds = time.time() - start
    stats = {
        "val_loss_at_init": val0,
        "steps": steps,
        "steps_done": done,
        "warmup": warmup,
        "tokens_per_step": tokens_per_step,
        "tokens_seen": done * tokens_per_step,
        "epochs": round(done * tokens_per_step / len(train_tokens), 2),
        "train_tokens": len(train_tokens),
        "tokens_per_second": round(done * tokens_per_step / seconds),
        "train_seconds": round(seconds),
    }
    return model, curves, stats


def add_point(curve, step, tokens, loss):
    curve["step"].append(step)
    curve["tokens"].append(tokens)
    curve["loss"].append(round(loss, 5))


def write_files(args, model, encoding, windows, curves, info, t0, log):
    """Step 5: the final weights in fp16 (their validation loss is the one reported) and the other files."""
    out, cfg, stats = args.out, model.cfg, info["training"]
    weights = export_weights(model)
    arrays, errors = pack_weights(weights, "fp16")
    import_weights(model, unpack_weights(arrays))
    final_val = evaluate(model, windows)
    curves["checkpoints"].append(
        {
            "step": stats["steps_done"],
            "tokens": stats["tokens_seen"],
            "file": "weights.npz",
            "format": "fp16",
            "val_loss": round(final_val, 5),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    save_npz(out / "weights.npz", arrays)
    (out / "config.json").write_text(cfg.to_json())
    vocab = vocab_file(encoding)
    if args.vocab_from and vocab != (args.vocab_from / "vocab.tiktoken").read_bytes():
        raise SystemExit(f"error: the vocabulary read from {args.vocab_from} does not write back byte for byte")
    (out / "vocab.tiktoken").write_bytes(vocab)
    (out / "tokenizer.json").write_text(
        json.dumps(
            {
                "name": encoding.name,
                "pat_str": encoding.pat_str,
                "special_tokens": encoding.special_tokens,
                "vocab_file": "vocab.tiktoken",
            },
            indent=2,
        )
        + "\n"
    )
    (out / "curves.json").write_text(json.dumps(curves) + "\n")
    np.save(out / "val_windows.npy", windows.astype(np.uint16))
    (out / "CORPUS.md").write_text(corpus.corpus_card(info["corpus"]))
    max_diff = parity(out)
    log(
        f"final: val loss {final_val:.4f} (fp16 weights; {curves['val']['loss'][-1]:.4f} in fp32), "
        f"numpy-torch max logit difference {max_diff:.2e}"
    )

    shipped = {name: size_of(out / name) for name in SHIPPED}
    train_log = {
        "final_val_loss": final_val,
        "final_val_loss_fp32": curves["val"]["loss"][-1],
        "final_val_perplexity": math.exp(final_val),
        "val_windows": {
            "file": "val_windows.npy",
            "n": len(windows),
            "length": cfg.n_ctx + 1,
            "rule": "evenly spaced over the validation tokens: linspace(0, n_val - n_ctx - 1, n)",
        },
        "numpy_torch_max_abs_logit_diff": max_diff,
        "config": asdict(cfg),
        "n_params": n_params(cfg),
        **stats,
        "seconds_total": round(time.time() - t0),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "parity"},
        "reproduce": f"the same settings with --steps {stats['steps']} (instead of --minutes)",
        "weights": {
            "file": "weights.npz",
            "format": "fp16",
            "relative_error": total_error(weights, errors)["relative"],
        },
        "vocabulary": info["vocabulary"],
        "corpus": info["corpus"],
        "checkpoints": curves["checkpoints"],
        "shipped_bytes": shipped,
        "shipped_total_bytes": sum(shipped.values()),
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__},
    }
    (out / "train_log.json").write_text(json.dumps(train_log, indent=2) + "\n")
    log(f"wrote {out}: shipped files {train_log['shipped_total_bytes'] / 1e6:.2f} MB {shipped}")
    if train_log["shipped_total_bytes"] > SIZE_BUDGET:
        raise SystemExit(
            f"error: the shipped files take {train_log['shipped_total_bytes']:,} bytes, "
            f"over the budget of {SIZE_BUDGET:,}"
        )


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.parity:
        print(f"max |numpy - torch| logit difference: {parity(args.parity):.3g}")
        return
    t0 = time.time()

    def log(message):
        print(f"[{time.time() - t0:7.1f} s] {message}", flush=True)

    encoding, train_tokens, val_tokens, info = prepare_data(args, log)
    cfg = ModelConfig(
        n_vocab=encoding.n_vocab,
        n_ctx=args.n_ctx,
        d_model=args.d_model,
        n_layer=args.n_layer,
        n_head=args.n_head,
        n_kv_head=args.n_kv_head,
        d_head=args.d_head,
        d_ff=args.d_ff,
    )
    windows = val_windows(val_tokens, cfg.n_ctx, args.val_windows)
    info["corpus"]["tokens"] = {"train": len(train_tokens), "val": len(val_tokens)}
    log(f"model: {n_params(cfg):,} parameters, {cfg}")
    model, curves, info["training"] = run_training(args, cfg, train_tokens, windows, t0, log)
    write_files(args, model, encoding, windows, curves, info, t0, log)


def size_of(path):  # bytes of a file, or of every file under a folder
    return path.stat().st_size if path.is_file() else sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


if __name__ == "__main__":
    main()
