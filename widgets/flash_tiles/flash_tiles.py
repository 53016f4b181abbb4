"""FlashAttention's tiles on one real attention head: which are computed, which skipped, and one row converging.

The reader's text runs through the tiny model once (`forward(..., trace=True)`, in float64, as in
attention_head). One head's q and its key/value head's k and v (after RoPE) go through
`llm_core.flash_attention.flash_attention` in square tiles of `block` positions, and through plain
`scaled_dot_product_attention` with the causal mask; the figure says how far apart the two are.

The grid has one cell per tile of the n_seq x n_seq score matrix: computed in full, on the diagonal (computed,
part masked) or skipped (every key after every query). The chosen query token's row of tiles is stepped
through with the "tiles processed" slider: after each tile, the row's running max m, the rescale factor
e^(m_old - m), the running sum l and the partial output acc / l, with its distance from the exact output.

The memory panel is arithmetic on a real configuration, Llama 3 8B (llm_core.configs): one layer's 32 query
heads of d_head = 128 in 16-bit numbers, at a sequence length up to 128K tokens. It compares the score matrix
plain attention writes with the tiles FlashAttention holds at once (128 x 128 tiles), and the HBM traffic of
Dao et al.'s Algorithms 0 and 1 (`hbm_accesses`), with the paper's "M around 100KB" of on-chip memory read
as 100,000 numbers, as its comparison of M with d^2 does (section 3.2).
"""

import functools
import math

import numpy as np

from llm_core.attention import causal_mask, scaled_dot_product_attention
from llm_core.configs import CONFIGS
from llm_core.controls import as_int, as_text
from llm_core.flash_attention import FULL, SKIPPED, attention_memory, flash_attention, hbm_accesses
from llm_core.model import forward
from widgetlib.fmt import fixed, integer, percent, sci, significant, svg_points
from widgetlib.model import tiny as model
from widgetlib.model import TINY_FILES, token_segs
from widgetlib.prompt import prompt_ids

MAX_PROMPT_CHARS = 2_000
MAX_TOKENS = 64  # tokens run: the last 64 of a longer text
MAX_BLOCK = 16
N_SHOWN = 8  # leading numbers of the output vector listed
REAL = "llama-3-8b"  # the configuration of the memory panel
REAL_BYTES = 2  # bf16
REAL_BLOCK = 128  # tile rows and columns in the memory panel
SRAM = 100_000  # numbers of on-chip memory M (Dao et al. 2022, section 3.2: "M (around 100KB)")
MIN_LOG2, MAX_LOG2 = 10, 17  # 1,024 to 131,072 tokens
GRID = 240  # the tile grid's side, SVG user units
# Chart of memory against length (SVG user units; the view only places these numbers)
WIDTH, HEIGHT = 320, 170
LEFT, RIGHT, TOP, BOTTOM = 52, 18, 10, 28
# See attention_head: a float64 pass, so the browser and CPython agree to about 1e-15
REL_TOL = 1e-3

DEFAULTS = {
    "prompt": "The President shall from time to time give to the Congress information of the State of the "
    "Union, and recommend to their consideration such measures as he shall judge necessary.",
    "layer": 4,
    "head": 0,
    "block": 4,
    "query": 32,
    "tiles": 8,
    "log2_seq": 13,
}
EXAMPLES = [
    {"block": 5, "query": 20, "tiles": 5, "log2_seq": 17},
    {"prompt": "I ask the Congress to act, and I ask the Congress to act now.", "layer": 0, "head": 3, "block": 16},
    {"prompt": "", "block": 1, "tiles": 0, "log2_seq": 10},
]
DATA = TINY_FILES
CODE = [
    "llm_core.flash_attention.online_softmax_step",
    "llm_core.flash_attention.tile_status",
    "llm_core.flash_attention.flash_attention",
    "llm_core.flash_attention.attention_memory",
    "llm_core.flash_attention.hbm_accesses",
]


@functools.cache
def weights64() -> dict:
    """The tiny model's weights in float64 (see REL_TOL)."""
    return {name: w.astype(np.float64) for name, w in model().weights.items()}


