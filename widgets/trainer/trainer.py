"""Trainer: a small transformer trained in the reader's browser, on a text the reader picks, live.

The model is llm_core's own Llama-style decoder (model.py) with a size the reader sets; the training is
llm_core.train: loss_and_grads (every layer's hand-written backward), clipping, warm-up and cosine decay,
AdamW, run by train.training_run, a generator that takes one step per next(). The text is cut into
tokens by bytes (256 tokens) or by a BPE of BPE_VOCAB tokens trained on the text itself
(llm_core.bpe_train); its last tenth is held out, never trained on, and the held-out loss is measured on
fixed windows of it every EVAL_EVERY steps.

Chunks. A step of the default model takes about 50 ms in the page (benchmarks/RESULTS.md), one of the
largest several times that, so a whole run is seconds to minutes: too long for one call (the page offers
to restart a worker that has been busy for 20 s). params["at"] = k asks for the
run after k steps; the run (the generator, its weights and the curves so far) stays in the worker between
calls (`_latest`), and one call runs at most params["chunk"] steps from where it is (0: no limit, as the
build and the tests call it). The page's JS asks for the next chunk (result["next_at"]) once a chunk is
drawn, while the reader has not paused. The result for a given `at` is the same however it was reached:
a run is deterministic (its seed draws the initial weights and the windows of every step).
"""

import hashlib
import math
import time
import unicodedata

import numpy as np

from llm_core import bpe_train
from llm_core.controls import as_choice, as_int, as_number, as_text
from llm_core.model import Model, ModelConfig, n_params, random_weights
from llm_core.model_files import read_model_file
from llm_core.train import TrainConfig, mean_loss, step_flops, training_run
from widgetlib.fmt import count, fixed, integer, sci
from widgetlib.plot import frame

TEXTS = {  # source -> (file in texts/, what the menu calls it)
    "washington": ("washington-1790.txt", "George Washington's 1790 message to Congress (8 KB)"),
    "lincoln": ("lincoln-1862.txt", "Abraham Lincoln's 1862 message, an excerpt (5 KB)"),
}
OWN = "own"
MAX_TEXT_CHARS = 20_000  # pasted text kept (its end); BPE training and tokenizing stay well under a second
BPE_VOCAB = 384  # 128 merges over the 256 bytes
TOKENIZERS = {"bytes": "bytes (256 tokens)", "bpe": f"BPE trained on the text ({BPE_VOCAB} tokens)"}
D_MODELS, N_LAYERS, N_HEADS, N_CTXS = (32, 48, 64), (1, 2, 3), (1, 2, 4), (16, 32, 64)
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.01, 0.03, 3.0)  # the menu; 3.0 diverges, on purpose
RUN_STEPS = (100, 200, 400, 800)
N_BATCH = 8  # windows per step
HELD_OUT = 0.1  # the text's last tenth is held out
EVAL_EVERY, EVAL_WINDOWS = 10, 8  # held-out loss: every 10 steps, on 8 fixed windows
SAMPLE_EVERY, SAMPLE_TOKENS, SAMPLE_TEMPERATURE = 50, 48, 0.8
CHUNK_FLOPS = 4e8  # work per call in the page: about a fifth of a second at its rate (benchmarks/RESULTS.md)
MAX_SEED = 2**32 - 1
# Float32 sums run in another order in Pyodide (numpy without BLAS), and a few steps of training carry
# the difference along: the browser test compares floats to this relative tolerance.
REL_TOL = 1e-3

