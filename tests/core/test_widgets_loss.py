"""The loss chapter's widgets, computed in CPython: neg_log and token_loss.

neg_log is checked against math.log; token_loss against the tiny model's own logits (each token's loss
is -log softmax of the previous position's logits at that token), llm_core.loss.cross_entropy for the
mean, and exp(mean) for the perplexity; plus clamping, the limits and the bad-input messages.
"""

import math

import numpy as np
import pytest

from llm_core.loss import cross_entropy
from widget_loader import load_widget, run


neg_log = load_widget("neg_log")
token_loss = load_widget("token_loss")


@pytest.mark.parametrize("p", [0.001, 0.01, 0.25, 0.5, 0.999, 1.0])
def test_neg_log_matches_math_log(p):
    r = run(neg_log, p=p)
    assert r["nats"] == pytest.approx(-math.log(p), rel=1e-12, abs=1e-15)
    assert r["bits"] == pytest.approx(-math.log2(p), rel=1e-12, abs=1e-15)
    assert r["choices"] == pytest.approx(1 / p)


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
    np.testing.assert_allclose([c["loss"] for c in r["tokens"][1:]], expected, rtol=1e-4, atol=1e-5)
    assert all(c["bucket"] == token_loss.bucket(c["loss"]) for c in r["tokens"][1:])

    mean, _ = cross_entropy(tiny.forward(ids)[0][:-1], np.array(ids[1:]))
    assert r["stats"]["mean"] == pytest.approx(mean, rel=1e-12)
    assert r["stats"]["mean"] == pytest.approx(np.mean(expected), rel=1e-4)
    assert r["stats"]["perplexity"] == pytest.approx(math.exp(mean), rel=1e-12)
    assert r["stats"]["bits_per_token"] == pytest.approx(mean / math.log(2), rel=1e-12)
    n_bytes = len(text.encode()) - len(tiny.encoding.decode_tokens_bytes(ids[:1])[0])
    assert r["stats"]["n_bytes"] == n_bytes
    assert r["stats"]["bits_per_byte"] == pytest.approx(mean * (len(ids) - 1) / math.log(2) / n_bytes, rel=1e-12)


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
        assert row["guess"]["p"] >= row["p"] * (1 - 1e-6)  # the top guess is at least as likely
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
