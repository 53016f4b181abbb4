"""The loss chapter's widgets, computed in CPython: neg_log and token_loss.

neg_log is checked against math.log; token_loss against the tiny model's own logits (each token's loss
is -log softmax of the previous position's logits at that token), llm_core.loss.cross_entropy for the
mean, and exp(mean) for the perplexity; plus clamping, the limits and the bad-input messages; and on
SmolLM2 (skipped without its GGUF file), with the numbers chapter 12 quotes.
"""

import math

import numpy as np
import pytest

from llm_core.activations import softmax
from llm_core.loss import cross_entropy
from tests.tolerances import assert_within_rounding, rounding_tolerance, within_rounding
from widgetlib.fmt import fixed, integer
from widget_loader import load_widget, run


neg_log = load_widget("neg_log")
token_loss = load_widget("token_loss")


@pytest.mark.parametrize("p", [0.001, 0.01, 0.25, 0.5, 0.999, 1.0])
def test_neg_log_matches_math_log(p):
    r = run(neg_log, p=p)
    assert r["nats"] == pytest.approx(-math.log(p), rel=1e-12, abs=1e-15)
    assert r["bits"] == pytest.approx(-math.log2(p), rel=1e-12, abs=1e-15)
    assert r["choices"] == pytest.approx(1 / p)
    # what the reader reads: three decimals of p, nats and bits, one of the choices
    assert (r["p_text"], r["nats_text"], r["bits_text"], r["choices_text"]) == (
        f"{p:.3f}",
        fixed(-math.log(p), 3),
        fixed(-math.log2(p), 3),
        fixed(1 / p, 1),
    )


def test_neg_log_texts_and_polyline():
    r = run(neg_log, p=0.25)
    assert (r["p_text"], r["nats_text"], r["bits_text"], r["choices_text"]) == ("0.250", "1.386", "2.000", "4.0")
    pairs = [pair.split(",") for pair in r["curve_points"].split(" ")]
    assert [[float(x), float(y)] for x, y in pairs] == r["curve"]
    assert all(t["text_y"] == t["at"] + 4 for t in r["axes"]["y"])


def test_neg_log_curve_falls_to_zero_at_one():
    r = run(neg_log)
    ys = [y for _, y in r["curve"]]
    xs = [x for x, _ in r["curve"]]
    assert xs == sorted(xs) and ys == sorted(ys)  # SVG y grows downwards: the loss falls as p grows
    assert r["curve"][-1] == [r["axes"]["right"], r["axes"]["bottom"]]  # -ln 1 = 0
    assert r["marker"] == neg_log.to_svg(0.25, math.log(4))


@pytest.mark.parametrize("value, expected", [(0, 0.001), (-3, 0.001), (5, 1.0), ("0.5", 0.5), (1, 1.0)])
def test_neg_log_clamps(value, expected):
    r = run(neg_log, p=value)
    assert r["p"] == expected and r["nats"] >= 0 and math.isfinite(r["nats"])


@pytest.mark.parametrize("value", ["abc", None, True, float("nan"), float("inf"), [0.5]])
def test_neg_log_rejects_bad_values(value):
    with pytest.raises(ValueError, match="p must be"):
        neg_log.compute({"p": value})


