"""llm_core.sampling: Hugging Face's warper algorithm as reference, chi-square draws, edge cases, errors."""

import doctest
import math

import numpy as np
import pytest

from llm_core import sampling
from llm_core.sampling import draw, entropy, min_p_mask, sample, top_k_mask, top_p_mask

# Upper 0.1% points of the chi-square distribution (any statistics table), by degrees of freedom.
CHI2_CRITICAL_0_001 = {1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515}


def reference_kept(logits, temperature, top_k, top_p, min_p):
    """transformers' warpers, re-written in numpy from logits_process.py (TemperatureLogitsWarper,
    TopKLogitsWarper, TopPLogitsWarper, MinPLogitsWarper, in that order): removed tokens become -inf.
    Its ascending sort is made stable here (torch.sort(stable=False) leaves the order of ties open)."""

    def softmax(s):
        e = np.exp(s - s.max())
        return e / e.sum()

    scores = np.asarray(logits, dtype=np.float64) / temperature
    if top_k:
        kth = np.sort(scores)[-min(top_k, len(scores))]
        scores = np.where(scores < kth, -np.inf, scores)
    if top_p < 1.0:
        order = np.argsort(scores, kind="stable")  # ascending; of tied tokens, the lowest id first
        cumulative = np.cumsum(softmax(scores[order]))
        remove = cumulative <= 1 - top_p
        remove[-1] = False  # min_tokens_to_keep = 1
        scores[order[remove]] = -np.inf
    if min_p > 0:
        probs = softmax(scores)
        scores = np.where(probs < min_p * probs.max(), -np.inf, scores)
    return np.isfinite(scores)


def chi_square(counts, probs):
    expected = probs * counts.sum()
    return float(np.sum((counts - expected) ** 2 / expected))


def test_docstring_examples():
    assert doctest.testmod(sampling).failed == 0


def test_kept_sets_match_transformers_algorithm():
    rng = np.random.default_rng(2024)
    for _ in range(300):
        logits = rng.normal(0, 3, size=int(rng.integers(2, 40)))
        params = dict(
            temperature=float(rng.choice([0.3, 0.7, 1.0, 1.5, 4.0])),
            top_k=int(rng.integers(0, 12)),
            top_p=float(rng.choice([0.0, 0.1, 0.5, 0.9, 0.95, 1.0])),
            min_p=float(rng.choice([0.0, 0.05, 0.2, 0.6, 1.0])),
        )
        out = sample(logits, **params, rng=0)
        np.testing.assert_array_equal(out["kept"], reference_kept(logits, **params), err_msg=str(params))
        assert out["kept"][out["token"]]


def test_filters_renormalise_between_steps():
    # top-k 2 leaves [4/7, 3/7]; top-p 0.5 then keeps only the first (4/7 >= 0.5). On the unfiltered
    # distribution top-p 0.5 would have kept two (0.4 < 0.5).
    logits = np.log([0.4, 0.3, 0.2, 0.1])
    out = sample(logits, top_k=2, top_p=0.5, rng=0)
    assert out["kept"].tolist() == [True, False, False, False]
    np.testing.assert_allclose(out["stages"]["top_k"], [4 / 7, 3 / 7, 0, 0])
    assert sample(logits, top_p=0.5, rng=0)["kept"].tolist() == [True, True, False, False]


def test_temperature_before_top_p():
    logits = np.log([0.6, 0.25, 0.1, 0.05])
    assert sample(logits, top_p=0.82, rng=0)["kept"].sum() == 2  # 0.6 + 0.25 = 0.85 >= 0.82: 2 tokens
    # T = 5 flattens to ~[0.32, 0.27, 0.22, 0.19]: the first three hold ~0.81 < 0.82, so all 4 are needed
    assert sample(logits, temperature=5.0, top_p=0.82, rng=0)["kept"].sum() == 4


