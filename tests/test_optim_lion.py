"""coursekit.optim.Lion against the lion-pytorch package: float64 trajectories, rtol 1e-10."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lion_pytorch import Lion as ReferenceLion

from coursekit import optim
from tests.test_optim import (
    assert_matches_torch,
    grid,
    noisy_gradient,
    our_trajectory,
    start_points,
    torch_float64_scalars,  # noqa: F401 (autouse: float64 in torch)
    torch_trajectory,
)

LION_CASES = grid(
    lr=[0.01],
    betas=[(0.9, 0.99), (0.5, 0.8), (0.0, 0.0)],
    weight_decay=[0.0, 0.3],
    decoupled_weight_decay=[False, True],
)


@pytest.mark.parametrize("kwargs", LION_CASES, ids=str)
def test_lion_matches_lion_pytorch_for_every_option_combination(kwargs):
    assert_matches_torch(optim.Lion(**kwargs), ReferenceLion, kwargs)


def test_lion_decoupled_decay_follows_a_changed_lr_as_lion_pytorch_does():
    """Decoupled: decay α·λ/α₀, with α₀ the lr at construction, also after the lr changes."""
    kwargs = dict(lr=0.02, weight_decay=0.5, decoupled_weight_decay=True)
    x0s, lrs = start_points(), np.linspace(0.02, 0.002, 100)
    grad = noisy_gradient()
    expected = torch_trajectory(ReferenceLion, kwargs, x0s, grad, lrs=lrs)
    actual = our_trajectory(optim.Lion(**kwargs), x0s, grad, lrs=lrs)
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-14)


def test_lion_moves_every_coordinate_by_exactly_lr():
    x, g = np.array([1.0, -2.0, 3.0]), np.array([1e-9, -5.0, 0.0])
    optim.Lion(lr=0.1).step(x, g)
    np.testing.assert_array_equal(x, [0.9, -1.9, 3.0])


def test_lion_defaults_match_lion_pytorch():
    theirs = ReferenceLion([torch.zeros(1)])
    ours = optim.Lion()
    for name in ("lr", "betas", "weight_decay"):
        assert tuple(np.atleast_1d(getattr(ours, name))) == tuple(
            np.atleast_1d(theirs.defaults[name])), name
    assert ours.decoupled_weight_decay == theirs.decoupled_wd


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-1.0), "lr"), (dict(betas=(0.9, 1.5)), r"betas\[1\]"),
    (dict(weight_decay=float("nan")), "weight_decay"),
    (dict(lr=0.0, weight_decay=0.1, decoupled_weight_decay=True), "initial lr"),
    (dict(decoupled_weight_decay="yes"), "decoupled_weight_decay"),
])
def test_lion_rejects_bad_hyperparameters_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Lion(**kwargs)
