"""The tiny model's quality report (REPORT.md) and golden generation (golden.json), with numpy llm_core only.

    .venv/bin/python scripts/evaluate.py models/tiny
    .venv/bin/python scripts/evaluate.py models/draft     # the draft model (speculative decoding)

Measures, on the held-out addresses (every validation token, in windows of n_ctx + 1 tokens):
  - the model's cross-entropy, perplexity and bits per byte, with the weights as shipped (fp16) and
    quantized group-wise to int8 and to int4 (groups of 32, fp16 scales);
  - two baselines on the same predictions: the unigram model (its entropy too) and a bigram model,
    both add-one smoothed and interpolated with the unigram (Jelinek & Mercer 1980), the mixing weight
    fitted on the last 10% of the training tokens;
  - that numpy reproduces the training script's final validation loss (train_log.json);
then writes greedy and sampled continuations of five fixed prompts, and golden.json: a greedy
generation whose token ids the tests compare, in CPython and in the browser.
"""

import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import corpus  # noqa: E402  (scripts/corpus.py; numpy only)
from llm_core.checkpoints import pack_weights, total_error, unpack_weights  # noqa: E402
from llm_core.loss import cross_entropy  # noqa: E402
from llm_core.model import forward  # noqa: E402
from llm_core.model_files import load_model  # noqa: E402

PROMPTS = [
    "Fellow-Citizens of the Senate and House of Representatives:",
    "The state of the Union is",
    "Our foreign relations",
    "The revenue of the Government",
    "I ask the Congress to",
]
GOLDEN_PROMPT = "The President of the United States"
GOLDEN_NEW_TOKENS = 64
SAMPLING = {"temperature": 0.8, "top_k": 0, "top_p": 0.95, "min_p": 0.0, "seed": 0}
QUANTIZED = {"int8": 8, "int4": 4}
GROUP_SIZE = 32


def windows_of(tokens, n_ctx):  # [n] -> [n_windows, n_ctx + 1]: consecutive, overlapping by one token
    n_windows = (len(tokens) - 1) // n_ctx
    return np.stack([tokens[i * n_ctx : i * n_ctx + n_ctx + 1] for i in range(n_windows)]).astype(np.int64)


def model_losses(weights, cfg, windows):  # -> [n_windows * n_ctx] per-position losses, nats
    losses = []
    for window in windows:
        logits, _ = forward(weights, cfg, window[:-1])
        losses.append(cross_entropy(logits, window[1:])[1])
    return np.concatenate(losses)


def unigram(train, n_vocab):  # -> probabilities [n_vocab], add-one smoothed
    counts = np.bincount(train, minlength=n_vocab).astype(np.float64)
    return (counts + 1) / (counts.sum() + n_vocab)


def bigram_counts(tokens, n_vocab):  # -> [n_vocab, n_vocab] counts of (previous, next)
    return (
        np.bincount(tokens[:-1].astype(np.int64) * n_vocab + tokens[1:], minlength=n_vocab * n_vocab)
        .reshape(n_vocab, n_vocab)
        .astype(np.float64)
    )


def bigram_probs(counts, p_uni, prev, nxt, lam):  # -> [n] p(next | prev)
    """lam * count(prev, next) / count(prev) + (1 - lam) * p_unigram(next); lam = None: add-one smoothing."""
    row = counts.sum(axis=1)[prev]  # how often prev occurs as a previous token
    pair = counts[prev, nxt]
    if lam is None:
        return (pair + 1) / (row + counts.shape[0])
    ml = np.divide(pair, row, out=np.zeros_like(pair), where=row > 0)
    return lam * ml + (1 - lam) * p_uni[nxt]


def fit_lambda(train, n_vocab):  # -> the mixing weight that best predicts the last 10% of train
    cut = int(len(train) * 0.9)
    counts, p_uni = bigram_counts(train[:cut], n_vocab), unigram(train[:cut], n_vocab)
    prev, nxt = train[cut:-1].astype(np.int64), train[cut + 1 :].astype(np.int64)
    grid = np.linspace(0.05, 0.95, 19)
    losses = [-np.mean(np.log(bigram_probs(counts, p_uni, prev, nxt, lam))) for lam in grid]
    return float(grid[int(np.argmin(losses))])


