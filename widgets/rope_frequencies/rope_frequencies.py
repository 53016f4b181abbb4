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
from llm_core.model import ModelConfig, read_model_file
from llm_core.rope import rope_frequencies, rope_wavelengths, unseen_angle_pairs

MAX_FACTOR = 32.0
MODELS = ["tiny", "llama-2-7b", "llama-3-8b", "qwen2.5-7b"]  # "tiny" is Glassbox's model; others from CONFIGS
SCHEMES = [("none", None, "no scaling"), ("linear", "linear", "position interpolation"),
           ("ntk", "ntk", "NTK-aware")]
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
        cfg = ModelConfig.from_json(read_model_file("models/tiny", "config.json"))
        return {"name": "Glassbox tiny model", "d_head": cfg.d_head, "base": cfg.rope_base, "n_ctx": cfg.n_ctx,
                "source": "models/tiny/config.json"}
    cfg = CONFIGS[key]
    return {"name": cfg.name, "d_head": cfg.d_head, "base": cfg.rope_base, "n_ctx": cfg.n_ctx,
            "source": cfg.source}


def wave_text(tokens: float) -> str:
    """A wavelength for the table: 6.3, 35.3, 1,413."""
    return f"{tokens:.1f}" if tokens < 100 else f"{tokens:,.0f}"


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
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "y_ticks": [{"at": y(10.0 ** d), "label": f"{10 ** d:,}"} for d in range(decades[0], decades[1] + 1, step)],
        "x_ticks": [{"at": x(i), "label": str(i)} for i in sorted({0, n_pairs // 2, n_pairs - 1})],
        "lines": ([{"at": y(n_ctx), "label": f"{n_ctx:,} trained"}, {"at": y(n_ctx_new), "label": f"{n_ctx_new:,} new"}]
                  if n_ctx_new > n_ctx else [{"at": y(n_ctx), "label": f"{n_ctx:,} trained and new"}]),
        "series": [{"scheme": key, "points": [{"x": x(i), "y": y(w), "unseen": bool(unseen[key][i])}
                                              for i, w in enumerate(waves[key])]} for key, _, _ in SCHEMES],
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
        row = {"pair": i, "freq": float(plain[i]), "freq_text": f"{plain[i]:.3g}",
               "partial": bool(seen_max[i] < 2 * math.pi)}
        for name, _, _ in SCHEMES:
            reached = n_ctx_new * freqs[name][i]
            row[name] = {"wavelength": float(waves[name][i]), "text": wave_text(waves[name][i]),
                         "unseen": bool(unseen[name][i]),
                         "overshoot": float(reached / seen_max[i])}  # > 1: past the largest angle seen
        rows.append(row)
    return {
        "model": shape,
        "n_pairs": d_head // 2,
        "n_ctx_new": n_ctx_new,
        "n_partial": sum(r["partial"] for r in rows),
        "schemes": [{"key": name, "label": label, "n_unseen": int(unseen[name].sum()),
                     "worst": max(r[name]["overshoot"] if r[name]["unseen"] else 1.0 for r in rows),
                     "fastest_step": float(freqs[name][0])} for name, _, label in SCHEMES],
        "ntk_base": base * factor ** (d_head / (d_head - 2)),
        "rows": rows,
        "chart": chart(waves, unseen, n_ctx, n_ctx_new),
        "params": {"model": key, "factor": factor},
    }
