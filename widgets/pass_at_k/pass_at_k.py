"""pass@k and majority voting: two ways to spend more samples on one question, and what the samples cost.

Three panels, all computed by llm_core. (1) From n sampled answers of which c are right,
`llm_core.reasoning.pass_at_k` gives the unbiased pass@k (Chen et al. 2021) for every k, beside the plug-in
1 - (1 - c/n)^k, which overestimates it. (2) If each sample is right with probability p and a mistake is one
of a few wrong answers, `majority_accuracy` gives the chance that a majority vote of m samples is right, beside
1 - (1 - p)^m, the chance that at least one of them is (what a perfect checker could pick out). (3) Sampling
m answers of L tokens from a real model on a real accelerator: `llm_core.serving.simulate`'s roofline upper
bounds, one answer alone and all m decoded together as a batch, and the rental cost at a price the reader sets.
"""

import functools

from llm_core.configs import CONFIGS, parameter_count, weights_bytes
from llm_core.controls import as_choice, as_int, as_number
from llm_core.kv_cache import kv_bytes_per_token
from llm_core.reasoning import majority_accuracy, pass_at_k
from llm_core.serving import HARDWARE, simulate
from widgetlib.fmt import fixed, integer, percent

MAX_N, MAX_VOTES = 200, 64
MAX_TOKENS = 16_000
PROMPT_TOKENS = 200  # the question, read once per answer (no prefix caching assumed)
WRONG = {
    1: "all the same wrong answer",
    3: "one of 3 wrong answers",
    10: "one of 10 wrong answers",
    "different": "all different (no two agree)",
}
# Plot box in SVG user units (the SVG scales to its container; the view only places these numbers).
WIDTH, HEIGHT = 360, 190
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 34

DEFAULTS = {
    "n": 20,
    "c": 3,
    "k": 5,
    "p": 0.4,
    "m": 16,
    "wrong": 3,
    "model": "llama-3-8b",
    "hardware": "h100-sxm",
    "tokens": 2000,
    "price": 2.0,
}
EXAMPLES = [
    {"n": 200, "c": 1, "k": 100, "p": 0.3, "m": 64, "wrong": 1, "model": "llama-3-70b", "hardware": "a100-80gb"},
    {"n": 5, "c": 5, "k": 1, "p": 1, "m": 1, "wrong": "different", "tokens": 16000, "price": 0},
    {"n": 1, "c": 0, "k": 1, "p": 0, "m": 2, "wrong": 10, "model": "gpt2", "hardware": "laptop-m2", "tokens": 1},
]
DATA: list[str] = []
CODE = [
    "llm_core.reasoning.pass_at_k",
    "llm_core.reasoning.majority_accuracy",
    "llm_core.reasoning.majority_vote",
    "llm_core.serving.simulate",
]


def read_params(params: dict) -> tuple:
    p = {**DEFAULTS, **params}
    notes = []
    out = {"n": as_int("n (samples)", p["n"], 1, MAX_N)}
    out["c"] = as_int("c (right samples)", p["c"], 0, MAX_N)
    out["k"] = as_int("k", p["k"], 1, MAX_N)
    if out["c"] > out["n"]:
        notes.append(f"At most all {out['n']} samples can be right: c is taken as {out['n']}.")
        out["c"] = out["n"]
    if out["k"] > out["n"]:
        notes.append(f"k cannot exceed the {out['n']} samples drawn: k is taken as {out['n']}.")
        out["k"] = out["n"]
    out["p"] = as_number("p (chance one sample is right)", p["p"], 0.0, 1.0)
    out["m"] = as_int("m (votes)", p["m"], 1, MAX_VOTES)
    wrong = as_choice("wrong answers", p["wrong"], list(WRONG))
    out["wrong"] = next(key for key in WRONG if key == wrong)  # the menu's "3" arrives as 3 (or 3.0): the key
    out["model"] = as_choice("model", p["model"], list(CONFIGS))
    out["hardware"] = as_choice("hardware", p["hardware"], list(HARDWARE))
    out["tokens"] = as_int("tokens per answer", p["tokens"], 1, MAX_TOKENS)
    out["price"] = as_number("price per GPU-hour", p["price"], 0.0, 1000.0)
    return out, notes


def to_svg(i: int, n_points: int, y: float) -> list:
    """Point i of n_points along x (evenly), value y in [0, 1] -> [x, y] in SVG units."""
    x = LEFT + (i / max(n_points - 1, 1)) * (WIDTH - LEFT - RIGHT)
    return [round(x, 2), round(TOP + (1 - y) * (HEIGHT - TOP - BOTTOM), 2)]


