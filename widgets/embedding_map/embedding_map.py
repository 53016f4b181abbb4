"""A map of the embedding table: a set of tokens' vectors, projected to 2 or 3 dimensions by PCA.

The reader lists words, in groups. Each word is looked up as it appears inside a sentence (with its
leading space: " January"); words that are not a single token of the tiny model are skipped, with a note.
`llm_core.embeddings.pca` finds the directions along which these vectors vary most and says what fraction
of their variance each keeps. For the 3-D view the points are turned here, in Python (yaw about the
vertical axis, then pitch about the horizontal one), and projected straight onto the screen. The word
labels are placed here too, greedily, so that none overlaps another or a dot (`place_labels`); the view
only draws the dots, labels and leader lines it is given (the engine is widgetlib.labels).

In the page, the 3-D view is also a plotly figure the reader turns and zooms (`plot3d`: every point's three
coordinates, its word and its group's colour, from here), with the model's commonest whole-word tokens as
a grey cloud around the reader's words, projected onto the same three directions. The model is the tiny
one (128 numbers a token) or SmolLM2-135M-Instruct once the reader loaded it (576).
"""

import math

import numpy as np

from llm_core.controls import as_choice, as_int, as_number, as_text
from llm_core.embeddings import embed, pca
from llm_core.memo import per_model
from llm_core.models import MODEL_NAMES, get_model
from llm_core.tokenizer import render_token
from widgetlib.plot import layout_3d
from widgetlib.fmt import fixed, integer, percent, svg_attrs as at
from widgetlib.labels import axis_name_box, place_labels
from widgetlib.model import TINY_FILES

MAX_CHARS = 1_000
MAX_WORDS = 60
MAX_GROUPS = 6  # colours; later groups reuse them (every point is labelled anyway)
# Drawing box in SVG user units (the SVG scales to its container).
WIDTH, HEIGHT = 480, 360
RADIUS = 165  # the point farthest from the centre lands this far from the middle of the box
# PCA runs an SVD of a few dozen float64 rows; Pyodide's LAPACK may differ in the last digits. (Screen
# coordinates are not rounded: a rounding boundary would turn a 1e-13 difference into 0.01.)
REL_TOL = 1e-6
N_BACKDROP = 200  # the grey cloud of the 3-D view: the model's first whole-word tokens
EYE = 1.8  # plotly's camera distance from the middle of the box, in the box's units

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
    "model": "tiny",
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
# Param sets that need SmolLM2 loaded: a browser test runs them in the page once the model is in.
SMOLLM2_EXAMPLES = [{"model": "smollm2"}, {"model": "smollm2", "dims": 2, "words": "king, queen; man, woman"}]
DATA = TINY_FILES
CODE = ["llm_core.embeddings.embed", "llm_core.embeddings.pca"]
LIBRARIES = ["plotly"]  # the page loads plotly.js for the 3-D view (build.py's LIBRARIES)