def test_stages_are_distributions():
    out = sample(np.array([3.0, 1.0, 0.5, -1.0, -np.inf]), temperature=0.8, top_k=3, top_p=0.9, min_p=0.1, rng=1)
    assert list(out["stages"]) == ["softmax", "temperature", "top_k", "top_p", "min_p"]
    for probs in out["stages"].values():
        assert probs.sum() == pytest.approx(1.0) and probs[-1] == 0.0
    np.testing.assert_array_equal(out["probs"], out["stages"]["min_p"])
    assert np.all(out["probs"][~out["kept"]] == 0) and 0.0 <= out["u"] < 1.0


@pytest.mark.parametrize(
    "params",
    [{}, {"top_k": 4, "top_p": 0.9}, {"min_p": 0.1}, {"temperature": 0.7, "top_k": 5, "top_p": 0.95, "min_p": 0.05}],
)
def test_chi_square_draws_follow_the_filtered_distribution(params):
    logits = np.array([2.0, 1.5, 1.0, 0.2, -0.5, -1.0])
    rng = np.random.default_rng(12345)
    n = 5000
    first = sample(logits, **params, rng=0)
    counts = np.bincount([sample(logits, **params, rng=rng)["token"] for _ in range(n)], minlength=6)
    kept = first["kept"]
    assert counts[~kept].sum() == 0  # filtered tokens never come out
    df = int(kept.sum()) - 1
    assert chi_square(counts[kept], first["probs"][kept]) < CHI2_CRITICAL_0_001[df]


def test_draw_inverse_cdf():
    probs = np.array([0.1, 0.0, 0.6, 0.3])
    rng = np.random.default_rng(99)
    counts = np.bincount([draw(probs, rng)[0] for _ in range(20000)], minlength=4)
    assert counts[1] == 0
    assert chi_square(counts[[0, 2, 3]], probs[[0, 2, 3]]) < CHI2_CRITICAL_0_001[2]


def test_draw_never_lands_on_a_zero_probability_tail():
    class AlmostOne:  # a generator whose draw lies above a cumulative sum that ends below 1
        def random(self):
            return float(np.nextafter(1.0, 0.0))

    probs = np.array([0.3, 0.7 - 1e-15, 0.0, 0.0])
    assert draw(probs, AlmostOne())[0] == 1


def test_temperature_zero_is_greedy_with_lowest_index_ties():
    logits = np.array([1.0, 3.0, 3.0, -np.inf])
    for seed in range(5):
        out = sample(logits, temperature=0, top_k=3, top_p=0.3, min_p=0.5, rng=seed)
        assert out["token"] == 1 and out["u"] is None
        assert out["probs"].tolist() == [0.0, 1.0, 0.0, 0.0] and out["kept"].tolist() == [False, True, False, False]


def test_top_k_one_is_argmax_for_every_seed():
    logits = np.random.default_rng(0).normal(size=50)
    assert {sample(logits, top_k=1, rng=seed)["token"] for seed in range(20)} == {int(np.argmax(logits))}


def test_top_k_keeps_ties():
    assert top_k_mask(np.array([1.0, 2.0, 2.0, 0.0]), 1).tolist() == [False, True, True, False]
    assert top_k_mask(np.array([1.0, -np.inf]), 5).tolist() == [True, False]


def test_top_p_edges():
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    assert top_p_mask(probs, 0.0).tolist() == [True, False, False, False]  # never empty
    assert top_p_mask(probs, 0.75).tolist() == [True, True, False, False]
    assert top_p_mask(probs, 0.85).tolist() == [True, True, True, False]
    assert top_p_mask(probs, 1.0).all()
    # ties at the cut: the highest ids are kept (transformers removes the lowest first)
    assert top_p_mask(np.array([0.25, 0.25, 0.5]), 0.6).tolist() == [False, True, True]
    assert top_p_mask(np.array([0.1] * 10), 0.35).tolist() == [False] * 6 + [True] * 4
    assert top_p_mask(np.array([0.2, 0.1, 0.1, 0.4, 0.1, 0.1]), 0.75).tolist() == [True, False, False, True, True, True]
    logits = np.log(probs)
    out = sample(logits, top_p=1.0, rng=0)
    np.testing.assert_array_equal(out["stages"]["top_p"], out["stages"]["top_k"])