DEFAULTS = {
    "source": "washington",
    "text": "",
    "tokenizer": "bytes",
    "d_model": 48,
    "n_layer": 2,
    "n_head": 4,
    "n_ctx": 32,
    "lr": 0.003,
    "steps": 200,
    "seed": 0,
    "prompt": "Fellow-Citizens",
    "at": 30,  # the pre-rendered figure: the first 30 steps of the default run, trained at build time
    "chunk": 0,
}
EXAMPLES = [
    {"source": "lincoln", "tokenizer": "bpe", "d_model": 32, "n_layer": 1, "n_head": 2, "n_ctx": 16, "at": 3},
    {"source": OWN, "text": "to be or not to be, that is the question. " * 20, "n_ctx": 16, "n_layer": 1, "at": 2},
    {"source": OWN, "text": "é", "at": 5},
    {"source": OWN, "text": "", "tokenizer": "bpe"},
]
# Not among them: a diverging run (lr 3.0). Its steps amplify rounding differences until the two engines
# stop at different steps; tests/core/test_widgets_trainer.py checks it in CPython.
DATA = [f"texts/{file}" for file, _ in TEXTS.values()]
CODE = [
    "llm_core.train.training_run",
    "llm_core.train.train_step",
    "llm_core.train.loss_and_grads",
    "llm_core.train.learning_rate",
    "llm_core.train.adamw_step",
    "llm_core.train.mean_loss",
    "llm_core.bpe_train.train",
]
# The plot box, in SVG units (the view only places these numbers).
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 420, 210, 38, 10, 10, 32


def snap(name, value, choices):
    """A number as the nearest of a menu's choices (a link or the console may send any number)."""
    x = as_number(name, value, min(choices), max(choices))
    return min(choices, key=lambda c: (abs(c - x), c))


def read_params(params: dict) -> tuple[dict, list[str]]:
    p = {**DEFAULTS, **params}
    text, note = as_text("text", p["text"], MAX_TEXT_CHARS)
    prompt, prompt_note = as_text("prompt", p["prompt"], 200)
    steps = as_int("steps", p["steps"], min(RUN_STEPS), max(RUN_STEPS))
    return {
        "source": as_choice("text source", p["source"], [*TEXTS, OWN]),
        "text": text,
        "tokenizer": as_choice("tokenizer", p["tokenizer"], list(TOKENIZERS)),
        "d_model": snap("d_model", p["d_model"], D_MODELS),
        "n_layer": snap("n_layer", p["n_layer"], N_LAYERS),
        "n_head": snap("n_head", p["n_head"], N_HEADS),
        "n_ctx": snap("n_ctx", p["n_ctx"], N_CTXS),
        "lr": as_number("learning rate", p["lr"], 1e-5, 10.0),
        "steps": steps,
        "seed": as_int("seed", p["seed"], 0, MAX_SEED),
        "prompt": prompt,
        "at": as_int("at", p["at"], 0, steps),
        "chunk": as_int("chunk", p["chunk"], 0, 1000),
    }, [n for n in (note, prompt_note) if n]


def the_text(p: dict) -> tuple[str, str]:
    """-> (the text to train on, what to call it)."""
    if p["source"] == OWN:
        return p["text"], "your text"
    file, label = TEXTS[p["source"]]
    return read_model_file("texts", file).decode("utf-8"), label.split(" (")[0]


_tokenized = {}  # the latest (text, tokenizer) -> (Encoding, token ids): BPE training runs once per text


def tokenize(text: str, tokenizer: str):  # -> Encoding, int64 [n_tokens]
    key = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), tokenizer)
    if _tokenized.get("key") != key:
        # bytes: a BPE with no merges, i.e. the 256 single bytes
        enc, _ = bpe_train.train(text, BPE_VOCAB if tokenizer == "bpe" else 256, name=f"trainer-{tokenizer}")
        _tokenized.update(key=key, enc=enc, ids=np.array(enc.encode(text), dtype=np.int64))
    return _tokenized["enc"], _tokenized["ids"]


