"""The KV-cache chapter's widget, computed in CPython: cached_generation.

Checked against llm_core itself: the tokens with and without the cache are llm_core.generation.generate's (both
ways) and identical, but for a near tie that float32 rounding decides (tests/tolerances.py); the cache's
size after every step equals the closed form 2 * n_layer * n_kv_head * d_head * 4 bytes per position; the
positions each way computed follow their formulas; the wall-clock numbers live only under "measured". With
the compare box unticked the run without the cache does not happen (its tokens, verdict and times are None)
and the cached run is unchanged. Plus limits, clamping and bad input.
"""

import math

import numpy as np
import pytest
from widgetlib.prompt import prompt_ids
from tests.tolerances import assert_within_rounding, forward_terms, steps_to_compare
from llm_core.models import tiny_model
from widget_loader import load_widget, run as run_widget


cached_generation = load_widget("cached_generation")
SHORT = {"n_tokens": 4}  # keep the runs short: the uncached side reruns the whole sequence every step


def run(**params):  # this file's one widget, with short runs unless the test sets n_tokens
    return run_widget(cached_generation, **{**SHORT, **params})


def test_data_files_and_the_compare_switch():
    assert cached_generation.DATA  # the tiny model's files, which the page loads before calling compute
    assert cached_generation.DEFAULTS["compare"] is True  # the page opens on the race
    assert any(e.get("compare") is False for e in cached_generation.EXAMPLES)  # the browser test checks both


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"temperature": 0, "n_tokens": 12},
        {"prompt": "I ask the Congress to", "temperature": 1.5, "seed": 3, "n_tokens": 10},
        {"prompt": "", "seed": 9, "n_tokens": 6},
    ],
)
def test_same_tokens_with_and_without_the_cache_and_as_generate(params):
    check_cached_against_uncached(run(**params))


def check_cached_against_uncached(r):
    """Each of the widget's runs is llm_core.generation.generate's, with and without the cache (the same sums in
    the same order: the same tokens); the two give the same tokens, unless a near tie went the other way
    (the cache sums in another order than the full pass), and up to it their logits agree within rounding."""
    p = r["params"]
    cached, uncached = [t["id"] for t in r["tokens"]], [t["id"] for t in r["tokens_uncached"]]
    tiny = tiny_model()
    ids, _ = prompt_ids(tiny, p["prompt"], p["n_tokens"], cached_generation.MAX_PROMPT_CHARS)
    ids = ids[-cached_generation.MAX_PROMPT_TOKENS :]  # what the widget reads of a long prompt
    runs = {
        use_cache: tiny.generate(ids, p["n_tokens"], temperature=p["temperature"], seed=p["seed"], use_cache=use_cache)
        for use_cache in (True, False)
    }
    assert runs[True]["new_ids"] == cached and runs[False]["new_ids"] == uncached
    assert len(runs[True]["prompt_ids"]) == r["n_prompt_tokens"]
    assert r["identical"] == (cached == uncached)
    n = steps_to_compare(cached, uncached)
    assert r["first_difference"] == (None if r["identical"] else n - 1)
    n_terms = forward_terms(tiny.cfg, r["n_prompt_tokens"] + p["n_tokens"], logits=True)
    for a, b in zip(runs[True]["steps"][:n], runs[False]["steps"][:n]):
        assert_within_rounding(a["logits"], b["logits"], n_terms, np.abs(b["logits"]).max())


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"temperature": 0, "n_tokens": 12},
        {"prompt": "I ask the Congress to", "temperature": 1.5, "seed": 3, "n_tokens": 10},
        {"prompt": "", "seed": 9, "n_tokens": 6},
    ],
)
def test_compare_off_runs_only_the_cache_and_gives_the_same_tokens(params, monkeypatch):
    on = run(**params, compare=True)
    with monkeypatch.context() as m:  # unticked, the slow run must not happen at all
        m.setattr(cached_generation, "run_uncached", lambda *a: pytest.fail("ran without the cache"))
        off = run(**params, compare=False)
    assert off["params"]["compare"] is False and on["params"]["compare"] is True
    assert off["tokens"] == on["tokens"] and off["prompt_tokens"] == on["prompt_tokens"]
    assert off["tokens_uncached"] is None and off["identical"] is None and off["first_difference"] is None
    assert off["verdict"] is None and on["verdict"][0] in ("Identical:", "Different")
    # the counts without the cache are arithmetic, the same whether that run happened or not
    assert off["steps"] == on["steps"] and off["positions_uncached"] == on["positions_uncached"]
    m_on, m_off = on.pop("measured"), off.pop("measured")
    assert m_off["ms_uncached"] is None and m_off["total_ms_uncached"] is None
    assert len(m_off["ms_cached"]) == len(m_on["ms_uncached"]) == on["params"]["n_tokens"]
    assert len(m_off["bars"]) == 1 and len(m_on["bars"]) == 2  # one series per run
    for key in ("tokens_uncached", "identical", "first_difference", "verdict", "params"):
        on.pop(key), off.pop(key)
    assert off == on  # everything else is the same