def test_min_p_edges():
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    assert min_p_mask(probs, 0.2).tolist() == [True, True, True, False]  # threshold 0.1
    assert min_p_mask(probs, 1.0).tolist() == [True, False, False, False]
    assert min_p_mask(probs, 0.0).all()


def test_minus_infinity_logits_are_never_drawn():
    logits = np.array([-np.inf, 0.0, -np.inf, 0.0, -np.inf])
    rng = np.random.default_rng(3)
    for _ in range(300):
        out = sample(logits, temperature=50.0, top_k=10, rng=rng)
        assert out["token"] in (1, 3)
    assert out["probs"].tolist() == [0.0, 0.5, 0.0, 0.5, 0.0]


def test_extreme_temperatures_and_logits_stay_finite():
    logits = np.array([1e30, -1e30, 0.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert sample(logits, temperature=1e-9, rng=0)["token"] == 0
        tiny = sample(np.array([1.0, 1.0 - 1e-6, 0.0]), temperature=1e-12, rng=0)
    assert np.isfinite(tiny["probs"]).all() and tiny["token"] == 0
    flat = sample(np.array([0.0, 5.0]), temperature=1e6, rng=0)["probs"]
    np.testing.assert_allclose(flat, [0.5, 0.5], atol=1e-5)


def test_same_seed_same_token():
    logits = np.random.default_rng(1).normal(size=100)
    tokens = [sample(logits, temperature=1.3, rng=seed)["token"] for seed in range(30)]
    generators = [np.random.default_rng(seed) for seed in range(30)]
    assert tokens == [sample(logits, temperature=1.3, rng=g)["token"] for g in generators]
    assert len(set(tokens)) > 5


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"temperature": -0.1}, r"temperature must be a number >= 0"),
        ({"temperature": float("nan")}, "temperature"),
        ({"temperature": float("inf")}, "temperature"),
        ({"temperature": "1"}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"top_k": -1}, r"top_k must be an integer >= 0"),
        ({"top_k": 2.5}, "top_k"),
        ({"top_k": True}, "top_k"),
        ({"top_p": -0.01}, r"top_p must be a number in \[0, 1\]"),
        ({"top_p": 1.5}, "top_p"),
        ({"top_p": float("nan")}, "top_p"),
        ({"min_p": -0.5}, r"min_p must be a number in \[0, 1\]"),
        ({"min_p": 2}, "min_p"),
        ({"rng": "seed"}, "rng"),
        ({"rng": -1}, "rng"),
    ],
)
def test_invalid_parameters_name_themselves(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sample(np.array([0.0, 1.0]), **kwargs)
    with pytest.raises(ValueError, match=match):  # checked even when greedy would not need them
        sample(np.array([0.0, 1.0]), **{"temperature": 0, **kwargs})


@pytest.mark.parametrize(
    "logits,match",
    [
        ([0.0, float("nan")], "NaN"),
        ([0.0, float("inf")], r"\+inf"),
        ([-np.inf, -np.inf], "finite"),
        ([], "non-empty"),
        ([[0.0, 1.0]], "1-D"),
    ],
)
def test_invalid_logits(logits, match):
    with pytest.raises(ValueError, match=match):
        sample(np.array(logits, dtype=np.float64), rng=0)


def test_numpy_scalars_are_accepted():
    out = sample(np.array([0.0, 1.0]), temperature=np.float32(0.5), top_k=np.int64(1), top_p=np.float64(0.9), rng=0)
    assert out["token"] == 1


def test_entropy():
    assert entropy(np.full(4, 0.25)) == pytest.approx(math.log(4))
    assert entropy(np.full(4, 0.25), base=2) == pytest.approx(2.0)
    assert entropy(np.array([1.0, 0.0, 0.0])) == 0.0
    np.testing.assert_allclose(entropy(np.array([[0.5, 0.5], [1.0, 0.0]])), [math.log(2), 0.0])


def stable_rank_top_p(probs, top_p):
    """The nucleus by its definition: rank every token (ties: higher id first), keep while the mass above < top_p."""
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], -i))
    keep, mass = np.zeros(len(probs), dtype=bool), 0.0
    for rank, i in enumerate(order):
        if rank == 0 or mass < top_p:
            keep[i] = True
        mass += probs[i]
    return keep