@functools.lru_cache(maxsize=8)
def run(ids: tuple):  # -> the traced forward pass: moving any slider but the text reuses it
    _, trace = forward(weights64(), model().cfg, list(ids), trace=True, lens=False)
    return trace


def read_params(params: dict):
    p = {**DEFAULTS, **params}
    cfg = model().cfg
    prompt, note = as_text("prompt", p["prompt"], MAX_PROMPT_CHARS)
    return {
        "prompt": prompt,
        "layer": as_int("layer", p["layer"], 0, cfg.n_layer - 1),
        "head": as_int("head", p["head"], 0, cfg.n_head - 1),
        "block": as_int("block", p["block"], 1, MAX_BLOCK),
        "query": as_int("query", p["query"], 0, MAX_TOKENS - 1),
        "tiles": as_int("tiles", p["tiles"], 0, MAX_TOKENS),
        "log2_seq": as_int("log2_seq", p["log2_seq"], MIN_LOG2, MAX_LOG2),
    }, note


def sentence_ids(prompt: str):  # -> ids (at most MAX_TOKENS), notes
    return prompt_ids(model(), prompt, 1, MAX_PROMPT_CHARS, max_tokens=MAX_TOKENS)


def head_qkv(trace, layer: int, head: int):  # -> q, k, v [n_seq, d_head]: the model's own, after RoPE
    cfg = model().cfg
    attn = trace["layers"][layer]["attn"]
    kv = head // (cfg.n_head // cfg.n_kv_head)  # the key/value head this query head shares
    return attn["q"][head], attn["k"][kv], attn["v"][kv]


