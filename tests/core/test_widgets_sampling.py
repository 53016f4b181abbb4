"""The sampling chapter's widgets, computed in CPython: next_token and generate.

Checked against llm_core itself: temperature 0 and top-k 1 must pick the argmax of the model's own
logits, top-p 0 must keep one token, and the same seed must give the same token; plus the limits,
clamping and bad-input messages.
"""

import math

import numpy as np
import pytest
from tests.tolerances import forward_terms, is_top, probability_tolerance, rounding_tolerance
from widget_loader import load_widget, run as run_widget
from widgetlib.fmt import fixed, percent

from llm_core.models import tiny_model
from llm_core.tokenizer import without_surrogates


next_token = load_widget("next_token")
generate = load_widget("generate")
ALL = [next_token, generate]
SHORT = {"n_tokens": 4}  # generate: keep the runs short


def run(widget, **params):  # generate: short runs unless the test sets n_tokens
    extra = SHORT if widget is generate else {}
    return run_widget(widget, **{**extra, **params})


def next_logits(prompt: str):  # -> the logits for the next token, their tolerance
    """The whole prompt in one pass; the widgets prefill a KV cache, which may sum in another order."""
    tiny = tiny_model()
    ids = tiny.encoding.encode(prompt)
    logits = tiny.forward(ids)[0][-1]
    return logits, float(rounding_tolerance(forward_terms(tiny.cfg, len(ids), logits=True), np.abs(logits).max()))


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
def test_declares_its_data_files(widget):
    assert widget.DATA  # the tiny model's files, which the page loads before calling compute


def test_next_token_rows_are_ranked_and_probabilities_add_up():
    r = run(next_token)
    rows = r["rows"]
    assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))
    assert all(a["logit"] >= b["logit"] for a, b in zip(rows, rows[1:]))
    assert math.isclose(sum(row["p_before"] for row in rows) + r["tail_before"], 1, rel_tol=1e-6)
    assert math.isclose(sum(row["p_after"] for row in rows) + r["tail_after"], 1, rel_tol=1e-6)
    assert all((row["p_after"] == 0) == bool(row["cut"]) for row in rows)
    assert r["n_vocab"] == 4096 and 1 <= r["n_kept"] <= 4096
    assert math.isclose(r["entropy_bits"], r["entropy_nats"] / math.log(2))
    for row in rows:  # what each row shows: the logit, both probabilities as text and as bar widths
        assert row["logit_text"] == fixed(row["logit"], 2)
        assert row["nums"] == f"{percent(row['p_before'])} → {percent(row['p_after'])}"
        assert row["bars"] == [f"{100 * row['p_before']:.1f}%", f"{100 * row['p_after']:.1f}%"]
    t = r["token"]
    assert t["about"] == f" (rank {t['rank']}, id {t['id']}), drawn with probability " and t["p_text"] == percent(
        t["p"]
    )
    assert t["model_text"] == f"; the model alone gave it {percent(t['p_model'])}."
    assert r["tail_text"].startswith(
        f"The other 4,081 tokens: {percent(r['tail_before'])} → {percent(r['tail_after'])}."
    )
    assert r["stats_mid"].startswith(" of 4,096 tokens.") and r["entropy_text"] == f"{fixed(r['entropy_nats'], 2)} nats"
    assert r["stats_tail"] == (
        f" ({fixed(r['entropy_bits'], 2)} bits, perplexity {fixed(r['perplexity'], 1)}); the "
        f"model's own, at temperature 1: {fixed(r['entropy_model'], 2)} nats."
    )
    assert r["slider_texts"] == {"temperature": "1.00", "top_k": "0", "top_p": "0.80", "min_p": "0.00"}
    assert r["context_text"] == f"Glassbox's tiny model reads {r['n_prompt_tokens']} tokens, ending "


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_same_seed_same_token(seed):
    a = run(next_token, temperature=1.3, top_p=1, seed=seed)
    b = run(next_token, temperature=1.3, top_p=1, seed=seed)
    assert a == b
    g1 = run(generate, temperature=1.3, seed=seed, n_tokens=6)
    g2 = run(generate, temperature=1.3, seed=seed, n_tokens=6)
    assert g1 == g2


