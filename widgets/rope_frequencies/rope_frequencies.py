"""RoPE frequencies: how fast each pair turns, and what stretching the context does to it.

For a model's d_head and RoPE base, `llm_core.rope.rope_frequencies` gives each pair's angle per
position and `rope_wavelengths` the tokens per full turn. Pairs whose wavelength is longer than the
context the model was trained on never completed a turn in training: they only ever saw a slice of the
circle. To read `factor` times more tokens, position interpolation ("linear", Chen et al. 2023,
arXiv:2306.15595) divides every frequency by factor, and NTK-aware scaling ("ntk") raises the base so
the fast pairs keep their speed and the slowest is slowed by factor. `unseen_angle_pairs` says which
pairs then reach angles they never reached in training, for no scaling and for both schemes.
"""

import math

from llm_core.configs import CONFIGS
from llm_core.controls import as_choice, as_number
from llm_core.rope import rope_frequencies, rope_wavelengths, unseen_angle_pairs
from widgetlib.fmt import fixed, integer
from widgetlib.model import tiny_config

MAX_FACTOR = 32.0
MODELS = ["tiny", "llama-2-7b", "llama-3-8b", "qwen2.5-7b"]  # "tiny" is Glassbox's model; others from CONFIGS
SCHEMES = [("none", None, "no scaling"), ("linear", "linear", "position interpolation"), ("ntk", "ntk", "NTK-aware")]
NAMES = {"none": "No scaling", "linear": "Position interpolation", "ntk": "NTK-aware"}
# Chart box in SVG user units (the view only places these numbers).
WIDTH, HEIGHT = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 30

DEFAULTS = {"model": "tiny", "factor": 4}
EXAMPLES = [{"factor": 1}, {"model": "llama-2-7b", "factor": 8}, {"model": "qwen2.5-7b", "factor": "32"}]
DATA = ["models/tiny/config.json"]
CODE = [
    "llm_core.rope.rope_frequencies",
    "llm_core.rope.rope_wavelengths",
    "llm_core.rope.unseen_angle_pairs",
]


def model_shape(key: str) -> dict:
    """d_head, RoPE base and trained context of the tiny model or a config from llm_core.configs."""
    if key == "tiny":
        cfg = tiny_config()
        return {
            "name": "Glassbox tiny model",
            "d_head": cfg.d_head,
            "base": cfg.rope_base,
            "n_ctx": cfg.n_ctx,
            "source": "models/tiny/config.json",
        }
    cfg = CONFIGS[key]
    return {"name": cfg.name, "d_head": cfg.d_head, "base": cfg.rope_base, "n_ctx": cfg.n_ctx, "source": cfg.source}


def wave_text(tokens: float) -> str:
    """A wavelength for the table: 6.3, 35.3, 1,413."""
    return f"{tokens:.1f}" if tokens < 100 else f"{tokens:,.0f}"


def marker(scheme: str, x: float, y: float) -> dict:
    """A point's marker as SVG attributes: a circle (no scaling), a square (linear), a diamond (NTK)."""
    if scheme == "none":
        return {"cx": x, "cy": y, "r": 3}
    if scheme == "linear":
        return {"x": round(x - 3, 2), "y": round(y - 3, 2), "width": 6, "height": 6}
    return {"d": f"M{x:g} {round(y - 4, 2):g}l4 4l-4 4l-4 -4z"}


