"""The embeddings chapter's widgets, computed in CPython: token_vector, embedding_map and vector_math.

Checked against the model's own embedding table with naive numpy: the strip is the table's row, cosines
are dot / (norm * norm), neighbours and ranks come from sorting every row, PCA's explained variance
matches the eigenvalues of the covariance, and the 3-D turn keeps distances; the map's word labels overlap
no other label, dot or axis name and stay inside the plot, also in a tight cluster; plus limits, clamping
and bad-input messages.
"""

import math

import numpy as np
import pytest
from tests.tolerances import U64, assert_within_rounding
from test_widgetlib import check_labels
from widget_loader import load_widget, run
from widgetlib.fmt import fixed, integer, percent, signed
from llm_core.models import tiny_model


token_vector = load_widget("token_vector")
embedding_map = load_widget("embedding_map")
vector_math = load_widget("vector_math")
ALL = [token_vector, embedding_map, vector_math]


def table() -> np.ndarray:  # [n_vocab, d_model] float64, straight from the weights
    return tiny_model().weights["tok_emb"].astype(np.float64)


def token(word: str) -> int:
    ids = tiny_model().encoding.encode(word)
    assert len(ids) == 1, word
    return ids[0]


def naive_cosines(vector) -> np.ndarray:  # [n_vocab]
    t = table()
    return np.array([float(row @ vector) / (np.linalg.norm(row) * np.linalg.norm(vector)) for row in t])


@pytest.mark.parametrize("widget", ALL, ids=lambda w: w.__name__)
def test_declares_its_data_files(widget):
    assert widget.DATA  # the tiny model's files, which the page loads before calling compute


# token_vector


def test_the_strip_is_the_tables_row():
    r = run(token_vector)
    v = r["vector"]
    assert r["position"] == 3 and v["id"] == token(" war")
    assert v["values"] == [float(x) for x in tiny_model().weights["tok_emb"][v["id"]]]
    assert len(v["values"]) == r["d_model"] == 128
    assert math.isclose(v["norm"], float(np.linalg.norm(v["values"])), rel_tol=1e-12)
    assert v["max"] == max(v["values"]) and v["values"][v["argmax"]] == v["max"]
    assert v["min"] == min(v["values"]) and v["values"][v["argmin"]] == v["min"]
    shades = np.array(v["shades"])
    assert shades.min() >= -4 and shades.max() <= 4 and 4 in np.abs(shades)
    assert all(np.sign(s) in (0, np.sign(x)) for s, x in zip(shades, v["values"]))


@pytest.mark.parametrize("a, b", [(" January", " July"), (" war", " peace"), (" France", " Spain")])
def test_cosine_and_neighbours_match_a_naive_search(a, b):
    r = run(token_vector, a=a, b=b)
    ia, ib = token(a), token(b)
    t = table()
    expected = float(t[ia] @ t[ib]) / (np.linalg.norm(t[ia]) * np.linalg.norm(t[ib]))
    assert math.isclose(r["cosine"], expected, rel_tol=1e-9)
    sims = naive_cosines(t[ia])
    sims[ia] = -np.inf  # the token itself is left out
    best = np.argsort(-sims, kind="stable")[:10]
    assert [n["id"] for n in r["neighbours"]] == best.tolist()
    assert all(math.isclose(n["cosine"], sims[n["id"]], rel_tol=1e-9) for n in r["neighbours"])


def test_the_token_view_writes_what_it_shows():
    r = run(token_vector, a=" war", b=" peace")
    v = r["vector"]
    assert v["texts"] == [signed(x, 3) for x in v["values"]] and "−" in "".join(v["texts"])
    assert (v["min_text"], v["max_text"], v["norm_text"]) == (
        signed(v["min"], 3),
        signed(v["max"], 3),
        fixed(v["norm"], 3),
    )
    assert [t for row in v["rows"] for t in row["texts"]] == v["texts"]
    assert [row["first"] for row in v["rows"]] == list(range(0, 128, 8)) and len(v["columns"]) == 8
    assert [(c["number"], c["picked"]) for c in r["tokens"]] == [
        (k + 1, k + 1 == r["position"]) for k in range(len(r["tokens"]))
    ]
    assert r["cosine_text"] == signed(r["cosine"], 3) and r["meter"] == f"{50 + 50 * r['cosine']:.1f}%"
    for n in r["neighbours"]:
        assert n["cosine_text"] == fixed(n["cosine"], 3) and n["bar"] == f"{100 * max(n['cosine'], 0):.1f}%"
    assert r["n_vocab_text"] == integer(r["n_vocab"]) == "4,096"