def test_different_seeds_can_differ():
    tokens = {run(next_token, temperature=1.5, top_p=1, seed=s)["token"]["id"] for s in range(8)}
    assert len(tokens) > 1


@pytest.mark.parametrize("prompt", ["The President of the United States", "I ask the Congress to"])
def test_temperature_zero_and_top_k_one_are_greedy(prompt):
    logits, tol = next_logits(prompt)
    greedy = run(next_token, prompt=prompt, temperature=0)
    best = greedy["token"]["id"]
    assert is_top(logits, best, 2 * tol) and greedy["n_kept"] == 1 and greedy["entropy_nats"] == 0
    assert all(row["cut"] == "greedy" for row in greedy["rows"][1:])
    top1 = run(next_token, prompt=prompt, temperature=1.7, top_k=1, top_p=1, seed=3)
    assert top1["token"]["id"] == best and top1["n_kept"] == 1  # the same prefill: the same argmax
    gen = run(generate, prompt=prompt, temperature=0)
    assert gen["tokens"][0]["id"] == best and gen["greedy"]
    assert all(t["p"] == 1.0 for t in gen["tokens"])
    assert (
        all(t["p_text"] == "100%" for t in gen["tokens"])
        and "greedy decoding gives every pick 100%" in gen["stats_text"]
    )


def test_generate_texts_and_the_next_seed():
    r = run(generate, temperature=1.3, seed=41, n_tokens=5)
    for t in r["tokens"]:
        assert t["p_text"] == percent(t["p"])
        assert (
            t["title"]
            == f"probability {percent(t['p'])} when drawn; {percent(t['p_model'])} at temperature 1 with no filters"
        )
    assert r["stats_text"].startswith("5 new tokens (bold borders;") and "greedy" not in r["stats_text"]
    assert r["mean_p_text"] == percent(r["mean_p"]) and r["perplexity_text"] == fixed(r["perplexity"], 1)
    assert r["slider_texts"] == {"n_tokens": "5", "temperature": "1.30", "top_k": "0", "top_p": "0.95", "min_p": "0.00"}
    assert r["next_seed"] == 42 and run(generate, seed=generate.MAX_SEED)["next_seed"] == 0
    assert run(generate, n_tokens=1)["stats_text"].startswith("1 new token (")


def test_top_p_zero_keeps_one_token():
    r = run(next_token, temperature=2, top_p=0, seed=5)
    assert r["n_kept"] == 1 and r["token"]["rank"] == 1 and r["token"]["p"] == 1.0
    assert any("top-p" in line for line in r["filters"])


def test_min_p_one_keeps_only_the_favourite():
    r = run(next_token, min_p=1, top_p=1)
    assert r["n_kept"] == 1 and r["rows"][0]["sampled"]


def test_filters_report_what_they_removed():
    r = run(next_token, top_k=10, top_p=1, min_p=0)
    assert r["n_kept"] == 10
    assert r["filters"][0].startswith("top-k 10 removed 4,086 tokens holding ")
    assert r["kept_text"] == "10"
    off = run(next_token, top_k=0, top_p=1, min_p=0)
    assert off["n_kept"] == 4096 and "No filter" in off["filters"][0]


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"temperature": -1}, "temperature", 0.0),
        ({"temperature": 99}, "temperature", 2.0),
        ({"temperature": "0.5"}, "temperature", 0.5),
        ({"top_k": 5000}, "top_k", 100),
        ({"top_k": -3}, "top_k", 0),
        ({"top_p": 7}, "top_p", 1.0),
        ({"min_p": -0.5}, "min_p", 0.0),
        ({"seed": -1}, "seed", 0),
        ({"seed": 2**40}, "seed", 2**32 - 1),
    ],
)
def test_extreme_values_are_clamped(widget, params, key, expected):
    assert run(widget, **params)["params"][key] == expected


