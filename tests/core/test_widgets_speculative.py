"""The speculative decoding widget (chapter 10), computed in CPython, and the draft model it runs.

Checked against llm_core and closed forms: the rounds are llm_core.speculative.speculative_generate's with the
same seed; the counts add up (tokens = rounds + kept drafts); the rates, tokens per pass and speed-up follow
their formulas from those counts and the two configs' parameter counts; at temperature 0 the text is the tiny
model's own greedy text, token for token, for every k (or differs only at a near tie that float32 rounding
decides, tests/tolerances.py). The draft model shares the tiny model's vocabulary byte for byte and is small.
The numbers the chapter's prose states are pinned here. Plus limits, clamping and bad input.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from llm_core.model import n_params
from llm_core.model_files import load_model
from llm_core.models import tiny_model
from llm_core.speculative import expected_speedup, expected_tokens_per_pass, speculative_generate
from tests.tolerances import forward_terms, is_top, rounding_tolerance, steps_to_compare
from widget_loader import load_widget, run

ROOT = Path(__file__).resolve().parents[2]
DRAFT = ROOT / "models" / "draft"
CHAPTER = ROOT / "chapters" / "10-kv-cache.md"
speculative = load_widget("speculative")


def test_draft_model_shares_the_vocabulary_and_is_small():
    for name in ("vocab.tiktoken", "tokenizer.json"):
        assert (DRAFT / name).read_bytes() == (ROOT / "models" / "tiny" / name).read_bytes()
    draft, tiny = load_model(str(DRAFT)), tiny_model()
    assert draft.cfg.n_vocab == tiny.cfg.n_vocab == 4096
    assert n_params(draft.cfg) == 360_768 and n_params(draft.cfg) < n_params(tiny.cfg) / 4
    assert sum(f.stat().st_size for f in DRAFT.iterdir() if f.is_file()) < 1_000_000
    log = json.loads((DRAFT / "train_log.json").read_text())
    assert log["settings"]["vocab_from"] == "models/tiny" and log["settings"]["threads"] == 1
    assert speculative.draft().weights.keys() == draft.weights.keys()
    assert all(np.array_equal(speculative.draft().weights[k], w) for k, w in draft.weights.items())


def test_rounds_and_counts_are_llm_cores():
    r = run(speculative)
    p = r["params"]
    ids = tiny_model().encoding.encode(p["prompt"])
    out = speculative_generate(
        tiny_model(), speculative.draft(), ids, p["n_tokens"], p["k"], p["temperature"], p["seed"]
    )
    assert r["new_ids"] == out["new_ids"] and len(r["new_ids"]) == p["n_tokens"]
    c = r["counts"]
    assert c == {
        "drafted": out["drafted"],
        "checked": sum(c["accepted"] is not None for rd in out["rounds"] for c in rd["checks"]),
        "accepted": out["accepted"],
        "target_passes": out["target_passes"],
        "draft_passes": out["draft_passes"],
    }
    assert p["n_tokens"] == c["target_passes"] + c["accepted"]  # each pass adds one token beyond the kept drafts
    assert len(r["rounds"]) == c["target_passes"]
    assert sum(len(rd["drafted"]) for rd in r["rounds"]) == c["drafted"]
    kept = sum(d["status"] == "accepted" for rd in r["rounds"] for d in rd["drafted"])
    assert kept == c["accepted"]
    for rd in r["rounds"]:  # at most one rejection per round, and nothing checked after it
        statuses = [d["status"] for d in rd["drafted"]]
        assert statuses.count("rejected") == (rd["kind"] == "replacement")
        if "rejected" in statuses:
            assert set(statuses[statuses.index("rejected") + 1 :]) <= {"unchecked"}
    assert [t["id"] for t in r["tokens"]] == r["new_ids"]


@pytest.mark.parametrize("params", [{}, {"k": 1, "temperature": 0.5, "seed": 3}, {"k": 8, "temperature": 0}])
def test_rates_and_speedup_follow_their_formulas(params):
    r = run(speculative, **params)
    c, k, n = r["counts"], r["params"]["k"], r["params"]["n_tokens"]
    rate = c["accepted"] / c["checked"]
    assert c["checked"] == c["accepted"] + sum(rd["kind"] == "replacement" for rd in r["rounds"])
    assert r["acceptance_rate"] == rate
    assert r["tokens_per_pass"] == n / c["target_passes"]
    assert math.isclose(r["closed_tokens_per_pass"], (1 - rate ** (k + 1)) / (1 - rate) if rate < 1 else k + 1)
    assert r["closed_tokens_per_pass"] == expected_tokens_per_pass(rate, k)
    draft_cfg, tiny_cfg = speculative.draft().cfg, tiny_model().cfg
    # c: the draft's multiply-adds per token over the target's, every weight but the norm gains
    cost = (n_params(draft_cfg) - 5 * 64) / (n_params(tiny_cfg) - 13 * 128)
    assert math.isclose(r["cost_ratio"], cost, rel_tol=1e-12)
    assert math.isclose(r["speedup"], n / (c["target_passes"] + cost * c["draft_passes"]), rel_tol=1e-12)
    assert math.isclose(r["closed_speedup"], expected_speedup(rate, k, cost), rel_tol=1e-12)
    assert 0 <= r["predicted_rate"] <= 1


def check_greedy(new_ids, plain, prompt_ids):
    """The same tokens; or, where they part, the tiny model's logits there hold a near tie that rounding decides."""
    model = tiny_model()
    n = steps_to_compare(new_ids, plain)
    if n == len(plain) and new_ids == plain:
        return
    seq = prompt_ids + plain[: n - 1]
    logits = model.forward(seq, lens=False)[0][-1]
    tol = rounding_tolerance(forward_terms(model.cfg, len(seq), logits=True), np.abs(logits).max())
    assert is_top(logits, new_ids[n - 1], tol) and is_top(logits, plain[n - 1], tol)


