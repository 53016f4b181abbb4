"""llm_core.checkpoints: group-wise codes computed from the fp16 scales that are stored, by hand."""

import numpy as np
import pytest

from llm_core.checkpoints import dequantize_groups, quantize_groups

RNG = np.random.default_rng(13)


@pytest.mark.parametrize("bits", [8, 4])
def test_codes_come_from_the_stored_fp16_scales(bits):
    w = RNG.normal(0, 0.02, size=(16, 64)).astype(np.float32)
    q, scales = quantize_groups(w, bits, 32)
    qmax = 2 ** (bits - 1) - 1
    groups = w.reshape(16, 2, 32)  # [16, 64] -> [16, n_g, 32]
    assert scales.dtype == np.float16
    np.testing.assert_array_equal(scales, (np.abs(groups).max(axis=-1) / qmax).astype(np.float16))
    # round(w / s) with s the fp16 scale the file keeps, so dequantization undoes exactly this rounding
    stored = scales.astype(np.float32)[..., None]  # [16, n_g] -> [16, n_g, 1]
    expected = np.clip(np.round(groups / stored), -qmax, qmax).reshape(16, 64)
    np.testing.assert_array_equal(q, expected)
    # hence every value is within half a step of its reconstruction (plus a clip of the group's largest
    # value where the scale rounded down, less than qmax fp16 units in the last place of the scale)
    error = np.abs(dequantize_groups(q, scales) - w).reshape(16, 2, 32)
    assert np.all(error <= stored / 2 + qmax * stored * 2**-11)


def test_a_code_that_unrounded_scales_would_get_wrong():
    # group max 127 * 0.0101: the exact scale is 0.0101, the fp16 one stored 0.010101318...; a value
    # 100.495 fp16 steps is code 100 under the stored scale, but 100.508 exact steps (code 101) under
    # the exact one, which would put it 1.01 steps from its reconstruction
    exact = np.float32(0.0101)
    stored = np.float32(np.float16(exact))
    w = np.array([[127 * exact, 100.495 * stored, -100.495 * stored, 0.0]], dtype=np.float32)
    q, scales = quantize_groups(w, 8, 4)
    assert np.float32(scales[0, 0]) == stored != exact
    assert q.tolist() == [[127, 100, -100, 0]]