def baselines(train, windows, n_vocab):  # -> {name: per-position losses}, info
    p_uni = unigram(train, n_vocab)
    counts = bigram_counts(train, n_vocab)
    lam = fit_lambda(train, n_vocab)
    prev, nxt = windows[:, :-1].ravel(), windows[:, 1:].ravel()
    entropy = float(-np.sum(p_uni * np.log(p_uni)))
    return {
        "unigram (add-one)": -np.log(p_uni[nxt]),
        "bigram (add-one)": -np.log(bigram_probs(counts, p_uni, prev, nxt, None)),
        f"bigram (interpolated, lambda {lam:.2f})": -np.log(bigram_probs(counts, p_uni, prev, nxt, lam)),
    }, {"unigram_entropy": entropy, "lambda": lam}


def metrics(losses, n_bytes):  # per-position losses -> dict
    mean = float(np.mean(losses))
    bits_per_byte = float(np.sum(losses)) / math.log(2) / n_bytes
    return {"loss": mean, "perplexity": math.exp(mean), "bits_per_byte": bits_per_byte}


def generations(model):  # -> markdown lines: greedy and sampled continuations of PROMPTS
    lines = []
    for prompt in PROMPTS:
        greedy = model.generate(prompt, 48, temperature=0)
        sampled = model.generate(prompt, 48, **SAMPLING)
        lines += [f"**{prompt}**", "", f"- greedy: {quote(greedy['text'])}", f"- sampled: {quote(sampled['text'])}", ""]
    return lines


def quote(text):  # a continuation as Markdown-safe inline text
    return "`" + text.replace("`", "'").replace("\n", " \u21b5 ") + "`"


def golden(model, weights_sha):  # -> dict written to golden.json
    out = model.generate(GOLDEN_PROMPT, GOLDEN_NEW_TOKENS, temperature=0)
    return {
        "prompt": GOLDEN_PROMPT,
        "prompt_ids": out["prompt_ids"],
        "max_new_tokens": GOLDEN_NEW_TOKENS,
        "temperature": 0,
        "new_ids": out["new_ids"],
        "text": out["text"],
        "weights_sha256": weights_sha,
    }


