"""Speculative decoding: Glassbox's draft model guesses k tokens, the tiny model checks them in one pass.

`llm_core.speculative.speculative_generate` runs draft-and-verify rounds with the draft model
(models/draft/: 2 layers, d_model 64, trained by scripts/train.py on the same corpus with the tiny model's
own vocabulary) proposing and the tiny model (6 layers, d_model 128) verifying. Each round is shown: the
drafted tokens, which were kept (each with probability min(1, p/q)), the rejected one and the token that
replaced it, or the bonus token when all were kept.

The numbers under the rounds are counted, not timed: the measured acceptance rate (kept / drafted) and
the one the two models' distributions predict (the mean of sum min(p, q) over the drafted positions), the
tokens per target pass against the closed form (1 - a^(k+1)) / (1 - a) at the measured rate, and the
speed-up, tokens / (target passes + c draft passes), where c is the draft's cost per token over the
target's, counted as the multiply-adds of their weight matrices. That assumes a pass over k + 1 tokens
costs what a pass over one does, as when decoding is limited by reading the weights (a GPU serving a big
model); the widget says so. At temperature 0 the target's own greedy text is generated too, and compared
token for token.
"""

import functools

from llm_core.controls import as_int, as_text
from llm_core.model import Model, ModelConfig, n_params
from llm_core.model_files import load_weights, read_model_file
from llm_core.speculative import expected_speedup, expected_tokens_per_pass, speculative_generate
from widgetlib.fmt import fixed, percent
from widgetlib.sampling import read_sampling
from widgetlib.model import TINY_FILES, chip, tiny
from widgetlib.prompt import prompt_ids

DRAFT = "models/draft"
MAX_PROMPT_CHARS = 2_000
MAX_NEW_TOKENS = 48
MAX_K = 8
SHOWN_PROMPT = 24  # prompt tokens shown before the rounds
N_COLOURS = 5  # the rounds' tokens cycle through the site's five token colours (tokens.css)
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids, counts and flags exactly).
REL_TOL = 1e-3

DEFAULTS = {"prompt": "The President of the United States", "n_tokens": 32, "k": 2, "temperature": 1.0, "seed": 0}
EXAMPLES = [
    {"temperature": 0, "k": 8},
    {"prompt": "I ask the Congress to", "k": 1, "temperature": 0.7, "seed": 5, "n_tokens": 20},
    {"prompt": "", "k": 3, "temperature": 2, "n_tokens": 6, "seed": 9},
]
DATA = TINY_FILES + [f"{DRAFT}/config.json", f"{DRAFT}/weights.npz"]
CODE = [
    "llm_core.speculative.speculative_generate",
    "llm_core.speculative.speculative_round",
    "llm_core.speculative.verify",
    "llm_core.speculative.acceptance_probability",
    "llm_core.speculative.residual_distribution",
    "llm_core.speculative.expected_tokens_per_pass",
    "llm_core.speculative.expected_speedup",
]


@functools.cache
def draft() -> Model:
    """The draft model, with the tiny model's tokenizer (the vocabulary is the same, byte for byte)."""
    cfg = ModelConfig.from_json(read_model_file(DRAFT, "config.json"))
    weights = load_weights(read_model_file(DRAFT, "weights.npz"))
    return Model(cfg, weights, tiny().encoding, name="Glassbox's draft model")


def matrix_flops(cfg) -> int:
    """Multiply-adds per token in the weight matrices, times 2: every parameter but the norm gains."""
    return 2 * (n_params(cfg) - (2 * cfg.n_layer + 1) * cfg.d_model)


def read_params(params: dict):  # -> params, note
    p = {**DEFAULTS, **params}
    prompt, note = as_text("prompt", p["prompt"], MAX_PROMPT_CHARS)
    return {
        "prompt": prompt,
        "n_tokens": as_int("n_tokens", p["n_tokens"], 1, MAX_NEW_TOKENS),
        "k": as_int("k", p["k"], 1, MAX_K),
        **read_sampling(p, ("temperature", "seed")),
    }, note


def p_q(check: dict) -> str:
    """The two models' probabilities of a drafted token (a possible token never shows as 0%)."""
    return f"p {percent(check['p'])} · q {percent(check['q'])}"


def round_view(r: dict, index: int) -> dict:
    """One round: its drafted tokens with their fate, and the token the target's pass added."""
    drafted = []
    for check in r["checks"]:
        if check["accepted"] is None:
            drafted.append(chip(check["token"], status="unchecked", label="not checked"))
        else:
            status = "accepted" if check["accepted"] else "rejected"
            drafted.append(chip(check["token"], status=status, label=p_q(check)))
    kind = "replacement" if r["replaced"] else "bonus" if r["drafted"] else "plain"
    added = chip(r["tokens"][-1], kind=kind)
    n = len(r["tokens"])
    verdicts = {
        "replacement": f"draft {r['n_accepted'] + 1} rejected, replaced",
        "bonus": f"all {len(r['drafted'])} kept, plus a bonus token",
        "plain": "one token left: a plain step",
    }
    return {
        "round": index + 1,
        "drafted": drafted,
        "added": added,
        "kind": kind,
        "summary": f"{verdicts[kind]}: {n} token{'s' if n > 1 else ''} for one target pass",
    }