def model_config(p: dict, n_vocab: int) -> ModelConfig:
    n_head = p["n_head"]
    return ModelConfig(
        n_vocab=n_vocab,
        n_ctx=p["n_ctx"],
        d_model=p["d_model"],
        n_layer=p["n_layer"],
        n_head=n_head,
        n_kv_head=max(1, n_head // 2),  # grouped-query attention: two query heads per key/value head
        d_head=p["d_model"] // n_head,
        d_ff=3 * p["d_model"],
    )


def split(ids, n_ctx: int):  # -> train ids, held-out ids, or a problem (str)
    """The text's tokens as training tokens and held-out ones (its last tenth, at least one window)."""
    window = n_ctx + 1
    n_held = max(window, round(HELD_OUT * len(ids)))
    if len(ids) < n_held + window:
        return (
            None,
            None,
            (
                f"The text is {len(ids):,} token{'s' if len(ids) != 1 else ''} long; with a context of {n_ctx} "
                f"tokens, training needs at least {2 * window:,}: one window of {window} to train on and one to "
                "hold out. Paste more text, pick a shorter context, or pick one of the shipped texts."
            ),
        )
    return ids[:-n_held], ids[-n_held:], None


def held_out_windows(held, n_ctx: int):  # -> ids, targets int64 [n_windows, n_ctx]
    """Up to EVAL_WINDOWS windows spread evenly over the held-out tokens (the same ones at every evaluation)."""
    starts = np.unique(np.linspace(0, len(held) - n_ctx - 1, EVAL_WINDOWS).round().astype(np.int64))
    windows = held[starts[:, None] + np.arange(n_ctx + 1)]  # [n_windows, n_ctx + 1]
    return windows[:, :-1], windows[:, 1:]


def sample(cfg, weights, enc, prompt: str, seed: int) -> str:
    """What the model writes after prompt (its first token if the prompt is empty)."""
    model = Model(cfg, weights, enc, name="trainer")
    ids = enc.encode(prompt) or [int(enc.encode(" ")[0])]
    n_new = min(SAMPLE_TOKENS, cfg.n_ctx - 1)
    out = model.generate(ids[-(cfg.n_ctx - n_new) :], n_new, temperature=SAMPLE_TEMPERATURE, seed=seed)
    return printable(enc.decode_bytes(out["new_ids"]).decode("utf-8", "replace"))


def printable(text: str) -> str:
    """Control characters (an untrained byte model writes any byte) as a visible middle dot."""
    return "".join("·" if unicodedata.category(c)[0] == "C" and c != "\n" else c for c in text)


# The latest run, kept between calls: {"key", "loop", "step", "weights", "losses", "evals", "samples", ...}.
_latest = {}


def new_run(key, p, cfg, enc, train_ids, held) -> dict:
    hp = TrainConfig(steps=p["steps"], lr=p["lr"], warmup=max(1, p["steps"] // 10))
    weights = random_weights(cfg, p["seed"])
    held_ids, held_targets = held_out_windows(held, cfg.n_ctx)
    max_loss = 2 * math.log(cfg.n_vocab)  # twice a uniform guess's loss: exploded
    run = {
        "key": key,
        "cfg": cfg,
        "enc": enc,
        "hp": hp,
        "held": (held_ids, held_targets),
        "loop": training_run(weights, cfg, train_ids, hp, N_BATCH, np.random.default_rng(p["seed"]), max_loss),
        "step": 0,
        "weights": weights,
        "losses": [],
        "grad_norms": [],
        "lrs": [],
        "evals": [],
        "samples": [],
        "stopped": None,
    }
    record(run, p["prompt"], p["seed"])
    return run


def record(run: dict, prompt: str, seed: int) -> None:
    """The held-out loss and a sample at the steps that get them."""
    step, cfg = run["step"], run["cfg"]
    if step % EVAL_EVERY == 0 or step == run["hp"].steps:
        run["evals"].append((step, float(mean_loss(run["weights"], cfg, *run["held"]))))
    if step % SAMPLE_EVERY == 0 or step == run["hp"].steps:
        run["samples"].append((step, prompt, sample(cfg, run["weights"], run["enc"], prompt, seed)))


def advance(run: dict, target: int, chunk: int, p: dict) -> int:
    """Run steps until `target` (at most `chunk` of them; 0: no limit) or the run's end; -> steps run."""
    n = 0
    while run["step"] < target and (chunk == 0 or n < chunk) and not run["stopped"]:
        try:
            step, weights, stats = next(run["loop"])
        except StopIteration:
            break
        n += 1
        run["losses"].append(stats["loss"])
        run["grad_norms"].append(stats["grad_norm"])
        run["lrs"].append(stats["lr"])
        run["step"], run["weights"] = step, weights
        if "stopped" in stats:
            run["stopped"] = stats["stopped"]  # its loss stays on the curve (an explosion shows as one)
            break
        record(run, p["prompt"], p["seed"])
    return n


def trained_model():  # -> llm_core.model.Model
    """The trainer's model as it is now, for the console: `from glassbox_widgets.trainer import trained_model`."""
    run = _latest.get("run")
    if run is None:
        raise ValueError("nothing trained yet: press Train in the trainer first")
    return Model(run["cfg"], run["weights"], run["enc"], name=f"the trainer's model after {run['step']} steps")


def to_xy(step, loss, steps, y_top):
    box_w, box_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    y = min(max(loss, 0.0), y_top)
    return round(LEFT + box_w * step / steps, 2), round(TOP + box_h * (1 - y / y_top), 2)


def plot(run: dict, steps: int) -> dict:
    """The loss curves in SVG units: training loss at every step, held-out loss at each evaluation."""
    uniform = math.log(run["cfg"].n_vocab)
    seen = [x for x in run["losses"] + [e for _, e in run["evals"]] if math.isfinite(x)]
    y_top = float(math.ceil(max([uniform + 0.5, *seen[:3]])))  # the start, not an explosion, sets the scale
    y_top = min(y_top, math.ceil(uniform) + 2.0)
    train = [to_xy(i, x, steps, y_top) for i, x in enumerate(run["losses"]) if math.isfinite(x)]
    held = [to_xy(s, x, steps, y_top) for s, x in run["evals"]]
    return {
        **frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM),
        "train": " ".join(f"{x},{y}" for x, y in train),
        "held": " ".join(f"{x},{y}" for x, y in held),
        "held_dots": [{"x": x, "y": y} for x, y in held],
        "uniform": to_xy(0, uniform, steps, y_top)[1],
        "uniform_label": f"ln {run['cfg'].n_vocab} = {fixed(uniform, 2)}: a uniform guess",
        "y_ticks": [{"y": to_xy(0, v, steps, y_top)[1], "label": fixed(v, 0)} for v in np.arange(0, y_top + 0.5, 1.0)],
        "x_ticks": [{"x": to_xy(s, 0, steps, y_top)[0], "label": integer(s)} for s in np.linspace(0, steps, 5)],
        "x_name": "step",
        "y_name": "loss, nats",
    }


def menus() -> dict:
    """The controls' choices, as value and label (the partial renders them; every result carries them)."""
    return {
        "source": [{"value": k, "label": label} for k, (_, label) in TEXTS.items()]
        + [{"value": OWN, "label": "your own text (paste it below)"}],
        "tokenizer": [{"value": k, "label": label} for k, label in TOKENIZERS.items()],
        "d_model": [{"value": str(v), "label": str(v)} for v in D_MODELS],
        "n_layer": [{"value": str(v), "label": str(v)} for v in N_LAYERS],
        "n_head": [{"value": str(v), "label": str(v)} for v in N_HEADS],
        "n_ctx": [{"value": str(v), "label": str(v)} for v in N_CTXS],
        "lr": [
            {"value": f"{v:g}", "label": f"{v:g}" + (" (too high: watch it diverge)" if v > 1 else "")}
            for v in LEARNING_RATES
        ],
        "steps": [{"value": str(v), "label": str(v)} for v in RUN_STEPS],
    }


def problem_result(p: dict, notes: list[str], message: str, text_line: str) -> dict:
    return {
        "problem": message,
        "notes": notes,
        "text_line": text_line,
        "params": p,
        "menus": menus(),
        "done": True,
        "step": 0,
        "next_at": 0,
        "chunk": 0,
    }


def compute(params: dict) -> dict:
    p, notes = read_params(params)
    text, label = the_text(p)
    if not text.strip():
        return problem_result(
            p,
            notes,
            "Nothing to train on: your text is empty. Paste some text (a few thousand characters is plenty) "
            "or pick one of the two shipped texts.",
            "No text yet.",
        )
    enc, ids = tokenize(text, p["tokenizer"])
    text_line = f"{label}: {integer(len(text))} characters, {integer(len(ids))} tokens"
    train_ids, held, problem = split(ids, p["n_ctx"])
    if problem:
        return problem_result(p, notes, problem, text_line + ".")
    cfg = model_config(p, enc.n_vocab)
    key = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), *(p[k] for k in RUN_KEYS))
    run = _latest.get("run")
    if run is None or run["key"] != key or run["step"] > p["at"]:
        run = _latest["run"] = new_run(key, p, cfg, enc, train_ids, held)
    start = time.perf_counter()
    n_run = advance(run, p["at"], p["chunk"], p)
    seconds = time.perf_counter() - start
    done = run["stopped"] is not None or run["step"] >= p["steps"]
    chunk = max(1, min(20, int(CHUNK_FLOPS // step_flops(cfg, N_BATCH, cfg.n_ctx))))
    result = {
        "params": p,
        "menus": menus(),
        "notes": notes,
        "problem": None,
        "text_line": f"{text_line}: {integer(len(train_ids))} to train on, {integer(len(held))} held out "
        "(the last tenth).",
        "model_line": f"Model: {integer(n_params(cfg))} parameters (d_model {cfg.d_model}, {cfg.n_layer} "
        f"layer{'s' if cfg.n_layer > 1 else ''}, {cfg.n_head} query head{'s' if cfg.n_head > 1 else ''} of "
        f"{cfg.d_head} sharing {cfg.n_kv_head} key/value head{'s' if cfg.n_kv_head > 1 else ''}, context "
        f"{cfg.n_ctx}, vocabulary {cfg.n_vocab}); {N_BATCH} windows of {cfg.n_ctx} tokens a step.",
        "step": run["step"],
        "done": done,
        "next_at": min(p["steps"], run["step"] + chunk),
        "chunk": chunk,
        "status": status_line(run, p),
        "stopped": run["stopped"],
        "plot": plot(run, p["steps"]),
        "readouts": readouts(run),
        "samples": [{"step": f"step {integer(s)}", "prompt": q, "text": t} for s, q, t in run["samples"][-6:]],
        "sample_now": {
            "step": f"step {integer(run['step'])}",
            "prompt": p["prompt"],
            "text": sample(cfg, run["weights"], enc, p["prompt"], p["seed"]),
        },
        "console_code": "from glassbox_widgets.trainer import trained_model\nmodel = trained_model()\nmodel",
    }
    if n_run:
        tokens = n_run * N_BATCH * cfg.n_ctx
        flops = n_run * step_flops(cfg, N_BATCH, cfg.n_ctx)
        result["measured"] = {
            "tokens_per_s": tokens / seconds,
            "steps_per_s": n_run / seconds,
            "gflops": flops / seconds / 1e9,
            "line": f"{integer(tokens / seconds)} tokens/s ({fixed(n_run / seconds, 1)} steps/s, "
            f"{fixed(flops / seconds / 1e9, 2)} GFLOP/s) over the last {n_run} step{'s' if n_run > 1 else ''}.",
        }
    return result


RUN_KEYS = ("tokenizer", "d_model", "n_layer", "n_head", "n_ctx", "lr", "steps", "seed")


def status_line(run: dict, p: dict) -> str:
    if run["stopped"]:
        return (
            f"Stopped at step {integer(len(run['losses']))}: {run['stopped']}. The weights after step "
            f"{integer(run['step'])}, the last whose loss was fine, are kept. Try a smaller learning rate."
        )
    if run["step"] >= p["steps"]:
        return f"Finished: {integer(run['step'])} steps, {count(run['step'] * N_BATCH * p['n_ctx'])} tokens read."
    if run["step"] == 0:
        return f"Untrained: step 0 of {integer(p['steps'])}. Press Train."
    return f"Step {integer(run['step'])} of {integer(p['steps'])}."


def number(x: float, unit: str = "") -> str:
    return "not a number" if math.isnan(x) else "infinite" if math.isinf(x) else fixed(x, 3) + unit


def readouts(run: dict) -> list[dict]:
    """The latest numbers, as label and value."""
    rows = []
    if run["losses"]:
        rows.append({"label": "training loss", "value": number(run["losses"][-1], " nats")})
    rows.append({"label": "held-out loss", "value": number(run["evals"][-1][1], " nats")})
    if run["grad_norms"]:
        rows.append({"label": "gradient norm", "value": number(run["grad_norms"][-1])})
        rows.append({"label": "learning rate", "value": sci(run["lrs"][-1], 1)})
    return rows