def test_months_are_each_others_nearest_neighbours():
    r = run(token_vector)
    months = {token(" " + m) for m in "February April July December October March November August".split()}
    assert {n["id"] for n in r["neighbours"][:8]} == months


@pytest.mark.parametrize("position, shown", [(1, 1), (7, 7), (16, 7), (0, 1), (-5, 1), (99, 7)])
def test_position_is_clamped_to_the_text(position, shown):
    assert run(token_vector, position=position)["position"] == shown


def test_empty_fields_and_text_get_messages():
    r = run(token_vector, text="", a="", b=" war")
    assert r["vector"] is None and "Type a word" in r["message"]
    assert r["a"]["token"] is None and "empty" in r["a"]["message"]
    assert r["cosine"] is None and r["neighbours"] == []


def test_a_multi_token_word_uses_its_first_token_and_hints_at_the_space():
    r = run(token_vector, a="January")
    ids = tiny_model().encoding.encode("January")
    assert len(ids) > 1 and r["a"]["token"]["id"] == ids[0]
    assert "first" in r["a"]["message"] and '" January" is a single token' in r["a"]["tip"]


@pytest.mark.parametrize("text", ["🙂" * 500, "x" * 1_000_000, "\u202eabc\x00\ud800", "<script>"])
def test_strange_and_huge_text(text):
    r = run(token_vector, text=text, a=text, b=text)
    assert len(r["tokens"]) <= token_vector.MAX_TOKENS_SHOWN
    assert r["vector"] is not None and r["cosine"] is not None


@pytest.mark.parametrize("params", [{"position": ""}, {"position": 2.5}, {"text": 5}, {"a": None}])
def test_bad_values_raise_plain_errors(params):
    with pytest.raises(ValueError):
        token_vector.compute(params)


# embedding_map


def test_explained_variance_matches_the_covariance_eigenvalues():
    r = run(embedding_map, dims=3)
    ids = [p["id"] for p in sorted(r["points"], key=lambda p: p["index"])]
    x = table()[ids]
    eig = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False)))[::-1]
    assert np.allclose(r["explained"], eig[:3] / eig.sum(), rtol=1e-9)
    assert math.isclose(r["explained_total"], sum(r["explained"]))
    assert r["n_points"] == 32 and len(r["groups"]) == 4


def test_the_turn_keeps_distances_and_zero_angles_give_the_flat_view():
    flat = run(embedding_map, dims=2)
    straight = run(embedding_map, dims=3, yaw=0, pitch=0)
    turned = run(embedding_map, dims=3, yaw=75, pitch=-40)
    by_id = lambda r: {p["id"]: p for p in r["points"]}  # noqa: E731
    f, s = by_id(flat), by_id(straight)
    # same PC1, PC2 in both views: projections onto 2 directions or 3, float64 sums of d_model terms that
    # BLAS may order differently for the two shapes
    rows = table()[list(f)]
    for i, centered in zip(f, rows - rows.mean(axis=0)):  # the directions are unit vectors
        assert_within_rounding(f[i]["pc"], s[i]["pc"][:2], 2 * len(centered), np.abs(centered).sum(), u=U64)
    # at yaw = pitch = 0, the screen shows PC1 and PC2 (scaled by the 3-D reach instead of the 2-D one)
    sx = np.array([[s[i]["x"], s[i]["y"]] for i in f])
    pcs = np.array([s[i]["pc"][:2] for i in f])
    scale = embedding_map.RADIUS / max(np.linalg.norm(p["pc"]) for p in straight["points"])
    assert np.allclose(
        sx,
        np.stack([embedding_map.WIDTH / 2 + scale * pcs[:, 0], embedding_map.HEIGHT / 2 - scale * pcs[:, 1]], axis=1),
    )
    pc3 = np.array([p["pc"] for p in turned["points"]])
    rot = embedding_map.rotate(pc3, 75, -40)
    distances = lambda x: np.linalg.norm(x[:, None] - x[None], axis=-1)  # noqa: E731
    assert np.allclose(distances(rot), distances(pc3))  # turning moves no point closer to another
    R = embedding_map.rotate(np.eye(3), 75, -40)
    assert np.allclose(R @ R.T, np.eye(3))  # a rotation: orthonormal
    assert math.isclose(np.linalg.det(R), 1.0)


