"""widgetlib, what widgets share: each module against a reference or a hand-worked case.

labels (embedding_map's label engine) is checked with naive geometry (boxes apart, a dot's distance to a
box) rather than its own helpers, on a tight cluster, a crowd with no room, boxes to avoid and plots of
other sizes; model, sampling, plot, fmt and prompt against llm_core and closed forms.
"""

import json
import math

import pytest

from llm_core.controls import as_int, as_number
from llm_core.models import tiny_model
from llm_core.tokenizer import render_token
from widgetlib import labels as engine
from widgetlib.fmt import count, power_of_ten
from widgetlib.model import TINY_FILES, chip, embedding_table, tiny, token_segs
from widgetlib.plot import bars, frame
from widgetlib.prompt import prompt_ids
from widgetlib.sampling import MAX_SEED, MAX_TEMPERATURE, MAX_TOP_K, SAMPLING, read_prompt, read_sampling

SIZE = (480, 360)  # embedding_map's plot


# --- labels -------------------------------------------------------------------------------------------


def apart(a, b) -> bool:  # boxes (x0, y0, x1, y1) share no interior point
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def dot_to_box(pt, box) -> float:
    dx = max(box[0] - pt["x"], 0, pt["x"] - box[2])
    dy = max(box[1] - pt["y"], 0, pt["y"] - box[3])
    return math.hypot(dx, dy)


def check_labels(points, size, axes=()):  # asserts the placement rules; -> the labels that found room
    """points: [{"word", "x", "y", "r", "label"}]; size: the plot's (width, height); axes: axis names' anchors."""
    width, height = size
    for pt in points:
        label, (x0, y0, x1, y1) = pt["label"], pt["label"]["box"]
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, pt["word"]  # inside the plot
        assert x1 - x0 >= engine.text_width(pt["word"], engine.LABEL_FONT), pt["word"]  # room for the whole word
        assert label["anchor"] in ("start", "middle", "end") and math.isclose(label["y"], (y0 + y1) / 2)
        text_x = {"start": x0 + engine.LABEL_PAD, "middle": (x0 + x1) / 2, "end": x1 - engine.LABEL_PAD}
        assert label["x"] == text_x[label["anchor"]]
        end = (label["x2"], label["y2"])
        if label["leader"]:  # the line ends on the label's edge, away from the dot
            assert dot_to_box({"x": end[0], "y": end[1]}, label["box"]) < 1e-9
            assert math.dist(end, (pt["x"], pt["y"])) > pt["r"] + engine.GAP
        elif not label["crowded"]:  # right beside the dot
            assert math.isclose(math.dist(end, (pt["x"], pt["y"])), pt["r"] + engine.GAP)
    placed = [pt for pt in points if not pt["label"]["crowded"]]
    for i, a in enumerate(placed):
        assert all(apart(a["label"]["box"], b["label"]["box"]) for b in placed[i + 1 :]), a["word"]
        assert all(dot_to_box(b, a["label"]["box"]) >= b["r"] for b in points if b is not a), a["word"]
        assert all(apart(a["label"]["box"], engine.axis_name_box(ax["x2"], ax["y2"], ax["label"])) for ax in axes)
    return placed


def test_a_tight_cluster_fans_its_labels_out_on_leader_lines():
    words = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
    dots = [[240 + 3 * math.cos(k), 180 + 3 * math.sin(k), 4.0] for k in range(len(words))]  # all within 3 units
    labels = engine.place_labels(words, dots, [], SIZE)
    points = [{"word": w, "x": x, "y": y, "r": r, "label": label} for w, (x, y, r), label in zip(words, dots, labels)]
    assert len(check_labels(points, SIZE)) == len(words)  # every word has room
    assert sum(label["leader"] for label in labels) >= len(words) - 4  # most reached by a line
    assert json.loads(json.dumps(labels, allow_nan=False)) == labels
    assert engine.place_labels(words, dots, [], SIZE) == labels  # deterministic


def test_when_there_is_no_room_labels_are_marked_crowded_and_stay_in_the_plot():
    words = [f"word{k:02d}" for k in range(60)] + ["responsibilities"]  # the tiny model's longest token
    dots = [[240 + 0.1 * k, 180, 4.0] for k in range(60)] + [[476, 356, 4.0]]  # a blob, and a dot in a corner
    labels = engine.place_labels(words, dots, [], SIZE)
    points = [{"word": w, "x": x, "y": y, "r": r, "label": label} for w, (x, y, r), label in zip(words, dots, labels)]
    placed = check_labels(points, SIZE)
    assert 0 < len(placed) < len(words)
    assert all(not label["leader"] for label in labels if label["crowded"])
    assert not labels[-1]["crowded"] and labels[-1]["anchor"] == "end"  # the corner's word goes to its left


