"""The training chapter's widgets, computed in CPython: training_curves and checkpoint_samples.

training_curves is checked against curves.json itself (every logged point plotted, read-offs equal to
the nearest logged value, perplexity = exp(loss), the reference line = ln n_vocab); checkpoint_samples
against llm_core (the checkpoint it loads is the file curves.json names, greedy picks the argmax of that
checkpoint's logits, the prompt loss equals cross_entropy), plus limits and bad-input messages.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from llm_core.loss import cross_entropy
from llm_core.model_files import load_model
from llm_core.model import n_params
from widgetlib.model import tiny_config
from widgetlib.fmt import fixed, percent, signed
from tests.tolerances import forward_terms, is_top, rounding_tolerance
from widget_loader import load_widget, run as run_widget

ROOT = Path(__file__).resolve().parents[2]
CURVES = json.loads((ROOT / "models" / "tiny" / "curves.json").read_text())


training_curves = load_widget("training_curves")
checkpoint_samples = load_widget("checkpoint_samples")
ALL = [training_curves, checkpoint_samples]
SHORT = {"n_tokens": 4}  # checkpoint_samples: keep the runs short


def run(widget, **params):  # checkpoint_samples: short runs unless the test sets n_tokens
    extra = SHORT if widget is checkpoint_samples else {}
    return run_widget(widget, **{**extra, **params})


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
def test_declares_its_data_files(widget):
    assert widget.DATA  # the model's files (and curves.json), which the page loads before calling compute


# -- training_curves ------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", ["log", "linear"])
def test_every_logged_point_is_plotted_in_order(axis):
    r = run(training_curves, axis=axis)
    n_val = sum(s >= training_curves.LOG_FIRST_STEP or axis == "linear" for s in CURVES["val"]["step"])
    assert len(r["train_line"]) == len(CURVES["train"]["step"]) and len(r["val_line"]) == n_val
    xs = [x for x, _ in r["train_line"]]
    assert xs == sorted(xs) and r["axes"]["left"] <= xs[0] and xs[-1] == pytest.approx(r["axes"]["right"])
    for line in (r["train_line"], r["val_line"]):
        assert all(r["axes"]["top"] <= y <= r["axes"]["bottom"] for _, y in line)
    # A lower loss is drawn higher up: the y order is the reverse of the loss order.
    losses = CURVES["train"]["loss"]
    i, j = int(np.argmin(losses)), int(np.argmax(losses))
    assert r["train_line"][i][1] > r["train_line"][j][1]


@pytest.mark.parametrize("step", [0, 1, 20, 41, 42, 333, 1000, 2496, 4160])
def test_read_off_is_the_nearest_logged_value(step):
    r = run(training_curves, step=step)
    for key in ("train", "val"):
        curve = CURVES[key]
        best = min(abs(s - step) for s in curve["step"])
        assert abs(r[key]["step"] - step) == best
        i = curve["step"].index(r[key]["step"])
        assert r[key]["loss"] == curve["loss"][i] and r[key]["tokens"] == curve["tokens"][i]
        assert math.isclose(r[key]["perplexity"], math.exp(curve["loss"][i]))
    assert math.isclose(r["gap"], r["val"]["loss"] - r["train"]["loss"])
    assert r["tokens"] == step * 16 * 256


def test_checkpoints_and_reference_come_from_the_files():
    r = run(training_curves, step=333)
    assert [k["step"] for k in r["checkpoints"]] == [k["step"] for k in CURVES["checkpoints"]]
    assert [k["val_loss"] for k in r["checkpoints"]] == [k["val_loss"] for k in CURVES["checkpoints"]]
    assert [k["selected"] for k in r["checkpoints"]].count(True) == 1
    assert math.isclose(r["reference"]["loss"], math.log(4096))
    assert r["first"] == {"step": 0, "loss": CURVES["val"]["loss"][0], "perplexity": math.exp(CURVES["val"]["loss"][0])}


def test_the_finished_run():
    r = run(training_curves, step=4160)
    cfg = tiny_config()
    assert r["n_params"] == n_params(cfg) == 1_705_600
    assert r["tokens"] == 17_039_360 and math.isclose(r["tokens_per_param"], 17_039_360 / 1_705_600)
    assert math.isclose(r["flops"], 6 * 1_705_600 * 17_039_360) and r["flops_text"] == "1.7 × 10¹⁴"
    assert r["val"]["loss"] == CURVES["val"]["loss"][-1] and r["train"]["loss"] == CURVES["train"]["loss"][-1]


def test_training_curves_shows_python_text():
    r = run(training_curves, step=333)
    assert r["train_points"] == " ".join(f"{x:.2f},{y:.2f}" for x, y in r["train_line"])
    assert r["val_points"].count(" ") == len(r["val_line"]) - 1
    readout = "".join(part["text"] for part in r["readout"])
    assert [part["text"] for part in r["readout"] if part.get("strong")] == [
        "333",
        fixed(r["train"]["loss"], 3),
        fixed(r["val"]["loss"], 3),
    ]
    assert f"Validation minus training: {signed(r['gap'], 3)} nats" in readout
    assert f"{fixed(r['tokens_per_param'], 2)} training tokens per parameter (1,705,600 parameters)" in readout
    assert r["flops_text"] in readout and "perplexity " + fixed(r["val"]["perplexity"], 1) in readout
    assert [row["cells"][0] for row in r["table"]] == ["0"] + [f"{k['step']:,}" for k in CURVES["checkpoints"]]
    assert [row["selected"] for row in r["table"]] == [False] + [k["selected"] for k in r["checkpoints"]]
    assert r["table"][0]["cells"][3] == f"{math.exp(CURVES['val']['loss'][0]):,.1f}"
    for k in r["checkpoints"]:
        x, y = k["at"]
        assert k["corner"] == [f"{x - 4:.2f}", f"{y - 4:.2f}"] and k["rotate"] == f"rotate(45 {x:g} {y:g})"
        assert k["title"].endswith(f": validation loss {k['val_loss']:.3f}")
    a = r["axes"]
    assert [t["end"] - a["bottom"] for t in a["x"]] == [5 if t["major"] else 3 for t in a["x"]]
    assert all(t["text_y"] == pytest.approx(t["at"] + 4) for t in a["y"])
    assert "from 8.35 nats at initialisation to 3.60 at step 4,160" in r["aria_label"]


def test_log_axis_cannot_show_step_zero():
    r = run(training_curves, step=0, axis="log")
    assert r["val"]["at"] is None and "linear" in r["note"]
    assert run(training_curves, step=0, axis="linear")["val"]["at"] is not None


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"step": -5}, "step", 0),
        ({"step": 10**9}, "step", 4160),
        ({"step": "42"}, "step", 42),
        ({"step": 42.0}, "step", 42),
    ],
)
def test_training_curves_clamps(params, key, expected):
    assert run(training_curves, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"step": ""}, "step must be a number"),
        ({"step": 1.5}, "whole number"),
        ({"axis": "cubic"}, "axis must be one of"),
    ],
)
def test_training_curves_bad_input(params, message):
    with pytest.raises(ValueError, match=message):
        training_curves.compute(params)


# -- checkpoint_samples ---------------------------------------------------------------------------


def test_data_lists_every_checkpoint_file():
    files = {f"models/tiny/{k['file']}" for k in CURVES["checkpoints"]}
    assert files <= set(checkpoint_samples.DATA)
    assert all((ROOT / f).exists() for f in checkpoint_samples.DATA)


@pytest.mark.parametrize("index", range(len(CURVES["checkpoints"])))
def test_greedy_at_each_checkpoint_follows_its_own_logits(index):
    k = CURVES["checkpoints"][index]
    prompt = "I ask the Congress to"
    r = run(checkpoint_samples, checkpoint=index, prompt=prompt, temperature=0, n_tokens=3)
    assert r["checkpoint"]["step"] == k["step"] and r["checkpoint"]["val_loss"] == k["val_loss"]
    assert r["checkpoint"]["final"] == (index == len(CURVES["checkpoints"]) - 1)
    snap = load_model(ROOT / "models" / "tiny", weights_file=k["file"])
    ids = snap.encoding.encode(prompt)
    for token in r["tokens"]:
        logits, _ = snap.forward(ids)  # the whole sequence at once; the widget's generate reads a KV cache
        tol = rounding_tolerance(forward_terms(snap.cfg, len(ids), logits=True), np.abs(logits[-1]).max())
        assert is_top(logits[-1], token["id"], 2 * tol) and token["p"] == 1.0
        ids.append(token["id"])


def test_checkpoints_differ_and_the_final_one_is_the_shipped_model():
    texts = {run(checkpoint_samples, checkpoint=i, temperature=0, n_tokens=6)["text"] for i in range(7)}
    assert len(texts) > 3
    final = run(checkpoint_samples, checkpoint=6, temperature=0, n_tokens=6)
    tiny = load_model(ROOT / "models" / "tiny")
    assert final["text"] == tiny.generate("I ask the Congress to", 6, temperature=0)["text"]


def test_prompt_loss_at_every_checkpoint_is_cross_entropy():
    prompt = "The people of the United States have a right to expect peace."
    r = run(checkpoint_samples, prompt=prompt, checkpoint=4)
    assert [row["step"] for row in r["losses"]] == [k["step"] for k in CURVES["checkpoints"]]
    assert [row["selected"] for row in r["losses"]] == [i == 4 for i in range(7)]
    for row, k in zip(r["losses"], CURVES["checkpoints"]):
        snap = load_model(ROOT / "models" / "tiny", weights_file=k["file"])
        ids = snap.encoding.encode(prompt)
        logits, _ = snap.forward(ids)
        mean, _ = cross_entropy(logits[:-1], np.array(ids[1:]))
        assert math.isclose(row["loss"], mean, rel_tol=1e-6)
        assert math.isclose(row["perplexity"], math.exp(row["loss"]))
    assert r["n_scored"] == len(ids) - 1
    # What the rows show: each loss and perplexity as text, and bars scaled to the largest loss.
    top = max(row["loss"] for row in r["losses"])
    for row in r["losses"]:
        assert row["text"].startswith(f"{fixed(row['loss'], 2)} nats, perplexity ")
        assert row["text"].endswith(" ◀ shown") == row["selected"]
        assert row["width"] == f"{100 * row['loss'] / top:.1f}%" and row["step_text"] == f"step {row['step']:,}"
    assert "100.0%" in [row["width"] for row in r["losses"]]
    # Over a whole sentence, the finished model beats the first snapshot by a wide margin.
    assert r["losses"][-1]["loss"] < r["losses"][0]["loss"] - 2


def test_checkpoint_samples_shows_python_text():
    r = run(checkpoint_samples, checkpoint=5, temperature=0.75, n_tokens=5, prompt="word " * 40)
    k = CURVES["checkpoints"][5]
    assert r["readouts"] == {
        "checkpoint": f"step {k['step']:,}",
        "checkpoint_aria": f"step {k['step']}",
        "n_tokens": "5",
        "temperature": "0.75",
    }
    assert r["checkpoint"]["val_loss_text"] == fixed(k["val_loss"], 3)
    assert r["checkpoint"]["tokens_text"] == f"{k['tokens']:,}" and r["last_step_text"] == "4,160"
    assert all(t["title"] == f"probability {percent(t['p'])} when drawn" for t in r["tokens"])
    assert r["more_prompt"] and len(r["prompt_tokens"]) == 24 < r["n_prompt_tokens"]
    assert not run(checkpoint_samples, prompt="I ask")["more_prompt"]


@pytest.mark.parametrize("seed", [0, 1, 99])
def test_same_seed_same_sample(seed):
    a = run(checkpoint_samples, seed=seed, temperature=1.2, checkpoint=2)
    b = run(checkpoint_samples, seed=seed, temperature=1.2, checkpoint=2)
    assert a == b


def test_different_seeds_can_differ():
    texts = {run(checkpoint_samples, seed=s, temperature=1.5, checkpoint=1)["text"] for s in range(6)}
    assert len(texts) > 1


@pytest.mark.parametrize("prompt", ["", "x", "🙂🙂 مرحبا \u202e\x00\x07", "\ud800 lone surrogate", "a " * 500_000])
def test_odd_prompts_give_a_figure(prompt):
    r = run(checkpoint_samples, prompt=prompt)
    assert len(r["tokens"]) == 4
    if r["n_prompt_tokens"] < 2:
        assert r["losses"] == [] and "single token" in r["note"]
    if len(prompt) > 2_000:
        assert "characters" in r["note"] and r["n_prompt_tokens"] <= 256


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"checkpoint": -1}, "checkpoint", 0),
        ({"checkpoint": 99}, "checkpoint", 6),
        ({"temperature": 9}, "temperature", 2.0),
        ({"temperature": "0.5"}, "temperature", 0.5),
        ({"n_tokens": 0}, "n_tokens", 1),
        ({"n_tokens": 999}, "n_tokens", 48),
        ({"seed": -3}, "seed", 0),
    ],
)
def test_checkpoint_samples_clamps(params, key, expected):
    assert run(checkpoint_samples, **params)["params"][key] == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"seed": ""}, "seed must be a number"),
        ({"checkpoint": "last"}, "checkpoint must be a number"),
        ({"temperature": float("nan")}, "finite"),
        ({"prompt": 42}, "prompt must be text"),
    ],
)
def test_checkpoint_samples_bad_input(params, message):
    with pytest.raises(ValueError, match=message):
        checkpoint_samples.compute(params)
