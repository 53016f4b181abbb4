"""A map of the embedding table: a set of tokens' 128-number vectors, projected to 2 or 3 dimensions by PCA.

The reader lists words, in groups. Each word is looked up as it appears inside a sentence (with its
leading space: " January"); words that are not a single token of the tiny model are skipped, with a note.
`llm_core.embeddings.pca` finds the directions along which these vectors vary most and says what fraction
of their variance each keeps. For the 3-D view the points are turned here, in Python (yaw about the
vertical axis, then pitch about the horizontal one), and projected straight onto the screen. The word
labels are placed here too, greedily, so that none overlaps another or a dot (`place_labels`); the view
only draws the dots, labels and leader lines it is given.
"""

import itertools
import math
import unicodedata

import numpy as np

from llm_core.controls import as_int, as_number, as_text
from llm_core.embeddings import embed, pca
from llm_core.tokenizer import render_token
from widgetlib.fmt import fixed, integer, percent, svg_attrs as at
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


# Word labels. compute() places them, so the static figure, the live one and CPython agree; the view only
# draws them. Python cannot ask the browser how wide a word is, so each label is a box of estimated size.
LABEL_FONT = 15  # SVG units: the largest size embedding_map.css gives a word (on a phone)
AXIS_FONT = 14  # likewise for the axis names "PC1".."PC3"
LABEL_HEIGHT = 1.15 * LABEL_FONT
LABEL_PAD = 2  # left and right of the text, for its halo
GAP = 3  # between a dot's edge and a label beside it
NEAR = 30  # dots closer than this are neighbours: crowding, and which way is "out"
LEADER_RINGS = (16, 36, 60, 90)  # farther out, beyond the dot's edge, reached by a leader line
MAX_TANGLES = 1  # where nothing is clear: one line behind the label, or its line behind one label
_D = math.sqrt(0.5)
# Beside the dot: right, left, above, below, then the diagonals (screen y grows downwards).
BESIDE = [(1.0, 0.0), (-1.0, 0.0), (0.0, -1.0), (0.0, 1.0), (_D, -_D), (_D, _D), (-_D, -_D), (-_D, _D)]
AROUND = [(math.cos(k * math.pi / 6), math.sin(k * math.pi / 6)) for k in range(12)]  # every 30 degrees


def text_width(text: str, font: float) -> float:
    """Estimated width of `text` in SVG units, erring wide: per-character widths of DejaVu Sans, the
    widest common system-ui face (m and w wider; CJK characters a full em)."""
    return font * sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.95 if c in "mwMW" else 0.64 for c in text)


def candidates(x, y, r, width, out):  # -> (box (x0, y0, x1, y1), end (x, y), direction, leader?) ..., best first
    """Where the label of the dot at (x, y), radius r, may go: the 8 boxes beside it, then rings farther
    out, reached by a leader line that ends at `end`, the directions nearest `out` first. A box touches
    its end with the side facing the dot: mostly sideways, the text starts (or ends) there; mostly up or
    down, the text is centred on it."""
    around = sorted(AROUND, key=lambda u: -round(u[0] * out[0] + u[1] * out[1], 9))  # rounded: no float ties
    for distance, directions in [(GAP, BESIDE)] + [(ring, around) for ring in LEADER_RINGS]:
        for u in directions:
            end = (x + (r + distance) * u[0], y + (r + distance) * u[1])
            x0 = end[0] - width * (0 if u[0] > 0.38 else 1 if u[0] < -0.38 else 0.5)
            y0 = end[1] - LABEL_HEIGHT * (0 if u[1] > 0.38 else 1 if u[1] < -0.38 else 0.5)
            yield (x0, y0, x0 + width, y0 + LABEL_HEIGHT), end, u, directions is around


def overlaps(a, b):  # boxes (x0, y0, x1, y1)
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(box):  # within the plot
    return 0 <= box[0] and 0 <= box[1] and box[2] <= WIDTH and box[3] <= HEIGHT


def crosses(s, t):  # segments (x1, y1, x2, y2): they properly intersect
    def turn(ax, ay, bx, by, cx, cy):  # > 0 left, < 0 right, 0 in line
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)

    return turn(*s, *t[:2]) * turn(*s, *t[2:]) < 0 and turn(*t, *s[:2]) * turn(*t, *s[2:]) < 0


def cuts(s, box):  # segment (x1, y1, x2, y2) runs into box (x0, y0, x1, y1)
    """subtle: a segment that passes through a rectangle (both ends outside) crosses one of its diagonals."""
    x0, y0, x1, y1 = box
    if max(s[0], s[2]) <= x0 or min(s[0], s[2]) >= x1 or max(s[1], s[3]) <= y0 or min(s[1], s[3]) >= y1:
        return False  # apart: the cheap answer, most of the time
    return (
        x0 < s[0] < x1
        and y0 < s[1] < y1
        or x0 < s[2] < x1
        and y0 < s[3] < y1
        or crosses(s, box)
        or crosses(s, (x0, y1, x1, y0))
    )