@pytest.mark.parametrize(
    "value, expected",
    [
        (True, True),
        (False, False),
        ("true", True),
        ("FALSE", False),
        (1, True),
        (0, False),
    ],
)
def test_compare_accepts_what_a_checkbox_sends(value, expected):
    assert run(compare=value, n_tokens=2)["params"]["compare"] is expected


@pytest.mark.parametrize("value", ["yes", "on", "", 2, -1, 0.5, None, [True]])
def test_compare_rejects_anything_else(value):
    with pytest.raises(ValueError, match="compare must be on or off"):
        cached_generation.compute({"compare": value})


def test_texts_the_figure_prints():
    r = run(n_tokens=5)
    k, n_prompt = 5, r["n_prompt_tokens"]
    assert r["verdict"] == ["Identical:", " all 5 new tokens are the same with and without the cache."]
    assert cached_generation.verdict(2, 5)[1].startswith(" from new token 3 on:")  # counted from 1
    assert cached_generation.verdict(None, 1)[1] == " all 1 new token is the same with and without the cache."
    assert [c["colour"] for c in r["tokens"]] == [i % 5 for i in range(k)]
    assert r["shown"] == {"n_tokens": "5", "temperature": "0.80"} and not r["more_prompt"]
    assert [s["cache_bytes_text"] for s in r["steps"]] == [f"{s['cache_bytes']:,}" for s in r["steps"]]
    t = r["text"]
    assert t["cache_line"] == (
        f"The cache after each step: 3,072 bytes per position (2 for K and V × 6 layers × 2 KV heads × 32 numbers "
        f"× 4 bytes), {3072 * n_prompt:,} after the prefill of {n_prompt} prompt tokens, {3072 * (n_prompt + 4):,} "
        "at the end. Room for all 256 positions is reserved up front: 786,432 bytes."
    )
    assert f"{r['decode_flops_per_byte']:.2f} operations per byte" in t["work_line"]
    assert r["bytes_chart"]["last_label"] == f"step 4: {r['cache_bytes']:,} bytes"
    m = r["measured"]["text"]
    assert m["cached"] == [cached_generation.ms(x) for x in r["measured"]["ms_cached"]]
    assert m["prefill"].startswith(f". Prefill: {cached_generation.ms(r['measured']['prefill_ms'])} for ")
    long = run(prompt="The President of the United States " * 6, n_tokens=1, compare=False)
    assert long["more_prompt"] and len(long["prompt_tokens"]) == 24
    assert long["measured"]["text"]["prefill"].endswith("per token).")  # one step: no decode


@pytest.mark.parametrize("x, text", [(123.4, "123 ms"), (45.66, "45.7 ms"), (7.891, "7.89 ms"), (0.004, "0.00 ms")])
def test_times_print_three_figures_or_so(x, text):
    assert cached_generation.ms(x) == text


def test_time_bars_share_one_scale():
    m = run(n_tokens=6)["measured"]
    top = max(m["ms_cached"] + m["ms_uncached"])
    bars = [bar for series in m["bars"] for bar in series]
    assert max(bar["h"] for bar in bars) == pytest.approx(
        cached_generation.HEIGHT - cached_generation.TOP - cached_generation.BOTTOM, abs=0.01
    )
    for series, times in zip(m["bars"], (m["ms_cached"], m["ms_uncached"])):
        assert [bar["h"] for bar in series] == pytest.approx(
            [t / top * (cached_generation.HEIGHT - cached_generation.TOP - cached_generation.BOTTOM) for t in times],
            abs=0.01,
        )


