"""The FlashAttention widget, computed in CPython: flash_tiles; and the numbers chapters/05-attention.md quotes.

Checked against the model's own attention (the head outputs of the traced float64 forward pass), against
llm_core.flash_attention's own trace and tile grid, and against closed forms for the memory panel.
"""

from pathlib import Path

import pytest

from llm_core.configs import CONFIGS
from llm_core.flash_attention import FULL, SKIPPED, hbm_accesses, tile_status
from widget_loader import load_widget, run as run_widget
from widgetlib.fmt import fixed

flash_tiles = load_widget("flash_tiles")
CHAPTER = Path(__file__).resolve().parents[2] / "chapters" / "05-attention.md"


def run(**params):
    return run_widget(flash_tiles, **params)


CASES = [{}, {"block": 5, "query": 20, "tiles": 9}, {"layer": 0, "head": 3, "block": 1}, {"block": 16, "query": 2}]


@pytest.mark.parametrize("params", CASES)
def test_the_tiled_output_is_the_models_own(params):
    r = run(**params)
    p = {**flash_tiles.DEFAULTS, **params}
    ids, _ = flash_tiles.sentence_ids(p["prompt"])
    trace = flash_tiles.run(tuple(ids))
    heads = trace["layers"][p["layer"]]["attn"]["heads"]  # [n_head, n_seq, d_head]: the forward pass's own
    assert r["exact_text"] == [fixed(float(x), 3) for x in heads[p["head"], r["params"]["query"], : r["n_shown"]]]
    assert 0 <= r["diff"] < 1e-14  # float64: tiled and plain agree to rounding


@pytest.mark.parametrize("params", CASES)
def test_grid_and_steps_are_llm_cores(params):
    r = run(**params)
    p = r["params"]
    n, block = r["n_tokens"], p["block"]
    status = tile_status(n, n, block, block)
    assert r["counts"] == {
        "full": int((status == FULL).sum()),
        "diagonal": int(status.size - (status == FULL).sum() - (status == SKIPPED).sum()),
        "skipped": int((status == SKIPPED).sum()),
        "total": status.size,
    }
    states = [t["state"] for t in r["grid"]["tiles"]]
    assert states == [{0: "skipped", 1: "diagonal", 2: "full"}[int(s)] for s in status.ravel()]
    row_tile = p["query"] // block
    assert r["max_tiles"] == len(r["rows"]) == int((status[row_tile] != SKIPPED).sum()) == row_tile + 1
    marks = [t["mark"] for t in r["grid"]["tiles"] if t["mark"]]
    assert marks == ["done"] * p["tiles"] + ["todo"] * (r["max_tiles"] - p["tiles"])
    assert [row["done"] for row in r["rows"]] == [i < p["tiles"] for i in range(r["max_tiles"])]
    assert r["rows"][-1]["gap"] < 1e-14  # after the last tile: the exact output
    assert r["readouts"]["tiles"] == f"{p['tiles']} of {r['max_tiles']}"


def test_clamped_and_refused_inputs():
    r = run(query=63, tiles=64, block=99)
    assert r["params"]["query"] == r["n_tokens"] - 1 and r["params"]["block"] == 16
    assert r["params"]["tiles"] == r["max_tiles"]
    r = run(prompt="", tiles=0)
    assert r["n_tokens"] >= 1 and r["state_text"].startswith("No tile processed yet")
    assert r["partial_text"] == ["0.000"] * r["n_shown"]
    with pytest.raises(ValueError, match="layer"):
        run(layer="x")
    r = run(prompt="⚠️ 🙂 " * 400)
    assert r["n_tokens"] == flash_tiles.MAX_TOKENS and "last 64" in r["note"]


@pytest.mark.parametrize("log2_seq", [10, 13, 17])
def test_memory_panel_closed_forms(log2_seq):
    m = run(log2_seq=log2_seq)["memory"]
    cfg = CONFIGS["llama-3-8b"]
    n = 2**log2_seq
    assert (cfg.n_head, cfg.d_head) == (32, 128)
    assert m["scores"] == 32 * n * n * 2
    per_head = 2 * 128 * 128 + 2 * 128 * 128 + 128 * 128 + 2 * 128  # q, acc; k, v; the scores tile; m, l
    assert m["tiles"] == 32 * per_head * 2
    hbm = hbm_accesses(n, 128, flash_tiles.SRAM)
    assert m["standard"] == 32 * (4 * n * n + 4 * n * 128) * 2 and m["flash"] == 32 * hbm["flash"] * 2


# --- the numbers chapters/05-attention.md quotes -----------------------------------------------------


def test_chapter_numbers():
    text = " ".join(CHAPTER.read_text().split())
    r = run()
    assert r["n_tokens"] == 34 and r["params"]["query"] == 32
    assert (r["counts"]["total"], r["counts"]["full"], r["counts"]["diagonal"], r["counts"]["skipped"]) == (
        81,
        36,
        9,
        36,
    )
    raised = [(row["step"], row["m"], row["rescale"]) for row in r["rows"] if row["raised"]]
    assert raised == [(2, "−1.55", "0.176"), (8, "3.47", "0.007")]
    assert [row["m"] for row in r["rows"][1:7]] == ["−1.55"] * 6
    assert (r["rows"][6]["l"], r["rows"][7]["l"]) == ("3.595", "1.726")
    assert (r["rows"][6]["gap_text"], r["rows"][7]["gap_text"]) == ("110.2%", "13.6%")
    assert r["rows"][8]["keys"] == "32–32 (rest masked)" and r["rows"][7]["tile_max"] == "3.47"
    m8, m128 = run(log2_seq=13)["memory"], run(log2_seq=17)["memory"]
    assert (m8["scores_text"], m128["scores_text"], m8["tiles_text"]) == ("4.00 GiB", "1.00 TiB", "5.02 MiB")
    assert (m8["standard_text"], m8["flash_text"], m8["traffic_ratio_text"]) == ("16.2 GiB", "8.15 GiB", "2.0")
    gpt2 = hbm_accesses(1024, 64, flash_tiles.SRAM)  # GPT-2 medium's d_head = 64, at its 1,024 tokens
    assert fixed(gpt2["standard"] / gpt2["flash"], 1) == "5.6"
    for quoted in [
        "81 tiles",
        "36 are skipped",
        "9 on the diagonal",
        "token 32",
        "−1.55",
        "3.47",
        "0.007",
        "3.595",
        "1.726",
        "110.2%",
        "13.6%",
        "4.00 GiB",
        "1.00 TiB",
        "5.02 MiB",
        "16.2 GiB",
        "8.15 GiB",
        "5.6",
    ]:
        assert quoted in text, quoted
