"""A map of the embedding table: a set of tokens' 128-number vectors, projected to 2 or 3 dimensions by PCA.

The reader lists words, in groups. Each word is looked up as it appears inside a sentence (with its
leading space: " January"); words that are not a single token of the tiny model are skipped, with a note.
`llm_core.embeddings.pca` finds the directions along which these vectors vary most and says what fraction
of their variance each keeps. For the 3-D view the points are turned here, in Python (yaw about the
vertical axis, then pitch about the horizontal one), and projected straight onto the screen. The word
labels are placed here too, greedily, so that none overlaps another or a dot (`place_labels`); the view
only draws the dots, labels and leader lines it is given (the engine is widgetlib.labels).
"""

import math

import numpy as np

from llm_core.controls import as_int, as_number, as_text
from llm_core.embeddings import embed, pca
from llm_core.tokenizer import render_token
from widgetlib.fmt import fixed, integer, percent, svg_attrs as at
from widgetlib.labels import axis_name_box, place_labels
from widgetlib.model import TINY_FILES, embedding_table, tiny

MAX_CHARS = 1_000
MAX_WORDS = 60
MAX_GROUPS = 6  # colours; later groups reuse them (every point is labelled anyway)
# Drawing box in SVG user units (the SVG scales to its container).
WIDTH, HEIGHT = 480, 360
RADIUS = 165  # the point farthest from the centre lands this far from the middle of the box
# PCA runs an SVD of a few dozen float64 rows; Pyodide's LAPACK may differ in the last digits. (Screen
# coordinates are not rounded: a rounding boundary would turn a 1e-13 difference into 0.01.)
REL_TOL = 1e-6

DEFAULTS = {
    "words": (
        "January, February, March, April, May, June, July, August; "
        "one, two, three, four, five, six, ten, twenty; "
        "France, Spain, Mexico, Germany, Russia, Canada, China, Japan; "
        "increase, reduce, build, pay, provide, protect, support, maintain"
    ),
    "dims": 3,
    "yaw": 30,
    "pitch": -30,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"dims": 2},
    {
        "words": "gold, silver, dollars, taxes, debt, England; men, man, women; war, peace, army, navy",
        "yaw": -120,
        "pitch": -60,
    },
    {"words": "one, two", "dims": 3},
]
DATA = TINY_FILES
CODE = ["llm_core.embeddings.embed", "llm_core.embeddings.pca"]


def read_params(params: dict):  # -> params, notes
    p = {**DEFAULTS, **params}
    words, note = as_text("word list", p["words"], MAX_CHARS)
    return {
        "words": words,
        "dims": as_int("dimensions", p["dims"], 2, 3),
        "yaw": as_number("yaw", p["yaw"], -180, 180),
        "pitch": as_number("pitch", p["pitch"], -90, 90),
    }, [note] if note else []


def parse_words(text: str):  # -> [(word, group)], notes
    """'a, b; c' -> [("a", 0), ("b", 0), ("c", 1)]: groups split by ';' or a new line, words by ','."""
    out = []
    groups = [g for g in text.replace("\n", ";").split(";") if g.strip()]
    for group, chunk in enumerate(groups):
        out += [(w.strip(), group) for w in chunk.split(",") if w.strip()]
    notes = []
    if len(out) > MAX_WORDS:
        notes.append(f"The list has {len(out)} words: the first {MAX_WORDS} are drawn.")
        out = out[:MAX_WORDS]
    return out, notes


def lookup(words):  # [(word, group)] -> kept [(id, word, group)], skipped [word]
    """Each word's token as inside a sentence (" " + word); multi-token words and repeats are skipped."""
    kept, skipped, seen = [], [], set()
    for word, group in words:
        ids = tiny().encoding.encode(" " + word)
        if len(ids) != 1:
            skipped.append(word)
        elif ids[0] not in seen:
            seen.add(ids[0])
            kept.append((ids[0], word, group))
    return kept, skipped


def rotate(points, yaw_deg, pitch_deg):  # [n, 3] -> [n, 3]
    """Turn points by yaw about the vertical axis (y), then by pitch about the horizontal axis (x).

    Screen x is PC1 and screen y is PC2 at yaw = pitch = 0, with PC3 pointing at the reader; after the
    turn, columns 0 and 1 are the screen position and column 2 the depth (larger = nearer).
    """
    a, b = math.radians(yaw_deg), math.radians(pitch_deg)
    yaw = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    pitch = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    return points @ (pitch @ yaw).T


def to_screen(xy, scale):  # [n, 2] -> [n, 2] SVG units (y grows downwards)
    return np.stack([WIDTH / 2 + scale * xy[:, 0], HEIGHT / 2 - scale * xy[:, 1]], axis=1)


def degrees(angle: float) -> str:
    """An angle as the slider shows it, in whole degrees: -30.0 -> "−30°"."""
    return integer(int(angle)) + "°"


def readout(result: dict) -> str:
    """The sentence after the bold total: what the picture leaves out, the view, the crowded labels."""
    p, shown, crowded = result["params"], result["shown"], result["crowded_labels"]
    text = f", so the picture leaves out {percent(max(0.0, 1 - result['explained_total']))}. "
    text += (
        f"Seen from yaw {shown['yaw']}, pitch {shown['pitch']}; bigger dots are nearer to you."
        if p["dims"] == 3
        else f"Yaw and pitch turn the 3-D view (now {shown['yaw']}, {shown['pitch']})."
    )
    if crowded == 1:
        text += " One word has no room for its label: hover over its dot to see it, or open the coordinates below."
    elif crowded:
        text += (
            f" {crowded} words have no room for their labels: hover over a dot to see its word, or open"
            " the coordinates below."
        )
    return text