@pytest.mark.parametrize("n_tokens", [1, 5, 16])
def test_cache_bytes_follow_the_closed_form(n_tokens):
    r = run(n_tokens=n_tokens)
    cfg = tiny_model().cfg
    per_position = 2 * cfg.n_layer * cfg.n_kv_head * cfg.d_head * 4
    assert r["bytes_per_position"] == per_position == 3072
    n_prompt = r["n_prompt_tokens"]
    for k, step in enumerate(r["steps"]):
        assert step["step"] == k and step["phase"] == ("prefill" if k == 0 else "decode")
        assert step["fed"] == (n_prompt if k == 0 else 1)  # prefill reads the prompt, decode one token
        assert step["fed_uncached"] == n_prompt + k  # without the cache: everything so far
        assert step["cache_positions"] == n_prompt + k
        assert step["cache_bytes"] == per_position * (n_prompt + k)
    assert r["cache_bytes"] == r["steps"][-1]["cache_bytes"]
    assert r["allocated_bytes"] == per_position * cfg.n_ctx == 786_432
    assert r["positions_cached"] == n_prompt + n_tokens - 1
    assert r["positions_uncached"] == n_tokens * n_prompt + n_tokens * (n_tokens - 1) // 2
    bars = r["bytes_chart"]["bars"]
    assert len(bars) == n_tokens and all(a["h"] <= b["h"] for a, b in zip(bars, bars[1:]))


def test_work_numbers():
    r = run()
    tiny = tiny_model()
    assert r["weight_bytes"] == 1_705_600 * 4
    assert r["weight_flops_per_token"] == 2 * (1_705_600 - 13 * 128)  # every weight but the 13 norm gains
    assert math.isclose(r["decode_flops_per_byte"], r["weight_flops_per_token"] / r["weight_bytes"])
    assert math.isclose(r["prefill_flops_per_byte"], r["decode_flops_per_byte"] * r["n_prompt_tokens"])
    assert tiny.cfg.n_layer == 6


def test_wall_clock_numbers_only_under_measured():
    r = run(n_tokens=3)
    m = r.pop("measured")
    assert len(m["ms_cached"]) == len(m["ms_uncached"]) == 3
    assert all(t >= 0 for t in m["ms_cached"] + m["ms_uncached"])
    assert math.isclose(m["total_ms_cached"], sum(m["ms_cached"]))
    assert m["prefill_ms"] == m["ms_cached"][0] and len(m["bars"]) == 2
    # the rest is deterministic: two runs give the same result once the times are dropped
    again = run(n_tokens=3)
    again.pop("measured")
    assert again == r
    assert run(n_tokens=1)["measured"]["decode_ms"] is None


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"n_tokens": 0}, "n_tokens", 1),
        ({"n_tokens": 1000}, "n_tokens", 64),
        ({"temperature": -1}, "temperature", 0.0),
        ({"temperature": 9}, "temperature", 2.0),
        ({"temperature": "0.5"}, "temperature", 0.5),
        ({"seed": -1}, "seed", 0),
        ({"seed": 2**40}, "seed", 2**32 - 1),
    ],
)
def test_clamping(params, key, expected):
    if key == "n_tokens" and expected == 64:
        r = cached_generation.compute({**params, "temperature": 0})
    else:
        r = run(**params)
    assert r["params"][key] == expected


@pytest.mark.parametrize(
    "prompt", ["", "\n\n\t", "👍🏽 e\u0301 \ud800 \x00\x1b مرحبا", "x" * 1_000_000, "the Union " * 400]
)
def test_awkward_prompts(prompt):
    r = run(prompt=prompt, n_tokens=2)
    check_cached_against_uncached(r)
    assert 1 <= r["n_prompt_tokens"] <= cached_generation.MAX_PROMPT_TOKENS
    if prompt == "" or len(prompt) > 2000:  # started from <|endoftext|>, or cut: the view says so
        assert r["note"]


@pytest.mark.parametrize(
    "params, word",
    [
        ({"prompt": None}, "prompt"),
        ({"prompt": 42}, "prompt"),
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"n_tokens": 2.5}, "n_tokens"),
        ({"n_tokens": [3]}, "n_tokens"),
        ({"seed": "abc"}, "seed"),
        ({"seed": True}, "seed"),
    ],
)
def test_bad_values_raise_a_readable_error(params, word):
    with pytest.raises(ValueError, match=word):
        cached_generation.compute(params)


def test_long_prompts_keep_their_last_tokens_with_a_note():
    r = run(prompt="the Union and the Congress " * 20, n_tokens=3)
    assert r["n_prompt_tokens"] == cached_generation.MAX_PROMPT_TOKENS and "last 32" in r["note"]
    tiny = tiny_model()
    ids = tiny.encoding.encode("the Union and the Congress " * 20)[-32:]
    out = tiny.generate(ids, 3, temperature=0.8, seed=0)
    assert out["new_ids"] == [t["id"] for t in r["tokens"]]
