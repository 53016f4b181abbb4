"""Chapter 0's widget, model_pass, computed in CPython.

Checked against llm_core itself: after k loop steps the sequence is the prompt plus the first k tokens
of `generate` with the same seed, the sampled token is generate's next one, temperature 0 takes the
argmax of the model's own logits, and the logit lens of the last block is the model's output; plus the
limits, clamping and bad-input messages.
"""

import json
import math

import numpy as np
import pytest
from tests.tolerances import forward_terms, is_top, rounding_tolerance
from llm_core.models import tiny_model
from widget_loader import load_widget, run as run_widget
from widgetlib.fmt import fixed, integer, percent

PROMPT = "The President of the United States"


model_pass = load_widget("model_pass")


def run(**params):  # this file's one widget
    return run_widget(model_pass, **params)


def test_declares_its_data_files():
    assert model_pass.DATA  # the tiny model's files, which the page loads before calling compute


@pytest.mark.parametrize("step, temperature, seed", [(0, 0.8, 2), (3, 1.0, 5), (9, 1.5, 0), (16, 0.8, 2)])
def test_step_k_is_the_prompt_plus_k_tokens_of_generate(step, temperature, seed):
    tiny = tiny_model()
    r = run(prompt=PROMPT, step=step, temperature=temperature, seed=seed)
    ref = tiny.generate(PROMPT, step + 1, temperature=temperature, seed=seed)
    prompt_ids = tiny.encoding.encode(PROMPT)
    sequence = prompt_ids + ref["new_ids"][:step]
    assert r["n_seq"] == len(sequence) and r["n_prompt_tokens"] == len(prompt_ids)
    assert [c["id"] for c in r["tokens"]] == sequence[-len(r["tokens"]) :]
    assert [c.get("new", False) for c in r["tokens"]] == [i >= len(prompt_ids) for i in range(len(sequence))][
        -len(r["tokens"]) :
    ]
    assert r["next"]["id"] == ref["new_ids"][step]
    assert r["generated"] == tiny.encoding.decode(ref["new_ids"][:step])
    # a shorter run of generate gives the same first tokens: the loop does not depend on its length
    assert tiny.generate(PROMPT, step, temperature=temperature, seed=seed)["new_ids"] == ref["new_ids"][:step]


@pytest.mark.parametrize("step", [0, 4])
def test_temperature_zero_takes_the_argmax(step):
    tiny = tiny_model()
    r = run(step=step, temperature=0)
    sequence = tiny.encoding.encode(PROMPT) + [c["id"] for c in r["tokens"] if c.get("new")]
    logits, _ = tiny.forward(sequence)  # the whole sequence at once; the widget's step read a KV cache
    tol = rounding_tolerance(forward_terms(tiny.cfg, len(sequence), logits=True), np.abs(logits[-1]).max())
    assert r["greedy"] and r["next"]["id"] == r["top"][0]["id"] and is_top(logits[-1], r["next"]["id"], 2 * tol)
    assert r["next"]["p"] == 1.0 and r["next"]["rank"] == 1


def test_pipeline_numbers_are_consistent():
    r = run()
    tiny = tiny_model()
    assert len(r["vector"]) == 8 and r["d_model"] == tiny.cfg.d_model and r["n_vocab"] == tiny.cfg.n_vocab
    emb = tiny.weights["tok_emb"][tiny.encoding.encode(PROMPT)[-1]]
    np.testing.assert_allclose(r["vector"], emb[:8], rtol=1e-6)
    assert math.isclose(r["vector_norm"], float(np.linalg.norm(emb)), rel_tol=1e-5)
    assert len(r["blocks"]) == tiny.cfg.n_layer and all(b["norm"] > 0 for b in r["blocks"])
    # the logit lens after the last block is the model's own prediction
    assert r["blocks"][-1]["lens"]["id"] == r["top"][0]["id"]
    assert math.isclose(r["blocks"][-1]["lens"]["p"], r["top"][0]["p"], rel_tol=1e-4)
    probs = [c["p"] for c in r["top"]]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-6
    assert len(json.dumps(r)) < 10_000  # compact: no full arrays


