"""Chapter 2's features as directions, computed in CPython: the superposition widget against
llm_core.superposition's own training run, its clamping and messages, and the numbers the chapter's section
states (the toy model's three regimes and the month direction of the tiny model's embedding table)."""

import math
from pathlib import Path

import numpy as np
import pytest
from widget_loader import load_widget, run

from llm_core.embeddings import mean_difference_direction
from llm_core.models import tiny_model
from llm_core.superposition import ToyConfig, feature_norms, superposition, train_toy_model
from widgetlib.fmt import fixed

widget = load_widget("superposition")
CHAPTER = Path(__file__).resolve().parents[2] / "chapters" / "02-embeddings.md"
MONTHS = "January February March April May June July August September October November December".split()


def trained(**params):  # -> w, b as the widget trains them
    p = widget.read_params(params)
    cfg = ToyConfig(
        p["n_features"], 2, p["sparsity"], p["importance_decay"], widget.BATCH, widget.STEPS, widget.LEARNING_RATE
    )
    w, b, _ = train_toy_model(cfg, np.random.default_rng(p["seed"]))
    return w, b


@pytest.mark.parametrize("params", [{}, {"sparsity": 0}, {"n_features": 12, "sparsity": 0.99, "seed": 3}])
def test_the_figure_is_llm_cores_trained_model(params):
    r = run(widget, **params)
    w, _ = trained(**params)
    norms, sups = feature_norms(w), superposition(w)
    assert [row["norm"] for row in r["rows"]] == [float(n) for n in norms]
    assert [row["superposition"] for row in r["rows"]] == [float(s) for s in sups]
    assert r["n_kept"] == int(np.sum(norms >= widget.REPRESENTED))
    centre = widget.SIZE / 2
    for arrow, (x, y) in zip(r["plane"]["arrows"], w.T):
        assert arrow["tip"] == [round(centre + x * widget.RADIUS, 2), round(centre - y * widget.RADIUS, 2)]
        assert arrow["kept"] == (math.hypot(x, y) >= widget.REPRESENTED)
    assert r["summary"].startswith(f"{r['n_kept']} of {len(r['rows'])} features represented")


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"n_features": 1}, "n_features", 3),
        ({"n_features": 99}, "n_features", 12),
        ({"sparsity": 1}, "sparsity", 0.99),
        ({"sparsity": -2}, "sparsity", 0.0),
        ({"importance_decay": 0}, "importance_decay", 0.5),
        ({"seed": -1}, "seed", 0),
    ],
)
def test_controls_are_clamped(params, key, expected):
    assert run(widget, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, message",
    [({"sparsity": "dense"}, "sparsity must be a number"), ({"n_features": 4.5}, "n_features must be a whole")],
)
def test_bad_values_raise_plain_errors(params, message):
    with pytest.raises(ValueError, match=message):
        widget.compute(params)


def token(word: str) -> int:
    ids = tiny_model().encoding.encode_ordinary(word)
    assert len(ids) == 1, word
    return ids[0]


def section() -> str:
    text = CHAPTER.read_text()
    return " ".join(text[text.index("## Features as directions") : text.index("## What the table is not")].split())


def test_the_chapters_toy_model_numbers():
    text = section()
    r = run(widget)
    assert r["params"] == {"n_features": 5, "sparsity": 0.9, "importance_decay": 0.9, "seed": 0}
    assert "(5 features, sparsity 0.9, importance decay 0.9)" in text and r["n_kept"] == 5
    norms = sorted(row["norm_text"] for row in r["rows"])
    assert f"length {norms[0]} to {norms[-1]}" in text
    sups = sorted(row["superposition_text"] for row in r["rows"])
    assert f"(superposition {sups[0]} to {sups[-1]})" in text
    assert f"{r['dims_text']} dimensions per feature" in text
    w, b = trained()
    angles = np.sort(np.degrees(np.arctan2(w[1], w[0])))
    gaps = np.diff(np.concatenate([angles, angles[:1] + 360]))
    assert np.all(np.abs(gaps - 72) < 5) and "close to the 72° of a regular pentagon" in text
    assert np.all(b < 0) and "a negative bias" in text
    dense = run(widget, sparsity=0)
    kept = [row for row in dense["rows"] if row["status"] != "dropped"]
    assert [row["i"] for row in kept] == [0, 1] and all(row["status"] == "own direction" for row in kept)
    assert f"(superposition {kept[0]['superposition_text']} and {kept[1]['superposition_text']})" in text
    assert "drops the other three" in text
    middle = run(widget, sparsity=0.8)
    pairs = [row for row in middle["rows"] if row["status"] != "dropped"]
    assert len(pairs) == 4 and "it keeps 4 of the 5, in two opposite pairs" in text
    assert all(abs(row["superposition"] - 1) < 0.1 for row in pairs)  # "superposition about 1"


def test_the_chapters_month_direction():
    """The mean of the month rows minus the mean of the rest: the months' range, the next tokens, and each
    month left out of the direction still above every non-month token."""
    text = section()
    model = tiny_model()
    table = model.weights["tok_emb"].astype(np.float64)
    ids = [model.encoding.encode_ordinary(" " + m)[0] for m in MONTHS]
    assert all(len(model.encoding.encode_ordinary(" " + m)) == 1 for m in MONTHS)
    others = np.setdiff1d(np.arange(len(table)), ids)
    assert f"the other {len(others):,} rows" in text
    along = table @ mean_difference_direction(table, ids)
    assert f"between {fixed(along[ids].min(), 3)} and {fixed(along[ids].max(), 3)}" in text
    order = others[np.argsort(-along[others])]
    assert [model.encoding.decode([int(i)]) for i in order[:2]] == [" ", " year"]
    month, day = token(" month"), token(" day")
    assert list(order).index(month) < 20 and list(order).index(day) < 20  # "a little further down"
    s = [fixed(along[i], 3) for i in (order[0], order[1], month, day)]
    assert f"a lone space at {s[0]}, then ` year` at {s[1]}; a little further down come ` month` ({s[2]}) and" in text
    assert f"` day` ({s[3]})" in text
    for held_out in ids:
        rest = [i for i in ids if i != held_out]
        along_rest = table @ mean_difference_direction(table, rest)
        assert along_rest[held_out] > along_rest[others].max()
    assert "still scores above every one of the other 4,084 tokens" in text
