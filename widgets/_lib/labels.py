"""Word labels beside the dots of a scatter plot, placed so that none overlaps another label, a dot or a
box to avoid, and every one stays inside the plot.

A widget's compute() places its labels (embedding_map's words), so the static figure, the live one and
CPython agree and the view only draws the labels and leader lines it is given. Python cannot ask the
browser how wide a word is, so each label is a box of estimated size (`text_width`). Coordinates are SVG
units, y growing downwards; a box is (x0, y0, x1, y1); a dot is (x, y, r).

>>> a, b = place_labels(["war", "peace"], [(100, 100, 4), (103, 100, 4)], [], (200, 200))
>>> a["anchor"], a["leader"], b["leader"], overlaps(a["box"], b["box"])
('end', False, False, False)
"""

import itertools
import math
import unicodedata

import numpy as np

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


def inside(box, size):  # within the plot, size (width, height)
    return 0 <= box[0] and 0 <= box[1] and box[2] <= size[0] and box[3] <= size[1]


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


def best_spot(x, y, r, width, out, in_the_way, labels, lines, leaders, size):  # -> (box, end, direction, line) or None
    """The first candidate for the dot at (x, y) that fits (inside the plot, over nothing in `in_the_way`)
    with nothing tangled; else the least tangled one that fits, if it has at most MAX_TANGLES (the halo
    around each word keeps a line behind it legible); else None. Without `leaders`, only the boxes beside
    the dot are tried. `line` is the leader line, from the dot's edge to `end`, or None."""
    best, least = None, MAX_TANGLES + 1
    for box, end, u, leader in candidates(x, y, r, width, out):
        if leader and not leaders:
            break
        if inside(box, size) and not any(overlaps(box, b) for b in in_the_way):
            line = (x + r * u[0], y + r * u[1], *end) if leader else None
            tangled = tangles(box, line, labels, lines, least)
            if tangled < least:
                best, least = (box, end, u, line), tangled
                if not tangled:
                    break
    return best


def place_labels(words, dots, avoid, size):  # [n] str, [n] (x, y, r), [k] boxes, (width, height) -> [n] label dicts
    """Greedy and deterministic, in two passes over the dots, the most crowded first (then in list order):
    first each dot that has room right beside it takes the best such box; then the others try leader lines
    too (`best_spot`). A label never overlaps another, a dot or a box in `avoid` (the axis names), and
    stays inside the plot (size: its width and height). A dot that finds no room at all gets a "crowded" label: the box beside it that
    overlaps the fewest labels, drawn only on hover, which never pushes a later label away."""
    n = len(dots)
    xy = np.array([d[:2] for d in dots], dtype=float).reshape(n, 2)
    distance = np.linalg.norm(xy[:, None] - xy[None], axis=-1)  # [n, n]
    crowding = np.round(np.maximum(NEAR - distance, 0).sum(axis=1), 6).tolist()  # rounded: no float ties
    near = distance < NEAR  # [n, n], each dot its own neighbour
    away = xy - near @ xy / near.sum(axis=1, keepdims=True)  # [n, 2]: from its neighbours' middle
    away = np.where(away.any(axis=1, keepdims=True), away, xy - (size[0] / 2, size[1] / 2)).tolist()  # or the plot's
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
                x,
                y,
                r,
                width,
                away[i],
                in_the_way,
                near_labels,
                [line for line in lines if cuts(line, reach)],
                leaders,
                size,
            )
            if spot is None and not leaders:
                continue  # its turn comes again, with leader lines
            crowded = spot is None
            if crowded:  # the box beside the dot, inside the plot, overlapping the fewest labels
                beside = list(itertools.islice(candidates(x, y, r, width, (0, 0)), len(BESIDE)))
                misses = [
                    sum(overlaps(box, b) for b in placed) + (0 if inside(box, size) else n + len(placed))
                    for box, *_ in beside
                ]
                spot = (*beside[misses.index(min(misses))][:3], None)
            box, end, u, line = spot
            shift = max(0.0, -box[0]) - max(0.0, box[2] - size[0])  # a word wider than the room: moved in
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
