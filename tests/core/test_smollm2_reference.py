"""SmolLM2-135M-Instruct in llm_core against an independent implementation of the same file.

The fixture (tests/core/fixtures/smollm2_reference.*, written by scripts/reference_smollm2.py, `make
reference`) holds what Hugging Face transformers computes from the same GGUF: it dequantizes the weights
with llama.cpp's gguf package, undoes the converter's q/k permutation its own way, and runs its own Llama
in torch float32. Nothing of llm_core is involved there.

Tolerance. Both sides dequantize to identical float32 weights (Q4_1/Q8_0 values are exact in float32)
and differ only in the order float32 sums are taken (BLAS blocking, fused kernels, torch's SDPA). Each
logit is the end of 30 layers of such sums; the rounding of a d-term float32 dot product is about
sqrt(d) * 2^-24 of its size, and the residual stream carries it through every layer. Measured: llm_core
agrees with the fixture to 1.2e-6..2.3e-6 of the largest logit on the six prompts, and the reference
disagrees with itself by up to 1.5e-6 between 1 and 2 threads (the fixture's json). The tolerance is 1e-4
of the prompt's largest logit: well above what summation order does (on any BLAS, or none, as in the
browser), and far below what a real mistake does (q/k rows in the wrong RoPE layout move logits by a
large fraction of the largest one; a test below checks that this mistake is caught).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from llm_core import gguf
from llm_core.model import forward
from llm_core.generation import generate

FIXTURES = Path(__file__).parent / "fixtures"
REL_TO_MAX_LOGIT = 1e-4


@pytest.fixture(scope="module")
def reference():
    meta = json.loads((FIXTURES / "smollm2_reference.json").read_text())
    with np.load(FIXTURES / "smollm2_reference.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    return meta, arrays


@pytest.fixture(scope="module")
def smollm2(smollm2_gguf):
    return gguf.load_gguf(smollm2_gguf)


def relative_error(got, expected):  # [..., n_vocab] x 2 -> float: max |difference| / max |expected|
    return float(np.abs(got.astype(np.float64) - expected).max() / np.abs(expected).max())


def test_fixture_is_of_this_file(reference):
    from sitebuild.smollm2 import FILE_SHA256

    meta, _ = reference
    assert meta["model_file"]["sha256"] == FILE_SHA256


@pytest.mark.parametrize("prompt", ["france", "chat", "paragraph", "code", "german", "digits"])
def test_last_position_logits_match_transformers(smollm2, reference, prompt):
    _, arrays = reference
    logits, _ = forward(smollm2.weights, smollm2.cfg, arrays[f"ids_{prompt}"], logits_to_keep=1)
    expected = arrays[f"last_logits_{prompt}"]
    assert relative_error(logits[-1], expected) < REL_TO_MAX_LOGIT
    assert int(logits[-1].argmax()) == int(expected.argmax())


def test_every_position_matches_transformers(smollm2, reference):
    _, arrays = reference
    logits, _ = forward(smollm2.weights, smollm2.cfg, arrays["ids_france"])
    # Stored as float16 (the fixture's size budget): each stored logit is off by up to half a float16 step
    # (2^-11 of its own size, 0.0078 for a logit of 16), more than the 1e-4 of the largest logit allowed for
    # float32 summation order. So each logit is first rounded to float16 the same way, and may then differ
    # by one float16 step (a value near a rounding boundary goes either way) plus the usual tolerance.
    expected = arrays["all_logits_france"].astype(np.float64)
    step = np.spacing(np.abs(arrays["all_logits_france"])).astype(np.float64)
    got = logits.astype(np.float16).astype(np.float64)
    allowed = step + REL_TO_MAX_LOGIT * np.abs(expected).max()
    assert np.all(np.abs(got - expected) <= allowed), float(np.max(np.abs(got - expected) - allowed))


@pytest.mark.parametrize("prompt", ["france", "chat"])
def test_greedy_continuation_is_identical(smollm2, reference, prompt):
    _, arrays = reference
    out = generate(smollm2, arrays[f"ids_{prompt}"].tolist(), max_new_tokens=32, temperature=0)
    assert out["new_ids"] == arrays[f"greedy_{prompt}"].tolist()


def test_the_tolerance_catches_real_mistakes(smollm2, reference):
    """The same comparison fails for weights with the q/k rows left in the file's pair layout."""
    _, arrays = reference
    broken = dict(smollm2.weights)
    for i in range(smollm2.cfg.n_layer):  # back to the file's neighbour-pair rows, run as if they were halves
        broken[f"layers.{i}.wq"] = gguf.rope_rows_to_pairs(broken[f"layers.{i}.wq"].T, smollm2.cfg.n_head).T
        broken[f"layers.{i}.wk"] = gguf.rope_rows_to_pairs(broken[f"layers.{i}.wk"].T, smollm2.cfg.n_kv_head).T
    logits, _ = forward(broken, smollm2.cfg, arrays["ids_paragraph"], logits_to_keep=1)
    assert relative_error(logits[-1], arrays["last_logits_paragraph"]) > 10 * REL_TO_MAX_LOGIT