def chart(waves: dict, unseen: dict, n_ctx: int, n_ctx_new: int) -> dict:
    """Wavelengths on a log scale against the pair index, with the two context lengths as lines."""
    top = max(max(w) for w in waves.values())
    decades = (0, max(1, math.ceil(math.log10(max(top, n_ctx_new)) + 1e-9)))
    n_pairs = len(waves["none"])

    def x(i):
        return round(LEFT + (i + 0.5) / n_pairs * (WIDTH - LEFT - RIGHT), 2)

    def y(value):
        frac = (math.log10(value) - decades[0]) / (decades[1] - decades[0])
        return round(TOP + (1 - frac) * (HEIGHT - TOP - BOTTOM), 2)

    step = 1 if decades[1] <= 5 else 2
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "tick_x": LEFT - 4,
        "x_tick_y": HEIGHT - BOTTOM + 12,  # where the y ticks end and the x ticks hang
        "note_x": LEFT + 4,
        "title_y": TOP + 8,  # the axis title and the context lines' labels
        "axis_x": (LEFT + WIDTH - RIGHT) / 2,
        "axis_y": HEIGHT - 2,
        "y_ticks": [
            {"at": y(10.0**d), "text_y": round(y(10.0**d) + 3, 2), "label": f"{10**d:,}"}
            for d in range(decades[0], decades[1] + 1, step)
        ],
        "x_ticks": [{"at": x(i), "label": str(i)} for i in sorted({0, n_pairs // 2, n_pairs - 1})],
        "lines": [
            {"at": y(at), "text_y": round(y(at) - 3, 2), "label": label}
            for at, label in (
                [(n_ctx, f"{n_ctx:,} trained"), (n_ctx_new, f"{n_ctx_new:,} new")]
                if n_ctx_new > n_ctx
                else [(n_ctx, f"{n_ctx:,} trained and new")]
            )
        ],
        "series": [
            {
                "scheme": key,
                "shape": {"none": "circle", "linear": "rect", "ntk": "path"}[key],
                "points": [
                    {"x": x(i), "y": y(w), "unseen": bool(unseen[key][i]), "marker": marker(key, x(i), y(w))}
                    for i, w in enumerate(waves[key])
                ],
            }
            for key, _, _ in SCHEMES
        ],
    }


def compute(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    key = as_choice("model", p["model"], MODELS)
    factor = as_number("factor", p["factor"], 1.0, MAX_FACTOR)
    shape = model_shape(key)
    d_head, base, n_ctx = shape["d_head"], shape["base"], shape["n_ctx"]
    n_ctx_new = round(n_ctx * factor)

    plain = rope_frequencies(d_head, base)
    freqs = {name: rope_frequencies(d_head, base, scaling=scaling, factor=factor) for name, scaling, _ in SCHEMES}
    waves = {name: rope_wavelengths(f) for name, f in freqs.items()}
    unseen = {name: unseen_angle_pairs(plain, f, n_ctx, n_ctx_new) for name, f in freqs.items()}
    seen_max = n_ctx * plain  # the largest angle each pair reached in training, radians
    rows = []
    for i in range(d_head // 2):
        row = {
            "pair": i,
            "freq": float(plain[i]),
            "freq_text": f"{plain[i]:.3g}",
            "partial": bool(seen_max[i] < 2 * math.pi),
        }
        for name, _, _ in SCHEMES:
            reached = n_ctx_new * freqs[name][i]
            row[name] = {
                "wavelength": float(waves[name][i]),
                "text": wave_text(waves[name][i]),
                "unseen": bool(unseen[name][i]),
                "overshoot": float(reached / seen_max[i]),
            }  # > 1: past the largest angle seen
        rows.append(row)
    n_pairs, n_partial = d_head // 2, sum(r["partial"] for r in rows)
    ntk_base = base * factor ** (d_head / (d_head - 2))
    how = {
        "none": "",
        "linear": f" (every frequency ÷ {factor:g})",
        "ntk": f" (base {integer(round(base))} → {integer(round(ntk_base))})",
    }
    schemes = []
    for name, _, label in SCHEMES:
        n_unseen = int(unseen[name].sum())
        worst = max(r[name]["overshoot"] if r[name]["unseen"] else 1.0 for r in rows)
        fastest_step = float(freqs[name][0])
        text = (
            f"{how[name]}: {n_unseen} pair{'' if n_unseen == 1 else 's'} reach{'es' if n_unseen == 1 else ''} "
            "angles never seen in training"
            + (f", up to {fixed(worst, 2)}× the largest one seen" if n_unseen else "")
            + f". Pair 0 turns {fixed(fastest_step, 3)} radians per token."
        )
        schemes.append(
            {
                "key": name,
                "label": label,
                "name": NAMES[name],
                "n_unseen": n_unseen,
                "worst": worst,
                "fastest_step": fastest_step,
                "text": text,
            }
        )
    return {
        "model": shape,
        "n_pairs": n_pairs,
        "n_ctx_new": n_ctx_new,
        "n_partial": n_partial,
        "schemes": schemes,
        "ntk_base": ntk_base,
        "intro": (
            f"{shape['name']}: d_head {d_head}, so {n_pairs} pairs; RoPE base {integer(round(base))}; trained "
            f"context {integer(n_ctx)} tokens. "
        ),
        "partial_text": f"{n_partial} of {n_pairs}",
        "partial_tail": (
            f" pairs turn less than once in {integer(n_ctx)} tokens, so in training they only ever saw "
            "part of their circle."
        ),
        "new_context": f"{integer(n_ctx_new)} tokens",
        "factor_text": f"{factor:g}×",
        "rows": rows,
        "chart": chart(waves, unseen, n_ctx, n_ctx_new),
        "params": {"model": key, "factor": factor},
    }