def main(model_dir):
    model_dir = Path(model_dir)
    model = load_model(str(model_dir))
    cfg, enc = model.cfg, model.encoding
    log = json.loads((model_dir / "train_log.json").read_text())
    train_docs, val_docs = corpus.load_split(log["settings"]["corpus_max_bytes"])
    train = corpus.encode_documents(train_docs, enc)
    windows = windows_of(corpus.encode_documents(val_docs, enc), cfg.n_ctx)
    n_bytes = sum(len(b) for b in enc.decode_tokens_bytes(windows[:, 1:].ravel().tolist()))

    rows = {"model, fp16 weights (as shipped)": metrics(model_losses(model.weights, cfg, windows), n_bytes)}
    full = rows["model, fp16 weights (as shipped)"]
    quant_info = {}
    for name, bits in QUANTIZED.items():
        arrays, errors = pack_weights(model.weights, name, GROUP_SIZE)
        size = sum(a.nbytes for a in arrays.values())
        row = metrics(model_losses(unpack_weights(arrays), cfg, windows), n_bytes)
        rows[f"model, {name} group-wise (groups of {GROUP_SIZE})"] = row
        quant_info[name] = {
            "bytes": size,
            "weight_relative_error": total_error(model.weights, errors)["relative"],
            "perplexity_change": row["perplexity"] / full["perplexity"] - 1,
        }
    base_losses, base_info = baselines(train, windows, cfg.n_vocab)
    for name, losses in base_losses.items():
        rows[name] = metrics(losses, n_bytes)

    fixed = np.load(model_dir / "val_windows.npy").astype(np.int64)
    numpy_val = float(np.mean(model_losses(model.weights, cfg, fixed)))
    train_val = log["final_val_loss"]
    weights_sha = hashlib.sha256((model_dir / "weights.npz").read_bytes()).hexdigest()
    (model_dir / "golden.json").write_text(json.dumps(golden(model, weights_sha), indent=2) + "\n")

    entropy = base_info["unigram_entropy"]
    int8_ok = abs(quant_info["int8"]["perplexity_change"]) <= 0.02
    lines = [
        f"# The {model_dir.name} model: quality report",
        "",
        f"Written by `scripts/evaluate.py` with numpy llm_core only. Model: {log['n_params']:,} parameters "
        f"({cfg.n_layer} layers, d_model {cfg.d_model}, {cfg.n_head} query / {cfg.n_kv_head} KV heads, "
        f"d_ff {cfg.d_ff}, vocabulary {cfg.n_vocab}, context {cfg.n_ctx}), "
        f"trained for {log['steps_done']:,} steps "
        f"({log['tokens_seen'] / 1e6:.1f} M tokens, {log['epochs']} epochs) in {log['train_seconds'] / 60:.1f} "
        f"minutes at {log['tokens_per_second']:,} tokens/s (torch {log['versions']['torch']}, "
        f"threads: {log['settings']['threads']}).",
        "",
        "## Held-out cross-entropy",
        "",
        f"All {windows.size - len(windows):,} next-token predictions of the {len(val_docs)} held-out addresses "
        f"({n_bytes:,} bytes), in windows of {cfg.n_ctx} tokens; nats per token. Unigram entropy of the "
        f"training tokens: {entropy:.3f} nats ({entropy / math.log(2):.2f} bits); "
        f"the uniform distribution over the vocabulary: {math.log(cfg.n_vocab):.3f} nats.",
        "",
        "| predictor | cross-entropy | perplexity | bits per byte |",
        "| --- | ---: | ---: | ---: |",
        *[
            f"| {name} | {m['loss']:.4f} | {m['perplexity']:.2f} | {m['bits_per_byte']:.3f} |"
            for name, m in rows.items()
        ],
        "",
        "Baselines fitted on the training tokens; the bigram's mixing weight on the last 10% of them.",
        "",
        "## Quantized weights",
        "",
        "| weights | stored bytes | relative weight error | perplexity change |",
        "| --- | ---: | ---: | ---: |",
        *[
            f"| {name} | {q['bytes']:,} | {q['weight_relative_error']:.4f} | {100 * q['perplexity_change']:+.2f}% |"
            for name, q in quant_info.items()
        ],
        "",
        f"int8 within 2% of the full-precision perplexity: **{'yes' if int8_ok else 'NO'}**.",
        "",
        "## Reproducing the training script's validation loss",
        "",
        f"On the training script's {len(fixed)} fixed validation windows (`val_windows.npy`): numpy "
        f"{numpy_val:.5f}, torch (train_log.json) {train_val:.5f}, difference "
        f"{100 * abs(numpy_val / train_val - 1):.3f}%. numpy vs torch logits on the same weights: max "
        f"|difference| {log['numpy_torch_max_abs_logit_diff']:.2e}.",
        "",
        "## Learning curve checkpoints",
        "",
        "| step | tokens | file | validation loss |",
        "| ---: | ---: | --- | ---: |",
        *[
            f"| {c['step']:,} | {c['tokens']:,} | {c['file']} ({c['format']}) | {c['val_loss']:.4f} |"
            for c in log["checkpoints"]
        ],
        "",
        f"## Continuations (48 new tokens; sampled with {SAMPLING})",
        "",
        *generations(model),
    ]
    (model_dir / "REPORT.md").write_text("\n".join(lines).rstrip() + "\n")
    print("\n".join(lines[:40]))
    if not int8_ok:
        raise SystemExit("error: int8 perplexity is more than 2% away from full precision")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ROOT / "models" / "tiny")