def test_token_losses_are_minus_log_softmax_of_the_model_logits():
    text = token_loss.DEFAULTS["text"]
    r = run(token_loss)
    tiny = token_loss.model()
    ids = tiny.encoding.encode(text)
    logits, _ = tiny.forward(ids)
    logits = logits.astype(np.float64)
    log_probs = logits - logits.max(-1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
    expected = [-log_probs[t - 1, ids[t]] for t in range(1, len(ids))]

    assert [c["id"] for c in r["tokens"]] == ids
    assert r["tokens"][0]["loss"] is None and r["n_scored"] == len(ids) - 1
    # the widget's log-softmax is float32 (the same logits: this pass is the widget's own): a sum of
    # n_vocab exps, then its log, and the roundings of logit - max and of the loss
    n_terms = tiny.cfg.n_vocab + 3
    magnitude = 1 + np.ptp(logits[:-1], axis=-1) + np.array(expected)
    assert_within_rounding([c["loss"] for c in r["tokens"][1:]], expected, n_terms, magnitude, what="loss")
    assert all(c["bucket"] == token_loss.bucket(c["loss"]) for c in r["tokens"][1:])

    mean, _ = cross_entropy(tiny.forward(ids)[0][:-1], np.array(ids[1:]))
    assert r["stats"]["mean"] == pytest.approx(mean, rel=1e-12)
    assert r["stats"]["mean"] == within_rounding(np.mean(expected), n_terms, magnitude.max())
    assert r["stats"]["perplexity"] == pytest.approx(math.exp(mean), rel=1e-12)
    assert r["stats"]["bits_per_token"] == pytest.approx(mean / math.log(2), rel=1e-12)
    n_bytes = len(text.encode()) - len(tiny.encoding.decode_tokens_bytes(ids[:1])[0])
    assert r["stats"]["n_bytes"] == n_bytes
    assert r["stats"]["bits_per_byte"] == pytest.approx(mean * (len(ids) - 1) / math.log(2) / n_bytes, rel=1e-12)
    stats = r["stats"]
    assert stats["text"] == {
        "mean": fixed(stats["mean"], 3),
        "perplexity": fixed(stats["perplexity"], 1),
        "bits_per_token": fixed(stats["bits_per_token"], 2),
        "bits_per_byte": fixed(stats["bits_per_byte"], 3),
        "n_bytes": integer(n_bytes),
    }
    assert r["scored_text"] == f"{len(ids) - 1} predicted tokens"
    assert r["tokens"][0]["loss_text"] == "–"
    assert all(c["loss_text"] == fixed(c["loss"], 2) for c in r["tokens"][1:])


@pytest.mark.parametrize(
    "p, text",
    [(0.368, "36.8%"), (0.001, "0.1%"), (0.0009996, "1 in 1,000"), (1 / 318472.4, "1 in 318,472"), (0.99999, ">99.9%")],
)
def test_token_loss_chance_reads_small_probabilities_as_odds(p, text):
    assert token_loss.chance(p) == text


def test_token_loss_extremes_and_top_guesses():
    r = run(token_loss)
    losses = sorted(c["loss"] for c in r["tokens"][1:])
    assert [m["loss"] for m in r["most"]] == losses[::-1][:3]
    assert [m["loss"] for m in r["least"]] == losses[:3]
    tiny = token_loss.model()
    ids = [c["id"] for c in r["tokens"]]
    logits, _ = tiny.forward(ids)
    for row in r["most"] + r["least"]:
        scores = logits[row["index"] - 1]
        assert row["guess"]["id"] == int(np.argmax(scores))
        assert row["p"] == pytest.approx(math.exp(-row["loss"]))
        # the top guess is at least as likely: its p from a float64 log-softmax, the loss's from float32
        tol = rounding_tolerance(tiny.cfg.n_vocab + 3, 1 + np.ptp(scores) + row["loss"])
        assert row["guess"]["p"] >= row["p"] * math.exp(-tol)
    # The default is built to show one surprising word: it must stay the most surprising token.
    assert r["most"][0]["segs"] == [["w", "·"], ["t", "water"]]


@pytest.mark.parametrize("text", ["", "the"])
def test_token_loss_needs_two_tokens(text):
    r = run(token_loss, text=text)
    assert r["stats"] is None and r["n_scored"] == 0 and r["most"] == [] and r["message"]
    assert len(r["tokens"]) == len(token_loss.model().encoding.encode(text))


def test_token_loss_truncates_long_text_to_the_context():
    r = run(token_loss, text="The Congress shall act. " * 200)
    assert r["n_tokens"] == token_loss.model().cfg.n_ctx and r["n_scored"] == r["n_tokens"] - 1
    assert "at most 256" in r["note"] and "characters" in r["note"]


def test_token_loss_odd_text():
    r = run(token_loss, text="caf\u00e9 \ud800 \U0001f600 \u05e9\u05dc\u05d5\u05dd")  # lone surrogate, emoji, RTL
    assert r["stats"] and all(math.isfinite(c["loss"]) for c in r["tokens"][1:])


@pytest.mark.parametrize("value", [None, 3, ["a"]])
def test_token_loss_rejects_non_text(value):
    with pytest.raises(ValueError, match="text"):
        token_loss.compute({"text": value})


# -- token_loss on SmolLM2 (skipped without its GGUF file) ------------------------------------------


def chip_text(segs: list) -> str:
    return "".join(text for _, text in segs).replace("·", " ")


def test_token_loss_on_smollm2_reads_the_text_after_endoftext(smollm2_gguf):
    """On SmolLM2 the losses are -log softmax of its logits for <|endoftext|> + the text; the start token is
    read, not scored, and only the text's tokens are drawn."""
    text = token_loss.ORDINARY_ENGLISH
    r = run(token_loss, model="smollm2", text=text)
    smol = token_loss.model("smollm2")
    ids = smol.encoding.encode(text)
    logits, _ = smol.forward([0, *ids])  # <|endoftext|> is token 0
    assert smol.encoding.special_tokens["<|endoftext|>"] == 0
    expected = -np.log([softmax(logits[t].astype(np.float64))[ids[t]] for t in range(1, len(ids))])
    assert [c["id"] for c in r["tokens"]] == ids and r["tokens"][0]["loss"] is None
    # the same logits; the widget's log-softmax is float32, as for the tiny model above
    magnitude = 1 + np.ptp(logits[1 : len(ids)], axis=-1) + expected
    assert_within_rounding([c["loss"] for c in r["tokens"][1:]], expected, smol.cfg.n_vocab + 3, magnitude, what="loss")
    assert r["model_name"] == "SmolLM2-135M-Instruct" and r["start"] == "<|endoftext|>"
    assert run(token_loss, text=text)["start"] is None  # the tiny model reads the text as it is


def test_token_loss_chapter_numbers_tiny_against_smollm2(smollm2_gguf):
    """Chapter 12's "A real model on the same text": both models on ordinary English and on the default."""

    def stats(model, text):
        s = run(token_loss, model=model, text=text)["stats"]
        return round(s["mean"], 2), s["perplexity"], round(s["bits_per_byte"], 3)

    mean, ppl, bpb = stats("smollm2", token_loss.ORDINARY_ENGLISH)
    assert (mean, round(ppl, 2), bpb) == (1.62, 5.05, 0.649)
    mean, ppl, bpb = stats("tiny", token_loss.ORDINARY_ENGLISH)
    assert (mean, round(ppl), round(bpb, 2)) == (5.71, 302, 3.36)
    assert 5 < 3.361 / 0.649 < 5.5  # "five times as many"
    default = token_loss.DEFAULTS["text"]
    mean, _, bpb = stats("tiny", default)
    assert (mean, bpb) == (3.0, 0.787)
    mean, _, bpb = stats("smollm2", default)
    assert (mean, round(bpb, 2)) == (4.34, 1.14)

    smol = {
        chip_text(c["segs"]): c["loss"]
        for c in run(token_loss, model="smollm2", text=token_loss.ORDINARY_ENGLISH)["tokens"][1:]
    }
    assert round(smol[" Celsius"], 2) == 0.04
    zeros = [
        c["loss"]
        for c in run(token_loss, model="smollm2", text=token_loss.ORDINARY_ENGLISH)["tokens"]
        if chip_text(c["segs"]) == "0"
    ]
    assert round(zeros[1], 2) == 0.01  # the second 0 of 100
    worst = run(token_loss, model="smollm2")["most"][0]
    assert chip_text(worst["segs"]) == " Congress" and round(worst["loss"], 1) == 12.5
    assert chip_text(worst["guess"]["segs"]) == " user" and round(100 * worst["guess"]["p"]) == 11
    tiny = run(token_loss)["tokens"]
    assert [round(c["loss"], 2) for c in tiny if chip_text(c["segs"]) == " Congress"] == [1.76]
    from llm_core.model import n_params

    assert round(n_params(token_loss.model("smollm2").cfg) / n_params(token_loss.model().cfg)) == 79


def test_token_loss_smollm2_without_its_start_token_is_more_surprised(smollm2_gguf):
    """The docstring's reason for <|endoftext|>: the default text costs 4.82 nats per token without it."""
    smol = token_loss.model("smollm2")
    ids = smol.encoding.encode(token_loss.DEFAULTS["text"])
    bare, _, _, _ = token_loss.scored(smol, ((), tuple(ids)))
    started, _, _, _ = token_loss.scored(smol, ((0,), tuple(ids)))
    assert (round(bare, 2), round(started, 2)) == (4.82, 4.34)


def test_token_loss_smollm2_reads_at_most_24_tokens(smollm2_gguf):
    r = run(token_loss, model="smollm2", text="The Congress shall act. " * 20)
    assert r["n_tokens"] == token_loss.MAX_TOKENS_REAL == 24 and r["n_scored"] == 23
    assert "at most 24" in r["note"]
    assert run(token_loss, model="smollm2", text="the")["message"]


def test_token_loss_refuses_an_unknown_model():
    with pytest.raises(ValueError, match="model must be one of"):
        run(token_loss, model="gpt-5")