def read_params(params: dict):  # -> params, notes
    p = {**DEFAULTS, **params}
    words, note = as_text("word list", p["words"], MAX_CHARS)
    return {
        "words": words,
        "dims": as_int("dimensions", p["dims"], 2, 3),
        "yaw": as_number("yaw", p["yaw"], -180, 180),
        "pitch": as_number("pitch", p["pitch"], -90, 90),
        "model": as_choice("model", p["model"], list(MODEL_NAMES)),
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


def lookup(words, encoding):  # [(word, group)] -> kept [(id, word, group)], skipped [word]
    """Each word's token as inside a sentence (" " + word); multi-token words and repeats are skipped."""
    kept, skipped, seen = [], [], set()
    for word, group in words:
        ids = encoding.encode(" " + word)
        if len(ids) != 1:
            skipped.append(word)
        elif ids[0] not in seen:
            seen.add(ids[0])
            kept.append((ids[0], word, group))
    return kept, skipped


@per_model(size=1)
def common_words(model, n):  # -> [(id, word)], n of them
    """The n lowest token ids that are a whole word of 4+ ASCII letters after a space (" people"): BPE
    merges the most frequent strings first, so these are among the model's commonest words."""
    out = []
    for i in range(model.cfg.n_vocab):
        b = model.encoding.decode_tokens_bytes([i])[0]
        if len(b) >= 5 and b[:1] == b" " and b[1:].isascii() and b[1:].isalpha():
            out.append((i, b[1:].decode()))
            if len(out) == n:
                break
    return out


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


def plot3d(kept, coords, explained, cloud, cloud_coords, p) -> dict:
    """The 3-D view as plotly's traces and layout: x, y, z = PC1, PC2, PC3; the grey cloud first, then one
    trace per group; colours as the site's CSS variables, which the page swaps for the theme's. The camera
    is the sliders' view: looking along the turned depth axis, orthographic like the flat picture."""
    turned_axes = rotate(np.eye(3), p["yaw"], p["pitch"])  # [3, 3]: columns are the screen's x, y, depth in PC space
    eye, up = turned_axes[:, 2] * EYE, turned_axes[:, 1]

    def xyz(points):
        return {"x": points[:, 0].tolist(), "y": points[:, 1].tolist(), "z": points[:, 2].tolist()}

    traces = [
        {
            "type": "scatter3d",
            "mode": "markers",
            "name": "other words",
            **xyz(cloud_coords),
            "text": [w for _, w in cloud],
            "hovertemplate": "%{text}<extra></extra>",
            "marker": {"size": 2.5, "color": "--muted", "opacity": 0.45},
        }
    ]
    for g in sorted({group for _, _, group in kept}):
        rows = [i for i, (_, _, group) in enumerate(kept) if group == g]
        traces.append(
            {
                "type": "scatter3d",
                "mode": "markers+text",
                "name": ", ".join(kept[i][1] for i in rows),
                **xyz(coords[rows]),
                "text": [kept[i][1] for i in rows],
                "textposition": "top center",
                "textfont": {"color": "--fg", "size": 12},
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {"size": 5, "color": f"--em-{g % MAX_GROUPS}"},
            }
        )

    def axis(k):
        return {
            "title": {"text": f"PC{k + 1} ({percent(float(explained[k]))})"},
            "color": "--muted",
            "gridcolor": "--border",
            "zerolinecolor": "--muted",
            "backgroundcolor": "--bg-soft",
            "showbackground": True,
        }

    def vec(v):
        return {"x": float(v[0]), "y": float(v[1]), "z": float(v[2])}

    return {
        "label": (
            f"3-D PCA map of {len(kept)} tokens among {len(cloud)} other words, which you can turn and zoom;"
            " the tables below list the coordinates"
        ),
        "n_points": len(kept) + len(cloud),
        "traces": traces,
        "layout": layout_3d(
            {
                "xaxis": axis(0),
                "yaxis": axis(1),
                "zaxis": axis(2),
                "aspectmode": "data",
                "camera": {
                    "eye": vec(eye),
                    "up": vec(up),
                    "center": vec([0, 0, 0]),
                    "projection": {"type": "orthographic"},
                },
            },
            f"{p['yaw']} {p['pitch']}",  # the reader's own turn is kept until a slider moves
        ),
    }


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
    model = get_model(p["model"])
    words, more = parse_words(p["words"])
    kept, skipped = lookup(words, model.encoding)
    notes += more
    if skipped:
        notes.append(
            f"Not a single token of {'the tiny model' if p['model'] == 'tiny' else model.name}, so left out: "
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
        "shown": {"yaw": degrees(p["yaw"]), "pitch": degrees(p["pitch"])},  # beside the sliders
        "plot3d": None,
        "cloud_rows": [],
    }
    if len(kept) <= dims:
        result["message"] = (
            f"A {dims}-D map needs at least {dims + 1} different single-token words; "
            f"this list has {len(kept)}. Add words, separated by commas."
        )
        return result

    table = model.weights["tok_emb"]  # [n_vocab, d_model]; rows taken in float64, the same in CPython and Pyodide
    x = embed([i for i, _, _ in kept], table).astype(np.float64)  # [n, d_model]
    coords, components, explained = pca(x, n_components=dims)  # [n, dims], [dims, d_model], [dims]
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
            "segs": render_token(model.encoding.decode_tokens_bytes([kept[i][0]])[0]),
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
    if dims == 3:
        ids = {i for i, _, _ in kept}
        cloud = [(i, w) for i, w in common_words(model, N_BACKDROP + MAX_WORDS) if i not in ids][:N_BACKDROP]
        # the same directions, centred on the reader's words: [n_cloud, d_model] -> [n_cloud, 3]
        cloud_coords = (embed([i for i, _ in cloud], table).astype(np.float64) - x.mean(axis=0)) @ components.T
        result["plot3d"] = plot3d(kept, coords, explained, cloud, cloud_coords, p)
        result["cloud_rows"] = [
            {"word": w, "pc": [fixed(float(c), 3) for c in cloud_coords[k]]} for k, (_, w) in enumerate(cloud)
        ]
    result["readout"] = readout(result)
    return result