def compute(params: dict) -> dict:
    p, note = read_params(params)
    target, small = tiny(), draft()
    ids, notes = prompt_ids(target, p["prompt"], p["n_tokens"], MAX_PROMPT_CHARS)
    notes = ([note] if note else []) + notes
    n, k, temperature = p["n_tokens"], p["k"], p["temperature"]
    out = speculative_generate(target, small, ids, n, k=k, temperature=temperature, rng=p["seed"])

    drafted, accepted, passes = out["drafted"], out["accepted"], out["target_passes"]
    # a draft after a rejection is never tested: the rate is kept / tested, as the closed form's a is
    checked = sum(c["accepted"] is not None for r in out["rounds"] for c in r["checks"])
    rate = accepted / checked if checked else 0.0
    alphas = [a for r in out["rounds"] for a, c in zip(r["alphas"], r["checks"]) if c["accepted"] is not None]
    predicted = sum(alphas) / len(alphas) if alphas else 0.0
    per_pass = n / passes
    closed_per_pass = expected_tokens_per_pass(rate, k)
    cost = matrix_flops(small.cfg) / matrix_flops(target.cfg)  # c: one draft token over one target token
    speedup = n / (passes + cost * out["draft_passes"])
    closed_speedup = expected_speedup(rate, k, cost)

    greedy = None
    if temperature == 0:  # the target alone, greedy: speculative decoding must give exactly these tokens
        plain = target.generate(ids, n, temperature=0)["new_ids"]
        same = plain == out["new_ids"]
        greedy = {
            "identical": same,
            "text": (
                "Identical to the tiny model's own greedy text, token for token."
                if same
                else "Different from the tiny model's own greedy text: two of its logits were so close that "
                "float rounding in the batched pass swapped them."
            ),
            "tokens": [chip(t) for t in plain],
        }

    colours = [i % N_COLOURS for i, r in enumerate(out["rounds"]) for _ in r["tokens"]]
    text = {
        "rate": (
            f"Drafted {drafted}, tested {checked} (a draft after a rejection is never tested), kept {accepted}: a "
            f"measured acceptance rate of {percent(rate)}. The two models' distributions predict "
            f"{percent(predicted)} (the mean over the tested positions of Σ min(p, q), the chance a draft is kept)."
        ),
        "per_pass": (
            f"{n} tokens in {passes} target passes: {fixed(per_pass, 2)} tokens per pass, against 1 for plain "
            f"decoding. The closed form (1 − a^(k+1)) / (1 − a) at a = {percent(rate)} and k = {k} gives "
            f"{fixed(closed_per_pass, 2)} (the last round drafts only what is left)."
        ),
        "speedup": (
            f"A draft token costs c = {fixed(cost, 3)} of a target token ({fixed(matrix_flops(small.cfg) / 1e6, 2)} "
            f"against {fixed(matrix_flops(target.cfg) / 1e6, 2)} million operations in the weight matrices, "
            f"counted). Counting {passes} target passes and {out['draft_passes']} draft passes: a speed-up of "
            f"{fixed(speedup, 2)}× over plain decoding; Leviathan et al.'s closed form "
            f"(1 − a^(k+1)) / ((1 − a)(k c + 1)) gives {fixed(closed_speedup, 2)}×. Both assume a pass over "
            f"{k + 1} tokens costs what a pass over one does: true where decoding waits on reading the weights "
            f"(a big model on a GPU), not in this page's numpy."
        ),
    }
    return {
        "prompt_tokens": [chip(i) for i in ids[-SHOWN_PROMPT:]],
        "more_prompt": len(ids) > SHOWN_PROMPT,
        "rounds": [round_view(r, i) for i, r in enumerate(out["rounds"])],
        "tokens": [chip(t, colour=c) for t, c in zip(out["new_ids"], colours)],
        "new_ids": out["new_ids"],
        "greedy": greedy,
        "counts": {
            "drafted": drafted,
            "checked": checked,
            "accepted": accepted,
            "target_passes": passes,
            "draft_passes": out["draft_passes"],
        },
        "acceptance_rate": rate,
        "predicted_rate": predicted,
        "tokens_per_pass": per_pass,
        "closed_tokens_per_pass": closed_per_pass,
        "cost_ratio": cost,
        "speedup": speedup,
        "closed_speedup": closed_speedup,
        "text": text,
        "shown": {"n_tokens": str(n), "k": str(k), "temperature": fixed(temperature, 2)},
        "params": p,
        "note": " ".join(notes) or None,
    }