def tangles(box, leader, labels, lines, enough):  # -> lines behind the box + labels and lines its leader crosses
    """Counts up to `enough`, then stops: the caller only needs to know it is no better than that."""
    found = 0
    for hit in itertools.chain(
        (cuts(line, box) for line in lines),
        (cuts(leader, b) for b in labels) if leader else (),
        (crosses(leader, line) for line in lines) if leader else (),
    ):
        found += hit
        if found >= enough:
            break
    return found


def best_spot(x, y, r, width, out, in_the_way, labels, lines, leaders):  # -> (box, end, direction, line) or None
    """The first candidate for the dot at (x, y) that fits (inside the plot, over nothing in `in_the_way`)
    with nothing tangled; else the least tangled one that fits, if it has at most MAX_TANGLES (the halo
    around each word keeps a line behind it legible); else None. Without `leaders`, only the boxes beside
    the dot are tried. `line` is the leader line, from the dot's edge to `end`, or None."""
    best, least = None, MAX_TANGLES + 1
    for box, end, u, leader in candidates(x, y, r, width, out):
        if leader and not leaders:
            break
        if inside(box) and not any(overlaps(box, b) for b in in_the_way):
            line = (x + r * u[0], y + r * u[1], *end) if leader else None
            tangled = tangles(box, line, labels, lines, least)
            if tangled < least:
                best, least = (box, end, u, line), tangled
                if not tangled:
                    break
    return best


def place_labels(words, dots, avoid):  # [n] str, [n] (x, y, r), [k] boxes -> [n] label dicts
    """Greedy and deterministic, in two passes over the dots, the most crowded first (then in list order):
    first each dot that has room right beside it takes the best such box; then the others try leader lines
    too (`best_spot`). A label never overlaps another, a dot or a box in `avoid` (the axis names), and
    stays inside the plot. A dot that finds no room at all gets a "crowded" label: the box beside it that
    overlaps the fewest labels, drawn only on hover, which never pushes a later label away."""
    n = len(dots)
    xy = np.array([d[:2] for d in dots], dtype=float).reshape(n, 2)
    distance = np.linalg.norm(xy[:, None] - xy[None], axis=-1)  # [n, n]
    crowding = np.round(np.maximum(NEAR - distance, 0).sum(axis=1), 6).tolist()  # rounded: no float ties
    near = distance < NEAR  # [n, n], each dot its own neighbour
    away = xy - near @ xy / near.sum(axis=1, keepdims=True)  # [n, 2]: from its neighbours' middle
    away = np.where(away.any(axis=1, keepdims=True), away, xy - (WIDTH / 2, HEIGHT / 2)).tolist()  # or the plot's
    squares = [(x - r - 1, y - r - 1, x + r + 1, y + r + 1) for x, y, r in dots]  # a dot, as a box
    placed, lines, labels = [tuple(b) for b in avoid], [], [None] * n
    order = sorted(range(n), key=lambda i: (-crowding[i], i))
    for leaders in (False, True):
        for i in [i for i in order if labels[i] is None]:
            (x, y, r), width = dots[i], text_width(words[i], LABEL_FONT) + 2 * LABEL_PAD
            far = r + (LEADER_RINGS[-1] if leaders else GAP)  # only what is within reach can be in the way
            reach = (x - far - width, y - far - LABEL_HEIGHT, x + far + width, y + far + LABEL_HEIGHT)
            near_labels = [b for b in placed if overlaps(b, reach)]
            in_the_way = near_labels + [b for j, b in enumerate(squares) if j != i and overlaps(b, reach)]
            spot = best_spot(
                x, y, r, width, away[i], in_the_way, near_labels, [line for line in lines if cuts(line, reach)], leaders
            )
            if spot is None and not leaders:
                continue  # its turn comes again, with leader lines
            crowded = spot is None
            if crowded:  # the box beside the dot, inside the plot, overlapping the fewest labels
                beside = list(itertools.islice(candidates(x, y, r, width, (0, 0)), len(BESIDE)))
                misses = [
                    sum(overlaps(box, b) for b in placed) + (0 if inside(box) else n + len(placed))
                    for box, *_ in beside
                ]
                spot = (*beside[misses.index(min(misses))][:3], None)
            box, end, u, line = spot
            shift = max(0.0, -box[0]) - max(0.0, box[2] - WIDTH)  # a word wider than the room: moved in
            box = (box[0] + shift, box[1], box[2] + shift, box[3])
            if not crowded:
                placed.append(box)
                lines += [line] if line else []
            anchor = "start" if u[0] > 0.38 else "end" if u[0] < -0.38 else "middle"
            tx = {"start": box[0] + LABEL_PAD, "end": box[2] - LABEL_PAD, "middle": (box[0] + box[2]) / 2}[anchor]
            labels[i] = {
                "x": float(tx),
                "y": float((box[1] + box[3]) / 2),
                "anchor": anchor,
                "leader": line is not None,
                "x2": float(end[0]),
                "y2": float(end[1]),
                "crowded": crowded,
                "box": [float(v) for v in box],
            }
    return labels


def axis_name_box(x, y, text):  # "PC1" drawn from (x, y) on its baseline -> its box (x0, y0, x1, y1)
    return (x, y - 0.95 * AXIS_FONT, x + text_width(text, AXIS_FONT), y + 0.3 * AXIS_FONT)


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