def human_bytes(n: float) -> str:
    """Bytes in binary units, three significant digits: 4.00 GiB, 160 KiB, 1.00 TiB."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{significant(n / size, 3)} {unit}"
    return f"{integer(n)} B"


def gap_text(gap: float) -> str:
    """A relative distance: a percentage while it is visible as one, then in scientific notation."""
    return percent(gap) if gap >= 1e-3 else "0" if gap == 0 else sci(gap, 1)


def grid(status, block: int, n_seq: int, row_tile: int, done: int) -> dict:
    """The tile grid as SVG rectangles; the causal triangle (keys each query may see) as a path under them."""
    t_r, t_c = status.shape
    cell = GRID / n_seq  # one position
    tiles = []
    done_tiles = 0
    for i in range(t_r):
        for j in range(t_c):
            s = int(status[i, j])
            state = "skipped" if s == SKIPPED else "full" if s == FULL else "diagonal"
            mark = None
            if i == row_tile and s != SKIPPED:
                mark = "done" if done_tiles < done else "todo"
                done_tiles += 1
            x, y = j * block * cell, i * block * cell
            w, h = min(block, n_seq - j * block) * cell, min(block, n_seq - i * block) * cell
            tiles.append(
                {"x": f"{x:.2f}", "y": f"{y:.2f}", "w": f"{w:.2f}", "h": f"{h:.2f}", "state": state, "mark": mark}
            )
    # the visible region: a staircase along the diagonal, row i seeing keys 0..i
    steps = [(0, 0)]
    for i in range(n_seq):
        steps += [((i + 1) * cell, i * cell), ((i + 1) * cell, (i + 1) * cell)]
    steps.append((0, GRID))
    return {"size": GRID, "viewbox": f"0 0 {GRID} {GRID}", "tiles": tiles, "visible": "M" + svg_points(steps) + "Z"}


def memory_chart(log2_seq: int, cfg) -> dict:
    """Bytes against sequence length, both on log scales: the score matrix (a line of slope 2) and the tiles
    (flat); the chosen length marked."""
    lengths = [2**e for e in range(MIN_LOG2, MAX_LOG2 + 1)]
    rows = [attention_memory(n, cfg.d_head, REAL_BLOCK, REAL_BLOCK, cfg.n_head, REAL_BYTES) for n in lengths]
    lo = min(20, math.floor(math.log2(min(r["tiles"] for r in rows))))  # from 1 MiB at most
    hi = math.ceil(math.log2(max(r["scores"] for r in rows)))

    def at(n, b):
        x = LEFT + (math.log2(n) - MIN_LOG2) / (MAX_LOG2 - MIN_LOG2) * (WIDTH - LEFT - RIGHT)
        y = TOP + (hi - math.log2(b)) / (hi - lo) * (HEIGHT - TOP - BOTTOM)
        return x, y

    chosen = attention_memory(2**log2_seq, cfg.d_head, REAL_BLOCK, REAL_BLOCK, cfg.n_head, REAL_BYTES)
    y_at = {e: f"{at(lengths[0], 2**e)[1]:.2f}" for e in range(lo, hi + 1) if e % 10 == 0}
    y_ticks = [{"at": y, "text_y": y, "label": human_bytes(2**e)} for e, y in y_at.items()]
    x_ticks = [{"at": f"{at(n, 1)[0]:.2f}", "label": f"{n // 1024}K"} for n in lengths if math.log2(n) % 2 == 1]
    return {
        "viewbox": f"0 0 {WIDTH} {HEIGHT}",
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "x": x_ticks,
        "y": y_ticks,
        "x_text_y": HEIGHT - BOTTOM + 14,
        "y_text_x": LEFT - 4,
        "scores": svg_points(at(n, r["scores"]) for n, r in zip(lengths, rows)),
        "tiles": svg_points(at(n, r["tiles"]) for n, r in zip(lengths, rows)),
        "marks": [
            {"x": f"{at(2**log2_seq, chosen[key])[0]:.2f}", "y": f"{at(2**log2_seq, chosen[key])[1]:.2f}", "key": key}
            for key in ("scores", "tiles")
        ],
        "x_title": "sequence length, tokens (log scale)",
        "x_title_x": WIDTH - RIGHT,
        "x_title_y": HEIGHT - 1,
        "label": (
            f"Memory against sequence length, 1K to 128K tokens, log scales: the score matrix grows with the square "
            f"of the length, the tiles stay at {human_bytes(chosen['tiles'])}; marked: {integer(2**log2_seq)} tokens"
        ),
    }


def memory(log2_seq: int) -> dict:
    """The memory panel: Llama 3 8B's attention at 2^log2_seq tokens, one layer, all its query heads."""
    cfg = CONFIGS[REAL]
    n = 2**log2_seq
    mem = attention_memory(n, cfg.d_head, REAL_BLOCK, REAL_BLOCK, cfg.n_head, REAL_BYTES)
    hbm = hbm_accesses(n, cfg.d_head, SRAM)
    standard, flash = cfg.n_head * hbm["standard"] * REAL_BYTES, cfg.n_head * hbm["flash"] * REAL_BYTES
    return {
        "n_seq": n,
        "n_seq_text": integer(n),
        "config": cfg.name,
        "n_head": cfg.n_head,
        "d_head": cfg.d_head,
        "scores": mem["scores"],
        "scores_text": human_bytes(mem["scores"]),
        "tiles": mem["tiles"],
        "tiles_text": human_bytes(mem["tiles"]),
        "ratio_text": integer(round(mem["scores"] / mem["tiles"])),
        "standard": standard,
        "standard_text": human_bytes(standard),
        "flash": flash,
        "flash_text": human_bytes(flash),
        "traffic_ratio_text": fixed(standard / flash, 1),
        "block_k": hbm["block_k"],
        "block_q": hbm["block_q"],
        "setup": (
            f"{cfg.name}, one layer: {cfg.n_head} query heads of d_head = {cfg.d_head}, 16-bit numbers "
            f"({integer(n)} tokens). Tiles of {REAL_BLOCK} × {REAL_BLOCK} per head."
        ),
        "traffic_note": (
            f"HBM traffic counted as Dao et al. 2022 count it (Algorithm 0 against Algorithm 1, no causal "
            f"skipping), with on-chip memory M = {integer(SRAM)} numbers, so key blocks of {hbm['block_k']} "
            f"and query blocks of {hbm['block_q']}: the saving is about M / 3d², whatever the length."
        ),
        "chart": memory_chart(log2_seq, cfg),
    }