def compute(params: dict) -> dict:
    p, notes = read_params(params)
    words, more = parse_words(p["words"])
    kept, skipped = lookup(words)
    notes += more
    if skipped:
        notes.append(
            "Not a single token of the tiny model, so left out: "
            + ", ".join(skipped[:12])
            + (f" and {len(skipped) - 12} more" if len(skipped) > 12 else "")
            + "."
        )
    dims = p["dims"]
    result = {
        "points": [],
        "axes": [],
        "explained": [],
        "n_points": len(kept),
        "groups": [],
        "crowded_labels": 0,
        "width": WIDTH,
        "height": HEIGHT,
        "params": p,
        "note": " ".join(notes) or None,
        "message": None,
        "shown": {"yaw": degrees(p["yaw"]), "pitch": degrees(p["pitch"])},
    }  # beside the sliders
    if len(kept) <= dims:
        result["message"] = (
            f"A {dims}-D map needs at least {dims + 1} different single-token words; "
            f"this list has {len(kept)}. Add words, separated by commas."
        )
        return result

    x = embed([i for i, _, _ in kept], embedding_table())  # [n, d_model]
    coords, _, explained = pca(x, n_components=dims)  # [n, dims], [dims, d_model], [dims]
    if dims == 3:
        turned = rotate(coords, p["yaw"], p["pitch"])  # [n, 3]: screen x, screen y, depth
        axis_ends = rotate(np.eye(3), p["yaw"], p["pitch"])
    else:
        turned = np.concatenate([coords, np.zeros((len(coords), 1))], axis=1)  # [n, 2] -> [n, 3], depth 0
        axis_ends = np.eye(3)[:2]
    reach = float(np.max(np.linalg.norm(coords, axis=1)))  # rotation keeps lengths: the scale stays put
    scale = RADIUS / reach if reach > 0 else 1.0
    screen = to_screen(turned[:, :2], scale)
    depth = turned[:, 2] / reach if reach > 0 else turned[:, 2]  # in [-1, 1]
    radius = 4 + 1.5 * depth if dims == 3 else np.full(len(kept), 4.0)  # nearer points a little bigger
    centre = to_screen(np.zeros((1, 2)), scale)[0]
    ends = to_screen(axis_ends[:, :2] * reach, scale)
    result["axes"] = [
        {
            "label": f"PC{k + 1}",
            "x1": float(centre[0]),
            "y1": float(centre[1]),
            "x2": float(ends[k, 0]),
            "y2": float(ends[k, 1]),
        }
        for k in range(dims)
    ]
    for a in result["axes"]:
        a["line"], a["text_at"] = at(x1=a["x1"], y1=a["y1"], x2=a["x2"], y2=a["y2"]), at(x=a["x2"], y=a["y2"])
    labels = place_labels(
        [w for _, w, _ in kept],
        np.concatenate([screen, radius[:, None]], axis=1).tolist(),
        [axis_name_box(a["x2"], a["y2"], a["label"]) for a in result["axes"]],
        (WIDTH, HEIGHT),
    )
    order = np.argsort(depth, kind="stable")  # far points first, so near ones are drawn on top
    result["points"] = [
        {
            "index": int(i),
            "id": int(kept[i][0]),
            "word": kept[i][1],
            "group": kept[i][2] % MAX_GROUPS,
            "segs": render_token(tiny().encoding.decode_tokens_bytes([kept[i][0]])[0]),
            "x": float(screen[i, 0]),
            "y": float(screen[i, 1]),
            "r": float(radius[i]),
            "label": labels[i],
            "pc": [float(c) for c in coords[i]],
            # the same, as the SVG attributes the view sets
            "dot": at(cx=screen[i, 0], cy=screen[i, 1], r=radius[i]),
            "text_at": at(x=labels[i]["x"], y=labels[i]["y"]),
            "leader": at(x1=screen[i, 0], y1=screen[i, 1], x2=labels[i]["x2"], y2=labels[i]["y2"])
            if labels[i]["leader"]
            else None,
        }
        for i in order
    ]
    result["explained"] = [float(e) for e in explained]
    result["explained_total"] = float(np.sum(explained))
    result["pcs"] = [{"label": f"PC{k + 1}", "share": percent(float(e))} for k, e in enumerate(explained)]
    result["explained_total_text"] = percent(result["explained_total"])
    result["rows"] = [
        {"word": w, "pc": [fixed(float(c), 3) for c in coords[i]]}  # the table, in list order
        for i, (_, w, _) in enumerate(kept)
    ]
    n_groups = max(g for _, _, g in kept) + 1
    result["groups"] = [
        {"group": g % MAX_GROUPS, "words": [w for _, w, gg in kept if gg == g]} for g in range(n_groups)
    ]
    result["groups"] = [g for g in result["groups"] if g["words"]]
    result["crowded_labels"] = sum(label["crowded"] for label in labels)
    result["readout"] = readout(result)
    return result
