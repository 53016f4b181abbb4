"""Chapter 16's pipeline widget (post_training), computed in CPython.

Each stage against a reference: the SFT mask against the answer's own tokens; the losses against the tiny
model's log-probabilities computed one position at a time with an explicit softmax; DPO at policy =
reference against ln 2; the RL group against uncached sampling (the same draws) and the advantages against their
closed form; plus odd and extreme input.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from llm_core.activations import softmax
from llm_core.chat import IM_END
from llm_core.evaluation import contains_answer
from llm_core.models import get_model, tiny_model
from llm_core.sampling import sample
from widget_loader import load_widget, run

pipeline = load_widget("post_training")
CHAPTER = Path(__file__).resolve().parents[2] / "chapters" / "16-post-training.md"


def naive_logprobs(model, ids: list) -> list:
    """log p(ids[t + 1] | ids[: t + 1]) for each t, one forward pass per position and a float64 softmax."""
    out = []
    for t in range(len(ids) - 1):
        logits, _ = model.forward(ids[: t + 1])
        out.append(math.log(float(softmax(logits[-1].astype(np.float64))[ids[t + 1]])))
    return out


def naive_sample(model, ids: list, rng) -> list:
    """MAX_NEW_TOKENS tokens at temperature 1, each from a whole new pass over everything so far (no cache)."""
    ids, new = list(ids), []
    for _ in range(pipeline.MAX_NEW_TOKENS):
        logits, _ = model.forward(ids)
        new.append(sample(logits[-1], 1.0, 0, 1.0, 0.0, rng)["token"])
        ids.append(new[-1])
    return new


@pytest.fixture(scope="module")
def defaults():
    return run(pipeline)


def test_sft_targets_are_the_answer_and_im_end(defaults):
    encoding = pipeline.smollm2_format()[0]
    sft = defaults["sft"]
    targets = [c["id"] for c in sft["tokens"] if c["target"]]
    assert targets == encoding.encode(pipeline.DEFAULTS["chosen"]) + [encoding.special_tokens[IM_END]]
    assert (sft["n_targets"], sft["n_masked"]) == (len(targets), len(sft["tokens"]) - len(targets))
    assert sft["n_targets"] == 5 and sft["n_tokens"] == 49  # the chapter quotes these counts
    controls = [c for c in sft["tokens"] if c["kind"] == "control"]
    assert len(controls) == 6 and [c["target"] for c in controls] == [False] * 5 + [True]


def test_pretraining_loss_is_every_token_against_a_naive_loop(defaults):
    model = tiny_model()
    text = pipeline.DEFAULTS["prompt"] + " " + pipeline.DEFAULTS["chosen"]
    ids = [model.encoding.special_tokens["<|endoftext|>"], *model.encoding.encode(text)]
    expected = -np.mean(naive_logprobs(model, ids))
    stage = defaults["pretraining"]
    assert stage["n_targets"] == len(ids) - 1 == stage["n_tokens"] - 1
    assert stage["loss"] == pytest.approx(expected, abs=1e-4)
    assert stage["loss_text"] == f"{stage['loss']:.3f}"


def test_sft_and_preference_losses_on_the_tiny_models_tokens(defaults):
    """The tiny model reads the templated text in its own tokens; its SFT loss is the mean over the targets,
    and log pi(chosen | question) is minus their sum (the same tokens)."""
    model = tiny_model()
    messages = pipeline.conversation(pipeline.DEFAULTS["prompt"], pipeline.DEFAULTS["chosen"])
    encoded = pipeline.encode("tiny", model, messages)
    ids, mask = encoded["ids"], encoded["mask"]
    assert model.encoding.decode([i for i, m in zip(ids, mask) if m]) == pipeline.DEFAULTS["chosen"] + IM_END
    logp = np.array(naive_logprobs(model, ids))[mask[1:]]
    sft, pref = defaults["sft"], defaults["preference"]
    assert sft["model_n_targets"] == len(logp) == pref["chosen"]["n_tokens"]
    assert sft["loss"] == pytest.approx(-logp.mean(), abs=1e-4)
    assert pref["chosen"]["logp"] == pytest.approx(logp.sum(), abs=1e-3)
    assert pref["chosen"]["logp"] == pytest.approx(-sft["loss"] * sft["model_n_targets"], rel=1e-12)


def test_dpo_at_the_first_step_is_ln_2(defaults):
    pref = defaults["preference"]
    assert pref["loss"] == pytest.approx(math.log(2), abs=1e-15)
    assert (pref["loss_text"], pref["margin_text"], pref["grad_weight_text"]) == ("0.693", "0.000", "0.500")
    assert pref["gap"] == pytest.approx(pref["chosen"]["logp"] - pref["rejected"]["logp"], abs=1e-12)
    assert f"gives the good answer {abs(pref['gap']):.3f} nats more" in pref["prefers_text"]  # gap > 0 here


def test_rl_group_is_generates_draws_and_advantages_are_the_closed_form(defaults):
    model, p = tiny_model(), pipeline.DEFAULTS
    encoded = pipeline.encode("tiny", model, pipeline.conversation(p["prompt"]), add_generation_prompt=True)
    rl = defaults["rl"]
    assert len(rl["rows"]) == p["group"]
    for i, row in enumerate(rl["rows"]):
        new = naive_sample(model, encoded["ids"], np.random.default_rng([p["seed"], i]))
        assert [c["id"] for c in row["tokens"]] == new
        assert row["text"] == model.encoding.decode(new)
        assert row["reward"] == float(contains_answer(row["text"], p["expected"]))
    r = np.array(rl["rewards"])
    assert rl["n_right"] == 2  # the chapter quotes this group: 2 of 6 right
    expected = (r - r.mean()) / math.sqrt(np.mean((r - r.mean()) ** 2))
    assert rl["advantages"] == pytest.approx(expected.tolist(), abs=1e-12)
    assert sorted({f"{a:+.3f}" for a in rl["advantages"]}) == ["+1.414", "-0.707"]
    for row in rl["rows"]:  # at the first step the push on each token is A / (G |o_i|)
        assert row["push"] == pytest.approx(row["advantage"] / (p["group"] * row["n_tokens"]), abs=1e-12)
    assert rl["objective"] == pytest.approx(0.0, abs=1e-12)


def test_same_seed_same_group_other_seed_other_group():
    a, b, c = (run(pipeline, seed=s)["rl"]["rows"] for s in (3, 3, 4))
    assert [r["text"] for r in a] == [r["text"] for r in b] != [r["text"] for r in c]


@pytest.mark.parametrize("params", pipeline.EXAMPLES)
def test_odd_input_gives_a_complete_figure(params):
    r = run(pipeline, **params)
    assert set(r) >= {"pretraining", "sft", "preference", "rl"}
    assert r["sft"]["n_targets"] >= 1  # at least the <|im_end|> closing the answer
    assert len(r["rl"]["rows"]) == pipeline.read_params(params)[0]["group"]


def test_empty_and_unfindable_checks_say_so():
    assert "no checked answer" in run(pipeline, expected="  ")["rl"]["check"]
    assert "has no word the check can look for" in run(pipeline, expected="The")["rl"]["check"]


def test_long_text_is_cut_with_notes():
    r = run(pipeline, prompt="Why? " * 500, chosen="🙂" * 300)
    assert "only its last 300 were used" in r["note"] and "only its first 48 are used" in r["note"]
    assert "only its first 24 are used" in r["note"]
    assert r["sft"]["n_targets"] <= pipeline.MAX_ANSWER_TOKENS + 2


@pytest.mark.parametrize("params, key, value", [({"group": 1}, "group", 2), ({"group": 99}, "group", 8)])
def test_clamps(params, key, value):
    assert run(pipeline, **params)["params"][key] == value


@pytest.mark.parametrize(
    "params, message",
    [({"model": "file"}, "tiny model or SmolLM2"), ({"seed": "x"}, "seed"), ({"prompt": 3}, "question must be text")],
)
def test_bad_input(params, message):
    with pytest.raises(ValueError, match=message):
        pipeline.compute(params)


def test_on_smollm2_the_chips_are_what_it_read(smollm2_gguf):
    """With SmolLM2 every target chip carries its own loss, the SFT loss is their mean, and log pi(good
    answer | question) is minus their sum; its answers stop at <|im_end|> or the limit."""
    r = run(pipeline, **pipeline.SMOLLM2_EXAMPLES[0])
    model = get_model("smollm2")
    ids = [c["id"] for c in r["sft"]["tokens"]]
    losses = [c["loss"] for c in r["sft"]["tokens"] if c["target"]]
    assert all(c["loss"] is None for c in r["sft"]["tokens"] if not c["target"])
    assert r["sft"]["loss"] == pytest.approx(np.mean(losses), rel=1e-12)
    assert r["preference"]["chosen"]["logp"] == pytest.approx(-np.sum(losses), rel=1e-9)
    logits, _ = model.forward(ids[:-1])
    lp = np.log(softmax(logits.astype(np.float64), axis=-1)[np.arange(len(ids) - 1), ids[1:]])
    mask = np.array([c["target"] for c in r["sft"]["tokens"]])
    assert -lp[mask[1:]] == pytest.approx(losses, abs=1e-4)
    for row in r["rl"]["rows"]:
        assert row["n_tokens"] <= pipeline.MAX_NEW_TOKENS
        assert row["stopped"] == (row["tokens"][-1]["id"] == 2)


def test_numbers_quoted_in_the_chapter(defaults):
    r, prose = defaults, " ".join(CHAPTER.read_text(encoding="utf-8").split())
    assert r["pretraining"]["n_targets"] == 18 and "each of its 18 tokens is a target" in prose
    assert (r["sft"]["n_tokens"], r["sft"]["n_targets"], r["sft"]["n_masked"]) == (49, 5, 44)
    assert "49 tokens, of which only 5 are targets, the answer's four tokens" in prose
    assert len(pipeline.smollm2_format()[0].encode(pipeline.DEFAULTS["chosen"])) == 4
    assert "The other 44" in prose
    assert r["preference"]["loss_text"] == "0.693" and "$\\ln 2 = 0.693$" in prose
    assert (r["rl"]["n_right"], len(r["rl"]["rows"])) == (2, 6) and "Of the tiny model's 6 answers, 2 do" in prose
    adv = {row["cells"][1] for row in r["rl"]["rows"]}
    assert adv == {"+1.414", "−0.707"} and "advantage +1.414, the other four's down with −0.707" in prose
