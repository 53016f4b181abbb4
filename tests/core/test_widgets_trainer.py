"""The trainer widget (chapter 15) and llm_core.train's training_run: chunked runs equal whole ones,
divergence stops with the last good weights, bad input gets a message, and the chapter's numbers."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from widget_loader import load_widget, run

from llm_core.model import ModelConfig, random_weights
from llm_core.train import TrainConfig, mean_loss, step_flops, train_step, training_run

CHAPTER = (Path(__file__).resolve().parents[2] / "chapters" / "15-training.md").read_text(encoding="utf-8")
SMALL = {"d_model": 32, "n_layer": 1, "n_head": 2, "n_ctx": 16}


@pytest.fixture(scope="module")
def trainer():
    return load_widget("trainer")


def curve(widget):
    r = widget._latest["run"]
    return list(r["losses"]), list(r["evals"]), r["step"]


def test_training_run_is_train_step_in_a_loop():
    """The generator takes exactly train_step's steps on random_batch's windows (same rng draws)."""
    cfg = ModelConfig(n_vocab=16, n_ctx=4, d_model=8, n_layer=1, n_head=2, n_kv_head=1, d_head=4, d_ff=8)
    tokens, hp = np.arange(50) % 16, TrainConfig(steps=4, warmup=1, lr=0.01)
    got = [
        stats["loss"] for _, _, stats in training_run(random_weights(cfg), cfg, tokens, hp, 2, np.random.default_rng(1))
    ]
    rng, weights, state, want = np.random.default_rng(1), random_weights(cfg), {}, []
    for step in range(4):
        starts = rng.integers(0, len(tokens) - 4, size=2)
        windows = tokens[starts[:, None] + np.arange(5)]
        weights, state, stats = train_step(weights, state, cfg, windows[:, :-1], windows[:, 1:], step, hp)
        want.append(stats["loss"])
    assert got == want


def test_training_run_stops_on_divergence_and_keeps_the_last_good_weights():
    cfg = ModelConfig(n_vocab=32, n_ctx=8, d_model=16, n_layer=1, n_head=2, n_kv_head=1, d_head=8, d_ff=16)
    tokens = np.random.default_rng(0).integers(0, 32, 400)
    hp = TrainConfig(steps=100, warmup=1, lr=10.0, grad_clip=0.0)
    yields = list(training_run(random_weights(cfg), cfg, tokens, hp, 4, np.random.default_rng(0), 2 * math.log(32)))
    *good, (step, weights, stats) = yields
    assert "stopped" in stats and len(yields) < 100
    assert not math.isfinite(stats["loss"]) or stats["loss"] > 2 * math.log(32) or "overflowed" in stats["stopped"]
    kept = dict(good)[step] if step else random_weights(cfg)  # the weights reached at that step, earlier
    assert all(np.array_equal(weights[k], kept[k]) for k in weights)
    assert all(np.isfinite(w).all() for w in weights.values())


def test_mean_loss_is_the_batch_loss_without_gradients():
    cfg = ModelConfig(n_vocab=16, n_ctx=6, d_model=8, n_layer=2, n_head=2, n_kv_head=1, d_head=4, d_ff=8)
    w, ids = random_weights(cfg, 3), np.random.default_rng(2).integers(0, 16, (3, 7))
    from llm_core.train import loss_and_grads

    assert mean_loss(w, cfg, ids[:, :-1], ids[:, 1:]) == pytest.approx(
        loss_and_grads(w, cfg, ids[:, :-1], ids[:, 1:])[0]
    )


def test_step_flops_counts_six_per_parameter_per_token_plus_attention():
    cfg = ModelConfig(n_vocab=256, n_ctx=32, d_model=48, n_layer=2, n_head=4, n_kv_head=2, d_head=12, d_ff=144)
    n = 256 * 48 + 2 * (48 + 48 * 48 + 2 * 48 * 24 + 48 * 48 + 48 + 3 * 48 * 144) + 48  # counted by hand
    assert step_flops(cfg, 8, 32) == 6 * n * 256 + 12 * 2 * 4 * 12 * 32 * 256


def test_a_run_in_chunks_equals_the_run_in_one_call(trainer):
    whole = run(trainer, **SMALL, at=7)
    whole_curve = curve(trainer)
    trainer._latest.clear()
    steps = []
    params = {**SMALL, "at": 0}
    for _ in range(10):
        r = run(trainer, **params)
        steps.append(r["step"])
        params = {**SMALL, "at": 7, "chunk": 3}
    assert steps[:4] == [0, 3, 6, 7]  # at most 3 steps per call, then nothing more to do
    assert curve(trainer) == whole_curve
    same = [k for k in whole if k not in ("measured", "params")]  # params: the chunk asked for differs
    assert {k: r[k] for k in same} == {k: whole[k] for k in same}


def test_a_chunk_from_scratch_runs_at_most_chunk_steps(trainer):
    trainer._latest.clear()
    r = run(trainer, **SMALL, at=50, chunk=4)
    assert r["step"] == 4 and r["next_at"] == 4 + r["chunk"] and not r["done"]


def test_starts_near_a_uniform_guess_and_reports_every_number(trainer):
    r = run(trainer, **SMALL, at=0)
    held = trainer._latest["run"]["evals"][0][1]
    assert abs(held - math.log(256)) < 0.1
    assert "Untrained" in r["status"] and r["plot"]["train"] == ""
    r = run(trainer, **SMALL, at=3)
    labels = [row["label"] for row in r["readouts"]]
    assert labels == ["training loss", "held-out loss", "gradient norm", "learning rate"]
    assert r["measured"]["tokens_per_s"] > 0 and "tokens/s" in r["measured"]["line"]


def test_the_trained_model_opens_as_a_model(trainer):
    run(trainer, **SMALL, at=2)
    model = trainer.trained_model()
    assert model.cfg.d_model == 32 and model.encoding.n_vocab == 256
    assert model.weights is trainer._latest["run"]["weights"]
    assert "trained_model()" in run(trainer, **SMALL, at=2)["console_code"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Nothing to train on"),
        ("   \n", "Nothing to train on"),
        ("x", "The text is 1 token long"),
        ("é", "The text is 2 tokens long"),
        ("a short text, shorter than two windows of the context", "training needs at least 66"),
    ],
)
def test_text_too_short_gets_a_message(trainer, text, message):
    r = run(trainer, source="own", text=text)
    assert message in r["problem"] and r["done"] and "menus" in r


def test_a_learning_rate_too_high_stops_with_a_message_and_keeps_good_weights(trainer):
    r = run(trainer, **SMALL, lr=3.0, at=40, seed=3)
    state = trainer._latest["run"]
    assert r["done"] and r["stopped"] and "Stopped at step" in r["status"] and "smaller learning rate" in r["status"]
    assert r["step"] < 40 and all(np.isfinite(w).all() for w in state["weights"].values())
    assert "NaN" not in str(r)  # plain JSON, and nothing a reader would read as a bug


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"d_model": 1000}, "d_model", 64),
        ({"d_model": 40}, "d_model", 32),
        ({"n_layer": -3}, "n_layer", 1),
        ({"n_head": 3}, "n_head", 2),
        ({"n_ctx": 1e9}, "n_ctx", 64),
        ({"lr": 1e6}, "lr", 10.0),
        ({"steps": 5}, "steps", 100),
        ({"at": 10**9, "steps": 100}, "at", 100),
    ],
)
def test_sizes_out_of_range_are_clamped(trainer, params, key, expected):
    p, _ = trainer.read_params(params)
    assert p[key] == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"d_model": "wide"}, "d_model must be a number"),
        ({"lr": float("nan")}, "learning rate must be a finite number"),
        ({"source": "moby-dick"}, "text source must be one of"),
        ({"tokenizer": "words"}, "tokenizer must be one of"),
        ({"text": 42}, "text must be text"),
    ],
)
def test_bad_values_raise_a_readable_error(trainer, params, message):
    with pytest.raises(ValueError, match=message):
        trainer.compute(params)


def test_odd_text_trains(trainer):
    r = run(trainer, source="own", text="🦙 naïve \ud800 שלום " * 30, n_ctx=16, at=2, tokenizer="bpe")
    assert r["problem"] is None and r["step"] == 2


def test_a_pasted_megabyte_is_cut_with_a_note(trainer):
    p, notes = trainer.read_params({"source": "own", "text": "ab " * 400_000})
    assert len(p["text"]) == trainer.MAX_TEXT_CHARS and "only its last" in notes[0]


def test_the_chapter_states_the_default_run():
    """The numbers 'What to expect' gives: the default run's held-out loss at steps 0, 30 and 200."""
    widget = load_widget("trainer")
    r = run(widget, at=200)
    evals = dict(widget._latest["run"]["evals"])
    text = " ".join(CHAPTER.split())
    assert f"$\\ln 256 = {math.log(256):.3f}$" in text
    assert f"held-out loss at step 0 is {evals[0]:.3f}" in text
    assert f"step 30, the figure as this page was built, it is {evals[30]:.3f}" in text
    assert f"default 200 steps the held-out loss is {evals[200]:.3f}" in text
    assert widget.DEFAULTS["at"] == 30 and widget.DEFAULTS["steps"] == 200
    assert all(2.85 <= evals[s] <= 2.99 for s in (40, 50, 60, 70))  # "near 2.9 nats" for a while
    assert re.search(r"\bto\b", r["sample_now"]["text"]) and "th" in r["sample_now"]["text"]