def test_generate_n_tokens_is_clamped():
    assert len(generate.compute({"n_tokens": 0})["tokens"]) == 1
    assert generate.compute({"n_tokens": 1000, "temperature": 0})["params"]["n_tokens"] == generate.MAX_NEW_TOKENS


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
def test_empty_prompt_starts_a_document(widget):
    r = run(widget, prompt="")
    assert "empty" in r["note"] and r["n_prompt_tokens"] == 1


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
@pytest.mark.parametrize("prompt", ["the Union " * 400, "x" * 1_000_000])
def test_long_prompts_are_cut_from_the_left_with_a_note(widget, prompt):
    r = run(widget, prompt=prompt + "and the")
    assert r["note"] and r["n_prompt_tokens"] <= 255
    assert "last" in r["note"]


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
@pytest.mark.parametrize("text", ["👍🏽 e\u0301 \ud800 \x00\x1b مرحبا", "\n\n\t"])
def test_awkward_text(widget, text):
    """Odd text is read as the model reads it (a lone surrogate becomes U+FFFD, nothing is dropped), and what the
    figure shows for it holds: the prompt's chips are its tokens, the probabilities are probabilities."""
    tiny = tiny_model()
    ids = tiny.encoding.encode(without_surrogates(text))
    r = run(widget, prompt=text)
    assert r["n_prompt_tokens"] == len(ids) and r["note"] is None
    if widget is next_token:
        assert [t["id"] for t in r["prompt_tail"]] == ids[-len(r["prompt_tail"]) :]
        p = [row["p_model"] for row in r["rows"]]
        assert p == sorted(p, reverse=True) and all(0 < x <= 1 for x in p)
        assert math.isclose(sum(p) + r["tail_before"], 1, abs_tol=1e-6)
        assert r["token"]["id"] in {row["id"] for row in r["rows"]}  # top-p 0.8 keeps only shown rows here
    else:
        assert [t["id"] for t in r["prompt_tokens"]] == ids[-len(r["prompt_tokens"]) :]  # the prompt's tail
        drawn = [t["p"] for t in r["tokens"]]
        assert len(drawn) == SHORT["n_tokens"] and all(0 < x <= 1 for x in drawn)
        assert r["text"] == tiny.encoding.decode([t["id"] for t in r["tokens"]])
        assert math.isclose(r["mean_p"], np.mean(drawn), rel_tol=1e-12)
        model_p = [t["p_model"] for t in r["tokens"]]  # perplexity: the model's own, at temperature 1, unfiltered
        assert math.isclose(r["perplexity"], math.exp(-np.mean(np.log(model_p))), rel_tol=1e-9)


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
@pytest.mark.parametrize(
    "params, word",
    [
        ({"prompt": None}, "prompt"),
        ({"prompt": 42}, "prompt"),
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"top_k": 2.5}, "top_k"),
        ({"top_k": [3]}, "top_k"),
        ({"top_p": None}, "top_p"),
        ({"min_p": float("inf")}, "min_p"),
        ({"seed": "abc"}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_values_raise_a_readable_error(widget, params, word):
    with pytest.raises(ValueError, match=word):
        widget.compute(params)


def test_next_token_on_smollm2_is_its_real_distribution(smollm2_gguf):
    """With the model switched to SmolLM2, the rows are the softmax of SmolLM2's own logits for the prompt."""
    from llm_core.activations import softmax

    r = run(next_token, model="smollm2", prompt="The capital of France is", temperature=0)
    smol = next_token.model("smollm2")
    ids = smol.encoding.encode("The capital of France is")
    logits, _ = smol.forward(ids)  # one pass; the widget prefilled a KV cache (another summation order)
    tol = float(rounding_tolerance(forward_terms(smol.cfg, len(ids), logits=True), np.abs(logits[-1]).max()))
    probs = softmax(logits[-1].astype(np.float64))
    assert r["model_name"] == "SmolLM2-135M-Instruct" and r["n_vocab"] == 49152
    assert r["token"]["id"] == smol.encoding.encode(" Paris")[0] and is_top(logits[-1], r["token"]["id"], 2 * tol)
    for row in r["rows"]:
        p = probs[row["id"]]
        assert row["p_model"] == pytest.approx(p, rel=0, abs=float(probability_tolerance(p, tol)))
    # the tiny model's cache of prompts does not answer for SmolLM2, nor the other way round
    assert run(next_token, prompt="The capital of France is", temperature=0)["n_vocab"] == 4096


def test_next_token_refuses_an_unknown_model():
    with pytest.raises(ValueError, match="model must be one of tiny, smollm2"):
        run(next_token, model="gpt-5")