def test_empty_and_long_prompts_say_what_happened():
    empty = run(prompt="", step=1)
    assert (
        "empty" in empty["note"] and empty["tokens"][0]["id"] == tiny_model().encoding.special_tokens["<|endoftext|>"]
    )
    long = run(prompt="word " * 400, step=16)
    assert "last" in long["note"] and long["n_seq"] == tiny_model().cfg.n_ctx - 1
    assert long["prompt_cut"] and len(long["tokens"]) == model_pass.N_SHOWN_TOKENS
    assert run(prompt="x" * 5000, step=0)["note"].startswith("The prompt is 5,000 characters")


def test_params_are_clamped():
    r = run(step=99, temperature=7, seed=-3)
    assert r["params"]["step"] == 16 and r["params"]["temperature"] == 2.0 and r["params"]["seed"] == 0
    r = run(step="-2", temperature="-1", seed="4.0")
    assert r["params"] == {"prompt": PROMPT, "step": 0, "temperature": 0.0, "seed": 4}


@pytest.mark.parametrize(
    "params",
    [
        {"prompt": 3},
        {"step": "two"},
        {"step": 1.5},
        {"temperature": float("nan")},
        {"temperature": None},
        {"seed": True},
        {"seed": float("inf")},
    ],
)
def test_bad_values_raise_a_readable_error(params):
    with pytest.raises(ValueError):
        model_pass.compute(params)


def test_blocks_are_numbered_from_zero():
    """Block labels come from compute, counted from 0 as llm_core's layers and the other chapters count them."""
    r = run()
    assert [b["label"] for b in r["blocks"]] == [f"Block {i}" for i in range(tiny_model().cfg.n_layer)]


def test_the_numbers_chapter_0_quotes():
    tiny = tiny_model()
    assert tiny.encoding.encode(PROMPT) == [84, 3282, 1083, 267, 259, 510, 443]
    assert tiny.encoding.encode("The") == [84, 3282] and tiny.encoding.encode(" The") == [351]
    r = run()
    lens = [b["lens"]["id"] for b in r["blocks"]]
    states, comma = tiny.encoding.encode(" States")[0], tiny.encoding.encode(",")[0]
    assert lens == [states, states] + [comma] * (tiny.cfg.n_layer - 2)  # blocks 0 and 1, then block 2 on
    assert [round(100 * c["p"], 1) for c in r["top"][:4]] == [34.3, 11.5, 9.1, 8.4]


@pytest.mark.parametrize("params", [{}, {"prompt": "word " * 400, "step": 16, "temperature": 0}])
def test_the_figure_text_is_computed_here(params):
    """Every number the view shows arrives formatted, and every bar as its CSS width."""
    r = run(**params)
    assert r["shown"] == {"step": str(r["params"]["step"]), "temperature": fixed(r["params"]["temperature"], 2)}
    assert r["vector_text"] == [fixed(x, 3) for x in r["vector"]]
    assert r["n_vector_more"] == r["d_model"] - len(r["vector"]) and r["vector_norm_text"] == fixed(r["vector_norm"], 2)
    biggest = max(b["norm"] for b in r["blocks"])
    for b in r["blocks"]:
        assert b["norm_text"] == fixed(b["norm"], 2) and b["lens"]["p_text"] == percent(b["lens"]["p"])
        assert b["bar"] == f"{100 * b['norm'] / biggest:.1f}%"
    assert "100.0%" in [b["bar"] for b in r["blocks"]]
    for c in r["top"]:
        assert c["p_text"] == percent(c["p"]) and c["bar"] == f"{100 * c['p']:.1f}%"
    assert r["n_other_text"] == integer(r["n_vocab"] - len(r["top"]))
    assert r["other_p_text"] == percent(1 - sum(c["p"] for c in r["top"]))
    assert r["next"]["p_text"] == percent(r["next"]["p"]) and r["next"]["p_model_text"] == percent(r["next"]["p_model"])
    assert r["n_appended"] == r["n_seq"] - r["n_prompt_tokens"] and r["n_hidden"] == r["n_seq"] - len(r["tokens"])
    assert [c["pos"] for c in r["tokens"]] == list(range(r["n_hidden"], r["n_seq"]))
    assert r["n_seq_next"] == r["n_seq"] + 1 and r["loop_step"] == r["params"]["step"] + 1
    assert r["last_step"] == (r["params"]["step"] == model_pass.MAX_STEP)