@pytest.mark.parametrize("k", range(1, 9))
def test_temperature_zero_gives_the_tiny_models_greedy_text(k):
    r = run(speculative, temperature=0, k=k)
    plain = [t["id"] for t in r["greedy"]["tokens"]]
    ids = tiny_model().encoding.encode(r["params"]["prompt"])
    assert plain == tiny_model().generate(ids, r["params"]["n_tokens"], temperature=0)["new_ids"]
    check_greedy(r["new_ids"], plain, ids)
    assert r["greedy"]["identical"] == (r["new_ids"] == plain)


def test_no_greedy_check_when_sampling():
    assert run(speculative, temperature=0.8)["greedy"] is None


def test_limits_and_odd_input():
    r = run(speculative, k=99, n_tokens=1000, temperature=9, seed=-4)
    assert (r["params"]["k"], r["params"]["n_tokens"], r["params"]["temperature"], r["params"]["seed"]) == (
        8,
        48,
        2.0,
        0,
    )
    assert len(r["new_ids"]) == 48
    empty = run(speculative, prompt="", n_tokens=3)
    assert "empty" in empty["note"] and len(empty["new_ids"]) == 3
    long = run(speculative, prompt="The Congress " * 400, n_tokens=4)
    assert "characters" in long["note"]
    assert len(run(speculative, prompt="héllo 🙂 日本 \ud800", n_tokens=2)["new_ids"]) == 2
    with pytest.raises(ValueError, match="k"):
        run(speculative, k="many")
    with pytest.raises(ValueError, match="prompt"):
        run(speculative, prompt=5)


def chapter_section() -> str:
    text = CHAPTER.read_text()
    return text[text.index("## Guessing ahead") : text.index("::: takeaway")]


def test_the_chapters_numbers():
    """Every number the chapter's section states, from the widget's defaults, the two configs and the train logs."""
    text = chapter_section()
    r = run(speculative)
    c = r["counts"]
    assert (r["params"]["n_tokens"], r["params"]["k"], r["params"]["temperature"]) == (32, 2, 1.0)
    assert f"{c['accepted']} of its\n{c['checked']} tested drafts kept, {round(100 * r['acceptance_rate'])}%" in text
    assert f"take {c['target_passes']} target passes: {r['tokens_per_pass']:.2f} tokens per pass" in text
    assert f"says {r['closed_tokens_per_pass']:.2f}" in text
    assert f"costs {r['cost_ratio']:.2f} of a target token" in text
    assert f"speed-up is {r['speedup']:.2f}×" in text
    assert f"{n_params(speculative.draft().cfg):,} parameters against {n_params(tiny_model().cfg):,}" in text
    draft_loss = json.loads((DRAFT / "train_log.json").read_text())["final_val_loss"]
    tiny_loss = json.loads((ROOT / "models" / "tiny" / "train_log.json").read_text())["final_val_loss"]
    assert f"loss of {draft_loss:.2f} against {tiny_loss:.2f}" in text
    cfg = speculative.draft().cfg
    assert (cfg.n_layer, cfg.d_model) == (2, 64) and "2 layers and $d_\\text{model} = 64$" in text
    assert run(speculative, temperature=0)["greedy"]["identical"]