def compute(params: dict) -> dict:
    p, text_note = read_params(params)
    ids, notes = sentence_ids(p["prompt"])
    if text_note:
        notes.insert(0, text_note)
    n = len(ids)
    query, block = min(p["query"], n - 1), p["block"]
    q, k, v = head_qkv(run(tuple(ids)), p["layer"], p["head"])
    out, trace = flash_attention(q, k, v, block, block, causal=True, watch=query)
    plain, _ = scaled_dot_product_attention(q, k, v, causal_mask(n))
    status = trace["tiles"]
    steps = trace["row"]
    done = min(p["tiles"], len(steps))
    exact = plain[query]
    exact_norm = float(np.linalg.norm(exact))

    rows = []
    previous_m = None
    for t, s in enumerate(steps):
        first, last = s["keys"]
        gap = float(np.linalg.norm(s["out"] - exact) / exact_norm)
        rows.append(
            {
                "step": t + 1,
                "keys": f"{first}–{min(last, query + 1) - 1}" + (" (rest masked)" if last > query + 1 else ""),
                "tile_max": fixed(float(s["tile_max"]), 2),
                "m": fixed(float(s["m"]), 2),
                "rescale": "—" if previous_m is None else fixed(float(s["rescale"]), 3),
                "raised": previous_m is not None and float(s["m"]) > previous_m,
                "l": fixed(float(s["l"]), 3),
                "gap": gap,
                "gap_text": gap_text(gap),
                "done": t < done,
            }
        )
        previous_m = float(s["m"])
    partial = steps[done - 1]["out"] if done else np.zeros_like(exact)
    n_skipped = int((status == SKIPPED).sum())
    n_tiles = status.size
    diff = float(np.abs(out - plain).max())
    row_tile = query // block
    return {
        "params": {**p, "query": query, "tiles": done},
        "n_tokens": n,
        "max_query": n - 1,
        "max_tiles": len(steps),
        "tokens": [{"segs": token_segs(int(i)), "query": j == query} for j, i in enumerate(ids)],
        "grid": grid(status, block, n, row_tile, done),
        "grid_label": (
            f"{status.shape[0]} × {status.shape[1]} tiles of {block} × {block} positions over {n} tokens: "
            f"{int((status == FULL).sum())} computed in full, {n_tiles - n_skipped - int((status == FULL).sum())} "
            f"on the diagonal, {n_skipped} skipped; the query's row of tiles is outlined, {done} of its "
            f"{len(steps)} processed"
        ),
        "counts": {
            "full": int((status == FULL).sum()),
            "diagonal": n_tiles - n_skipped - int((status == FULL).sum()),
            "skipped": n_skipped,
            "total": n_tiles,
        },
        "counts_text": (
            f"{n_tiles} tiles: {int((status == FULL).sum())} computed in full, "
            f"{n_tiles - n_skipped - int((status == FULL).sum())} on the diagonal (computed, then partly "
            f"masked), {n_skipped} skipped because every key in them comes after every query."
        ),
        "diff": diff,
        "diff_text": "0 (bit for bit)" if diff == 0 else sci(diff, 1),
        "rows": rows,
        "done": done,
        "state_text": (
            "No tile processed yet: m = −∞, l = 0, the output is still 0."
            if not done
            else f"After {done} of {len(steps)} tiles: the partial output acc / l is "
            f"{rows[done - 1]['gap_text']} away from the exact one (relative)."
        ),
        "partial_text": [fixed(float(x), 3) for x in partial[:N_SHOWN]],
        "exact_text": [fixed(float(x), 3) for x in exact[:N_SHOWN]],
        "n_shown": N_SHOWN,
        "vector_head": [f"First {N_SHOWN} of {q.shape[1]} numbers"] + [str(i) for i in range(N_SHOWN)],
        "d_head": int(q.shape[1]),
        "memory": memory(p["log2_seq"]),
        "readouts": {
            "block": str(block),
            "query": str(query),
            "tiles": f"{done} of {len(steps)}",
            "log2_seq": f"{integer(2 ** p['log2_seq'])} tokens",
        },
        "note": " ".join(notes) or None,
    }