def plot(series: list, at: int, x_name: str) -> dict:
    """Curves over x = 1 .. len(values): polylines, a marker on each at x = at, ticks, in SVG units."""
    n = len(series[0]["values"])
    ticks = sorted({1, n, *[v for v in (2, 5, 10, 20, 50, 100, 200) if v < n and v * 8 > n]})
    return {
        "lines": [
            {
                "class": s["class"],
                "label": s["label"],
                "points": " ".join("{:.2f},{:.2f}".format(*to_svg(i, n, v)) for i, v in enumerate(s["values"])),
                "marker": to_svg(at - 1, n, s["values"][at - 1]),
            }
            for s in series
        ],
        "x": [{"at": to_svg(t - 1, n, 0)[0], "label": str(t)} for t in ticks],
        "y": [
            {"at": to_svg(0, n, y)[1], "text_y": round(to_svg(0, n, y)[1] + 4, 2), "label": percent(y, 0)}
            for y in (0, 0.25, 0.5, 0.75, 1)
        ],
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "x_text_y": HEIGHT - BOTTOM + 14,
        "y_text_x": LEFT - 5,
        "name_y": HEIGHT - 3,
        "x_name": x_name,
        "viewbox": f"0 0 {WIDTH} {HEIGHT}",
    }


def seconds(t: float) -> str:
    """A duration for a reader: 16.2 ms, 9.81 s, 2.6 min, 1.4 h."""
    if t < 1:
        return f"{fixed(t * 1e3, 1)} ms"
    if t < 120:
        return f"{fixed(t, 2 if t < 10 else 1)} s"
    return f"{fixed(t / 60, 1)} min" if t < 7200 else f"{fixed(t / 3600, 1)} h"


def dollars(x: float) -> str:
    """Money for a reader: $0, <$0.0001, $0.0054, $0.086, $4.94."""
    if x == 0 or x >= 1:
        return f"${fixed(x, 2)}" if x else "$0"
    return "<$0.0001" if x < 0.00005 else f"${fixed(x, 4)}" if x < 0.01 else f"${fixed(x, 3)}"


def plural(n: int, word: str) -> str:
    return f"{integer(n)} {word}{'' if n == 1 else 's'}"


def pass_sentence(n: int, c: int, k: int, unbiased: float, plug_in: float) -> str:
    text = (
        f"pass@{k} = {percent(unbiased)}: the chance that a draw of {plural(k, 'answer')} from these {n} holds "
        f"a right one ({c} of {n} are right). The plug-in 1 − (1 − c/n)^k gives {percent(plug_in)}"
    )
    if plug_in < unbiased - 1e-12:  # always lower or equal: f(p) = 1 - (1 - p)^k is concave (Jensen)
        return text + (
            ", lower: it draws with replacement, as if one sample could be drawn twice, and "
            "averaged over questions it underestimates pass@k."
        )
    return text + "."


def vote_sentence(p: float, m: int, wrong: str, majority: float, any_right: float) -> str:
    if m == 1:
        return f"With 1 vote there is nothing to vote on: right {percent(majority)} of the time, as one sample."
    return (
        f"With {m} votes, mistakes {wrong}: the majority is right {percent(majority)} of the time (one sample: "
        f"{percent(p)}). At least one of the {m} is right {percent(any_right)} of the time, but only a "
        "checker could pick it out."
    )


@functools.lru_cache(maxsize=128)  # keyed by two controls: bounded; moving n, c, k or the cost's controls reuses it
def vote_curve(
    p: float, wrong: int | None
) -> tuple[float, ...]:  # -> [MAX_VOTES]: P(majority right) for m = 1..MAX_VOTES
    return tuple(majority_accuracy(p, m, wrong) for m in range(1, MAX_VOTES + 1))


@functools.lru_cache(maxsize=64)  # keyed by the cost's controls: bounded
def decode_runs(model: str, hardware: str, n_out: int, m: int) -> tuple[dict, dict]:
    """serving.simulate for one answer and for m answers batched (each a decode step per token)."""
    cfg, hw = CONFIGS[model], HARDWARE[hardware]
    n_params = parameter_count(cfg)["total"]
    w_bytes, kv = weights_bytes(cfg, bits=16), kv_bytes_per_token(cfg, 2)
    return (
        simulate(n_params, w_bytes, kv, PROMPT_TOKENS, n_out, 1, hw),
        simulate(n_params, w_bytes, kv, PROMPT_TOKENS, n_out, m, hw),
    )