def test_points_are_drawn_far_to_near():
    r = run(embedding_map, yaw=40, pitch=10)
    radii = [p["r"] for p in r["points"]]
    assert radii == sorted(radii)


@pytest.mark.parametrize("params", [{}, {"dims": 2, "yaw": -45, "pitch": 0}])
def test_the_map_writes_what_the_view_shows(params):
    """SVG attributes to 2 decimals, percentages and table cells come formatted; the view only places them."""
    r = run(embedding_map, **params)
    two = lambda v: f"{v:.2f}"  # noqa: E731
    assert r["shown"] == {
        "yaw": {-45: "−45°", 30: "30°"}[r["params"]["yaw"]],
        "pitch": {0: "0°", -30: "−30°"}[r["params"]["pitch"]],
    }
    for a in r["axes"]:
        assert a["line"] == {"x1": two(a["x1"]), "y1": two(a["y1"]), "x2": two(a["x2"]), "y2": two(a["y2"])}
    for pt in r["points"]:
        assert pt["dot"] == {"cx": two(pt["x"]), "cy": two(pt["y"]), "r": two(pt["r"])}
        assert pt["text_at"] == {"x": two(pt["label"]["x"]), "y": two(pt["label"]["y"])}
        assert (pt["leader"] is None) == (not pt["label"]["leader"])
    assert [pc["share"] for pc in r["pcs"]] == [percent(e) for e in r["explained"]]
    assert r["explained_total_text"] == percent(r["explained_total"])
    assert r["readout"].startswith(f", so the picture leaves out {percent(1 - r['explained_total'])}. ")
    by_index = sorted(r["points"], key=lambda pt: pt["index"])
    assert r["rows"] == [{"word": pt["word"], "pc": [fixed(c, 3) for c in pt["pc"]]} for pt in by_index]


def test_word_list_parsing_and_skipped_words():
    r = run(embedding_map, words="gold, silver;\n England , war, war, ,", dims=2)
    assert [g["words"] for g in r["groups"]] == [["gold", "silver"], ["war"]]
    assert "England" in r["note"]
    assert r["n_points"] == 3


@pytest.mark.parametrize("words, dims", [("", 2), ("one, two", 2), ("one, two, three", 3), ("🙂, <b>", 2)])
def test_too_few_words_get_a_message(words, dims):
    r = run(embedding_map, words=words, dims=dims)
    assert r["message"] and r["points"] == []


def test_long_lists_are_cut():
    r = run(embedding_map, words=", ".join(["one", "two", "three", "four"] * 40) + "x" * 1_000_000)
    assert r["note"] and r["n_points"] <= embedding_map.MAX_WORDS


@pytest.mark.parametrize(
    "params, key, expected",
    [
        ({"dims": 9}, "dims", 3),
        ({"dims": "2"}, "dims", 2),
        ({"yaw": 999}, "yaw", 180.0),
        ({"pitch": -999}, "pitch", -90.0),
        ({"pitch": "15"}, "pitch", 15.0),
    ],
)
def test_map_controls_are_clamped(params, key, expected):
    assert run(embedding_map, **params)["params"][key] == expected


