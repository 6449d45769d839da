"""clip_grad_norm / clip_grad_value against torch.nn.utils.clip_grad_norm_ / clip_grad_value_."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coursekit.optim import clip_grad_norm, clip_grad_value

SHAPES = [(3,), (2, 4), (), (5, 1, 2)]


def grads(scale: float, dtype=np.float64, shapes=SHAPES, seed=0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.asarray(scale * rng.standard_normal(s), dtype=dtype) for s in shapes]


def torch_clip_norm(arrays, max_norm, norm_type):
    params = [torch.nn.Parameter(torch.zeros(a.shape, dtype=torch.from_numpy(a).dtype))
              for a in arrays]  # fmt: skip
    for p, a in zip(params, arrays, strict=True):
        p.grad = torch.from_numpy(a.copy())
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return float(total), [p.grad.numpy() for p in params]


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.5, float("inf")])
@pytest.mark.parametrize("scale", [0.01, 10.0], ids=["below", "above"])
def test_clip_grad_norm_matches_torch(norm_type, scale):
    ours = grads(scale)
    expected_total, expected = torch_clip_norm(ours, max_norm=1.0, norm_type=norm_type)
    total = clip_grad_norm(ours, 1.0, norm_type=norm_type)
    assert total == pytest.approx(expected_total, rel=1e-12)
    for a, b in zip(ours, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)


def test_clip_grad_norm_matches_torch_in_float32():
    ours = grads(10.0, dtype=np.float32)
    expected_total, expected = torch_clip_norm(ours, max_norm=2.0, norm_type=2.0)
    total = clip_grad_norm(ours, 2.0)
    assert total == pytest.approx(expected_total, rel=1e-6)
    for a, b in zip(ours, expected, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_clip_grad_norm_on_a_single_array_rescales_to_max_norm():
    g = np.array([3.0, 4.0])
    assert clip_grad_norm(g, 1.0) == 5.0
    np.testing.assert_allclose(g, np.array([3.0, 4.0]) / (5.0 + 1e-6))


def test_clip_grad_norm_of_inf_zeroes_finite_entries_like_torch():
    ours = [np.array([np.inf, 1.0]), np.array([2.0])]
    expected_total, expected = torch_clip_norm(ours, 1.0, 2.0)
    assert clip_grad_norm(ours, 1.0) == expected_total == np.inf
    for a, b in zip(ours, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_clip_grad_norm_with_error_if_nonfinite_raises():
    with pytest.raises(ValueError, match="not finite"):
        clip_grad_norm([np.array([np.nan, 1.0])], 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize(
    ("grads_arg", "kwargs", "argument"),
    [
        ([np.zeros(2)], dict(max_norm=-1.0), "max_norm"),
        ([np.zeros(2)], dict(max_norm=float("nan")), "max_norm"),
        ([np.zeros(2)], dict(max_norm=1.0, norm_type=0.0), "norm_type"),
        ([np.zeros(2)], dict(max_norm=1.0, norm_type=-2.0), "norm_type"),
        ([np.zeros(2, dtype=int)], dict(max_norm=1.0), r"grads\[0\].*int64"),
        ([[1.0, 2.0]], dict(max_norm=1.0), r"grads\[0\].*list"),
    ],
    ids=str,
)
def test_clip_grad_norm_bad_input_raises(grads_arg, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        clip_grad_norm(grads_arg, **kwargs)


def test_clip_grad_value_matches_torch():
    ours = grads(3.0)
    params = [torch.nn.Parameter(torch.zeros(a.shape, dtype=torch.float64)) for a in ours]
    for p, a in zip(params, ours, strict=True):
        p.grad = torch.from_numpy(a.copy())
    torch.nn.utils.clip_grad_value_(params, 1.5)
    assert clip_grad_value(ours, 1.5) is None
    for a, p in zip(ours, params, strict=True):
        np.testing.assert_array_equal(a, p.grad.numpy())


def test_clip_grad_value_bad_input_raises():
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value([np.zeros(2)], -1.0)
    with pytest.raises(ValueError, match="int64"):
        clip_grad_value(np.zeros(2, dtype=int), 1.0)


@settings(deadline=None, max_examples=40)
@given(
    shapes=st.lists(st.lists(st.integers(0, 4), max_size=3).map(tuple), min_size=1, max_size=4),
    scale=st.floats(1e-3, 1e3),
    max_norm=st.floats(0.0, 10.0),
    norm_type=st.sampled_from([1.0, 1.5, 2.0, 4.0, float("inf")]),
)
def test_clip_grad_norm_matches_torch_for_random_shapes_and_norms(
    shapes, scale, max_norm, norm_type
):
    ours = grads(scale, shapes=shapes)
    # torch refuses the inf-norm of an empty array; ours counts it as 0
    assume(norm_type != float("inf") or all(a.size for a in ours))
    expected_total, expected = torch_clip_norm(ours, max_norm, norm_type)
    total = clip_grad_norm(ours, max_norm, norm_type=norm_type)
    assert total == pytest.approx(expected_total, rel=1e-12, abs=1e-300)
    for a, b in zip(ours, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