@pytest.mark.parametrize("size", [(480, 360), (300, 500), (900, 200)])
def test_labels_stay_inside_plots_of_any_size_and_clear_of_boxes_to_avoid(size):
    width, height = size
    words = ["war", "peace", "army", "navy", "soldiers", "treaty", "January", "February"]
    dots = [[width / 2 + 40 * math.cos(k), height / 2 + 30 * math.sin(k), 4.0] for k in range(len(words))]
    avoid = [(width / 2 - 30, height / 2 - 60, width / 2 + 30, height / 2 - 40)]  # a box above the middle
    labels = engine.place_labels(words, dots, avoid, size)
    points = [{"word": w, "x": x, "y": y, "r": r, "label": label} for w, (x, y, r), label in zip(words, dots, labels)]
    placed = check_labels(points, size)
    assert len(placed) == len(words)
    assert all(apart(p["label"]["box"], avoid[0]) for p in placed)


def test_text_width_errs_wide_for_wide_letters_and_full_width_characters():
    assert engine.text_width("mmm", 10) > engine.text_width("iii", 10) > 0
    assert engine.text_width("漢", 10) == 10.0 and engine.text_width("", 10) == 0


def test_segments_that_cross_and_segments_through_a_box():
    assert engine.crosses((0, 0, 2, 2), (0, 2, 2, 0)) and not engine.crosses((0, 0, 1, 1), (2, 2, 3, 3))
    assert engine.cuts((-1, 1, 3, 1), (0, 0, 2, 2))  # both ends outside, through the middle
    assert not engine.cuts((-1, 3, 3, 3), (0, 0, 2, 2))


# --- model, sampling, prompt ----------------------------------------------------------------------------


def test_every_widget_reads_one_tiny_model():
    assert tiny() is tiny() is tiny_model()
    assert TINY_FILES == [
        f"models/tiny/{f}" for f in ("config.json", "weights.npz", "tokenizer.json", "vocab.tiktoken")
    ]
    assert embedding_table().dtype.name == "float64" and (embedding_table() == tiny().weights["tok_emb"]).all()


@pytest.mark.parametrize("text", ["The", " United", "\n\n", "é"])
def test_a_chip_is_the_tokens_id_and_rendered_bytes(text):
    enc = tiny().encoding
    for i in enc.encode(text):
        data = enc.decode_tokens_bytes([i])[0]
        assert chip(i, p=0.5) == {"id": i, "segs": render_token(data), "nl": b"\n" in data, "p": 0.5}
        assert token_segs(i) == token_segs(i, enc) == render_token(data)


def test_sampling_controls_are_llm_core_controls_with_one_set_of_ranges():
    raw = {"temperature": "9", "top_k": -3, "top_p": 0.5, "min_p": 2, "seed": 2**40}
    assert read_sampling(raw) == {
        "temperature": as_number("temperature", "9", 0.0, MAX_TEMPERATURE),
        "top_k": as_int("top_k", -3, 0, MAX_TOP_K),
        "top_p": 0.5,
        "min_p": 1.0,
        "seed": MAX_SEED,
    }
    assert list(read_sampling(raw)) == list(SAMPLING) and read_sampling(raw, ("seed",)) == {"seed": MAX_SEED}
    with pytest.raises(ValueError, match="top_k must be a whole number"):
        read_sampling({**raw, "top_k": 2.5})
    with pytest.raises(ValueError, match="the prompt must be text"):
        read_prompt({"prompt": None})


def test_prompt_ids_keeps_a_figures_last_max_tokens_and_says_so():
    model = tiny()
    text = "I ask the Congress to act, and I ask the Congress to act now."
    full, notes = prompt_ids(model, text)
    cut, cut_notes = prompt_ids(model, text, max_tokens=5)
    assert not notes and cut == full[-5:]
    assert cut_notes == [f"The prompt is {len(full)} tokens: this figure reads only its last 5."]
    assert prompt_ids(model, text, max_tokens=len(full)) == (full, [])


# --- plot, fmt ---------------------------------------------------------------------------------------


def test_bars_fill_the_plot_box_with_heights_in_proportion():
    box = frame(300, 120, 30, 10, 10, 20)
    assert (box["right"] - box["left"], box["bottom"] - box["top"]) == (260, 90)
    values = [3, 1.5, 0, 3]
    drawn = bars(values, 3, box)
    assert [b["x"] for b in drawn] == [30, 95, 160, 225] and {b["w"] for b in drawn} == {65}
    for b, v in zip(drawn, values):
        assert b["h"] == 90 * v / 3 and b["y"] + b["h"] == box["bottom"]


@pytest.mark.parametrize("x", [1.0, 6e21, 9.994e13, 9.996e13, 1.2345e-7, 123456789.0])
def test_power_of_ten_reads_back_as_x_to_three_significant_digits(x):
    p = power_of_ten(x)
    assert 1 <= float(p["mantissa"]) < 10
    assert math.isclose(float(p["mantissa"]) * 10 ** int(p["exponent"]), float(f"{x:.2e}"), rel_tol=1e-12)


def test_count_suffixes():
    assert [count(n) for n in (999, 1000, 1.7e6, 46.7e9, 1.4e12)] == ["999", "1k", "1.7M", "46.7B", "1.4T"]