@pytest.mark.parametrize("params", [{"yaw": ""}, {"dims": "3-D"}, {"words": 3}])
def test_map_bad_values_raise_plain_errors(params):
    with pytest.raises(ValueError):
        embedding_map.compute(params)


# embedding_map's word labels: placed by widgetlib.labels (tested in test_widgetlib.py), checked here on the
# widget's own views.

MONTHS = "January, February, March, April, May, June, July, August, September, October, November, December"


@pytest.mark.parametrize(
    "params, crowded",
    [
        ({}, 0),
        ({"dims": 2}, 0),
        ({"pitch": 20}, None),
        ({"yaw": -90, "pitch": 45}, None),
        (embedding_map.EXAMPLES[1], 0),
        ({"words": MONTHS + "; the", "dims": 2}, 0),
        ({"words": MONTHS + "; the, of, and"}, None),
        ({"words": "war, army, navy, peace, soldiers", "yaw": 180}, 0),
    ],
    ids=str,
)
def test_labels_overlap_no_label_dot_or_axis_name_and_stay_in_the_plot(params, crowded):
    r = run(embedding_map, **params)
    placed = check_labels(r["points"], (embedding_map.WIDTH, embedding_map.HEIGHT), r["axes"])
    assert r["crowded_labels"] == len(r["points"]) - len(placed)
    if crowded is not None:  # the default views, and twelve months squeezed by an outlier, label every word
        assert r["crowded_labels"] == crowded


# vector_math


@pytest.mark.parametrize(
    "a, b, c, expect",
    [
        (" French", " France", " Germany", " German"),
        (" peace", " war", " enemy", " friend"),
        (" February", " January", " March", " April"),
    ],
)
def test_arithmetic_matches_a_naive_search(a, b, c, expect):
    r = run(vector_math, a=a, b=b, c=c, expect=expect)
    t = table()
    ids = [token(w) for w in (a, b, c)]
    target = t[ids[0]] - t[ids[1]] + t[ids[2]]
    sims = naive_cosines(target)
    raw = np.argsort(-sims, kind="stable")
    left = [int(i) for i in raw if i not in ids]
    assert [x["id"] for x in r["results"]] == left[:10]
    assert all(math.isclose(x["cosine"], sims[x["id"]], rel_tol=1e-9) for x in r["results"])
    assert [x["id"] for x in r["raw"]] == raw[:5].tolist()
    assert [x["input"] for x in r["raw"]] == [int(i) in ids for i in raw[:5]]
    assert r["expect_rank"] == left.index(token(expect)) + 1
    assert np.allclose(r["input_cosines"], [sims[i] for i in ids], rtol=1e-9)
    # what the view writes
    assert r["input_cosines_text"] == [fixed(x, 3) for x in r["input_cosines"]]
    for x in r["results"] + r["raw"]:
        assert x["cosine_text"] == fixed(x["cosine"], 3) and x["bar"] == f"{100 * max(x['cosine'], 0):.1f}%"
    assert [x["after"] for x in r["raw"]] == [", "] * 4 + ["."]
    assert r["expect_cosine_text"] == fixed(r["expect_cosine"], 3) and r["n_candidates_text"] == integer(4096 - 3)


def test_a_repeated_input_leaves_one_token_fewer_out():
    r = run(vector_math, a=" France", b=" war", c=" France", expect=" Spain")
    assert r["n_candidates_text"] == integer(4096 - 2)


def test_the_default_analogy_is_reported_honestly():
    r = run(vector_math)
    assert r["results"][0]["expected"] and r["expect_rank"] == 1
    assert r["raw"][0]["input"]  # left in, the nearest token to the sum is one of the inputs


def test_missing_fields_get_a_message():
    r = run(vector_math, c="", expect="")
    assert r["message"] and r["results"] == [] and r["expect"] is None
    assert "empty" in r["fields"][2]["message"]


def test_expected_token_among_the_inputs_is_explained():
    r = run(vector_math, expect=" Germany")
    assert r["expect_rank"] is None and "left out" in r["expect"]["message"]