def cost(p: dict) -> dict:
    """The time and rental cost of one answer of p['tokens'] tokens, and of m answers batched together."""
    cfg, hw = CONFIGS[p["model"]], HARDWARE[p["hardware"]]
    notes = []
    n_out = min(p["tokens"], cfg.n_ctx - PROMPT_TOKENS)
    if n_out < p["tokens"]:
        notes.append(
            f"{cfg.name} reads at most {integer(cfg.n_ctx)} positions: each answer stops at "
            f"{integer(n_out)} tokens after the {PROMPT_TOKENS}-token question."
        )
    one, batch = decode_runs(p["model"], p["hardware"], n_out, p["m"])
    if not batch["fits"]:
        notes.append(
            f"Weights and {p['m']} KV caches need {fixed(batch['memory_bytes'] / 1e9, 1)} GB, more than the "
            f"{fixed(hw.memory / 1e9, 0)} GB of one {hw.name}: this would be split across several."
        )
    per_s = p["price"] / 3600
    rows = [
        {
            "label": "One answer",
            "tokens": n_out,
            "seconds": one["total_seconds"],
            "dollars": one["total_seconds"] * per_s,
        },
        {
            "label": f"{p['m']} answers, one after another",
            "tokens": p["m"] * n_out,
            "seconds": p["m"] * one["total_seconds"],
            "dollars": p["m"] * one["total_seconds"] * per_s,
        },
        {
            "label": f"{p['m']} answers decoded together",
            "tokens": p["m"] * n_out,
            "seconds": batch["total_seconds"],
            "dollars": batch["total_seconds"] * per_s,
        },
    ]
    for r in rows:
        r["cells"] = [integer(r["tokens"]), seconds(r["seconds"]), dollars(r["dollars"])]
    decode_rate = (n_out - 1) / (one["total_seconds"] - one["ttft"]) if n_out > 1 else None
    return {
        "model": cfg.name,
        "hardware": hw.name,
        "hardware_source": hw.source,
        "n_out": n_out,
        "ttft": one["ttft"],
        "decode_tokens_per_s": decode_rate,
        "rows": rows,
        "intro": (
            f"{cfg.name} in 16-bit weights on one {hw.name}, a {PROMPT_TOKENS}-token question: first token after "
            f"{seconds(one['ttft'])}, then "
            + (f"at most {fixed(decode_rate, 0)} tokens/s" if decode_rate else "nothing more")
            + f" (roofline upper bounds). At {dollars(p['price'])} per GPU-hour:"
        ),
        "notes": notes,
    }


def compute(params: dict) -> dict:
    p, notes = read_params(params)
    n, c, k, m = p["n"], p["c"], p["k"], p["m"]
    wrong = None if p["wrong"] == "different" else int(p["wrong"])
    unbiased = [pass_at_k(n, c, j) for j in range(1, n + 1)]
    plug_in = [1 - (1 - c / n) ** j for j in range(1, n + 1)]  # the biased estimate Chen et al. warn against
    votes = vote_curve(p["p"], wrong)
    any_right = [1 - (1 - p["p"]) ** j for j in range(1, MAX_VOTES + 1)]
    spend = cost(p)
    return {
        "params": p,
        "readouts": {"n": str(n), "c": str(c), "k": str(k), "p": fixed(p["p"], 2), "m": str(m)},
        "pass_at_k": unbiased[k - 1],
        "plug_in": plug_in[k - 1],
        "pass_at_1": unbiased[0],
        "pass_text": pass_sentence(n, c, k, unbiased[k - 1], plug_in[k - 1]),
        "pass_plot": plot(
            [
                {"class": "pk-unbiased", "label": "pass@k, unbiased", "values": unbiased},
                {"class": "pk-plugin", "label": "plug-in 1 − (1 − c/n)^k", "values": plug_in},
            ],
            k,
            "k",
        ),
        "majority": votes[m - 1],
        "any_right": any_right[m - 1],
        "vote_text": vote_sentence(p["p"], m, WRONG[p["wrong"]], votes[m - 1], any_right[m - 1]),
        "vote_plot": plot(
            [
                {"class": "pk-unbiased", "label": "majority vote right", "values": list(votes)},
                {"class": "pk-plugin", "label": "at least one right, 1 − (1 − p)^m", "values": any_right},
            ],
            m,
            "m (votes)",
        ),
        "cost": spend,
        "wrong_options": [{"value": str(key), "label": label} for key, label in WRONG.items()],
        "model_options": [{"value": key, "label": cfg.name} for key, cfg in CONFIGS.items()],
        "hardware_options": [{"value": key, "label": hw.name} for key, hw in HARDWARE.items()],
        "note": " ".join(notes + spend["notes"]) or None,
    }