@pytest.mark.parametrize("seed", range(40))
def test_top_p_matches_a_stable_ranking_with_ties(seed):
    rng = np.random.default_rng(seed)
    values = rng.choice([0.05, 0.1, 0.2, 0.3], size=int(rng.integers(1, 30)))  # many exact ties
    probs = values / values.sum()
    for top_p in [0.0, 0.05, 0.3, 0.5, 0.77, 0.95, 0.999]:
        assert top_p_mask(probs, top_p).tolist() == stable_rank_top_p(probs, top_p).tolist()


@pytest.mark.parametrize("seed", range(20))
def test_top_p_ties_match_transformers_algorithm(seed):
    rng = np.random.default_rng(seed)
    logits = rng.choice([0.0, 0.5, 1.0, 2.0], size=int(rng.integers(2, 40)))  # many exact ties
    for top_p in [0.05, 0.3, 0.5, 0.77, 0.95]:
        kept = sample(logits, top_p=top_p, rng=0)["kept"]
        np.testing.assert_array_equal(kept, reference_kept(logits, 1.0, 0, top_p, 0.0), err_msg=str(top_p))


def test_top_p_against_transformers_warper_where_installed(monkeypatch):
    torch = pytest.importorskip("torch", reason="torch is not installed (not a Glassbox dependency)")
    logits_process = pytest.importorskip(
        "transformers.generation.logits_process", reason="transformers is not installed (not a Glassbox dependency)"
    )

    def transformers_kept(logits, top_p):
        scores = torch.tensor(np.asarray(logits)[None], dtype=torch.float64)  # [1, n_vocab]
        return np.isfinite(logits_process.TopPLogitsWarper(top_p)(None, scores)[0].numpy())

    rng = np.random.default_rng(7)
    for _ in range(200):  # no ties: the warper as it is
        logits = rng.normal(0, 3, size=int(rng.integers(2, 300)))
        top_p = float(rng.choice([0.1, 0.5, 0.9, 0.95]))
        np.testing.assert_array_equal(top_p_mask(sampling.softmax(logits), top_p), transformers_kept(logits, top_p))
    # ties: the warper with its torch.sort made stable (unstable, a long vector's ties come back shuffled)
    unstable_sort = torch.sort
    monkeypatch.setattr(torch, "sort", lambda *args, **kwargs: unstable_sort(*args, **kwargs, stable=True))
    for _ in range(200):
        logits = rng.choice([0.0, 0.5, 1.0, 2.0], size=int(rng.integers(2, 300)))
        top_p = float(rng.choice([0.05, 0.3, 0.5, 0.77, 0.95]))
        np.testing.assert_array_equal(top_p_mask(sampling.softmax(logits), top_p), transformers_kept(logits, top_p))
    assert transformers_kept(np.log([0.25, 0.25, 0.5]), 0.6).tolist() == [False, True, True]


@pytest.mark.parametrize("seed", range(20))
def test_top_tokens_is_the_head_of_a_stable_argsort(seed):
    from llm_core.sampling import top_tokens

    rng = np.random.default_rng(seed)
    probs = rng.choice([0.0, 0.1, 0.2, 0.5], size=int(rng.integers(1, 50)))  # many ties
    for n in [0, 1, 3, 5, 60]:
        assert top_tokens(probs, n).tolist() == np.argsort(-probs, kind="stable")[:n].tolist()