@pytest.mark.parametrize("word", ["🙂" * 500, "x" * 1_000_000, "\u202e\x00", "<img src=x>"])
def test_vector_math_strange_input(word):
    r = run(vector_math, a=word, b=word, c=word, expect=word)
    assert r["note"] or r["results"] or r["message"]


def test_vector_math_bad_values_raise_plain_errors():
    with pytest.raises(ValueError):
        vector_math.compute({"a": 1})


# -- the turnable 3-D view (plotly) --------------------------------------------------------------


def test_the_3d_view_plots_the_pca_coordinates_of_the_words_and_the_cloud():
    r = run(embedding_map)
    kept = [p["id"] for p in sorted(r["points"], key=lambda p: p["index"])]
    x = table()[kept]  # [n, d_model]
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)  # the reference: numpy's SVD, signs aside
    traces = r["plot3d"]["traces"]
    words = traces[1:]
    assert [t["text"] for t in words] == [g["words"] for g in r["groups"]]  # one trace per group, labelled
    assert [t["marker"]["color"] for t in words] == [f"--em-{g['group']}" for g in r["groups"]]
    plotted = np.array([[x, y, z] for t in words for x, y, z in zip(t["x"], t["y"], t["z"])])
    index = {p["word"]: p["index"] for p in r["points"]}
    order = [index[w] for t in words for w in t["text"]]  # the rows of x, in the traces' order
    reference = centred[order] @ vt[:3].T
    signs = np.sign(np.sum(reference * plotted, axis=0))  # a direction's sign is arbitrary
    np.testing.assert_allclose(plotted, reference * signs, atol=1e-9)
    # the grey cloud: the model's first whole-word tokens, none of them the reader's, on the same axes
    cloud = traces[0]
    assert len(cloud["x"]) == embedding_map.N_BACKDROP == len(r["cloud_rows"])
    enc = tiny_model().encoding
    ids = [enc.encode(" " + w)[0] for w in cloud["text"]]
    assert not set(ids) & set(kept) and ids == sorted(ids)
    cloud_ref = (table()[ids] - x.mean(axis=0)) @ vt[:3].T * signs
    np.testing.assert_allclose(np.array([cloud["x"], cloud["y"], cloud["z"]]).T, cloud_ref, atol=1e-9)
    assert r["plot3d"]["n_points"] == len(kept) + len(ids)


@pytest.mark.parametrize("yaw, pitch", [(0, 0), (30, -30), (-120, 60)])
def test_the_3d_camera_looks_along_the_flat_views_depth(yaw, pitch):
    """The camera's eye and up are the directions the flat view's turn sends to depth and to screen y."""
    r = run(embedding_map, yaw=yaw, pitch=pitch)
    cam = r["plot3d"]["layout"]["scene"]["camera"]
    eye = np.array([cam["eye"][k] for k in "xyz"])
    up = np.array([cam["up"][k] for k in "xyz"])
    turned = embedding_map.rotate(np.stack([eye, up]), yaw, pitch)  # PC space -> screen x, y, depth
    np.testing.assert_allclose(turned, [[0, 0, embedding_map.EYE], [0, 1, 0]], atol=1e-12)
    assert cam["projection"]["type"] == "orthographic"


def test_the_flat_view_has_no_3d_figure():
    r = run(embedding_map, dims=2)
    assert r["plot3d"] is None and r["cloud_rows"] == []


def test_smollm2s_map_is_the_pca_of_its_own_embedding_rows(smollm2_gguf):
    from llm_core.embeddings import pca
    from llm_core.models import get_model

    r = run(embedding_map, model="smollm2", words="king, queen; man, woman; January, February")
    model = get_model("smollm2")
    ids = [p["id"] for p in sorted(r["points"], key=lambda p: p["index"])]
    assert ids == [model.encoding.encode(" " + w)[0] for w in ["king", "queen", "man", "woman", "January", "February"]]
    _, _, explained = pca(model.weights["tok_emb"][ids].astype(np.float64), 3)
    np.testing.assert_allclose(r["explained"], explained, rtol=1e-12)
    assert len(r["plot3d"]["traces"][0]["x"]) == embedding_map.N_BACKDROP
