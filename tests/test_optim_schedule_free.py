"""Schedule-Free SGD/AdamW against the schedulefree package: float64, rtol 1e-10.

Both the training iterates y (where gradients are taken) and the averages x (what eval()
puts in the parameters) are compared, over mixed shapes and every option that changes the math.
"""

from __future__ import annotations

import numpy as np
import pytest
import schedulefree
import torch

from coursekit import optim
from tests.test_optim import (  # torch_float64_scalars: autouse, float64 in torch
    grid,
    noisy_gradient,
    start_points,
    torch_float64_scalars,  # noqa: F401
)

STEPS = 60
RTOL = 1e-10


def both_trajectories(ours, cls, kwargs, eval_every=7):
    """(ours, theirs): per step the concatenated y, and x every ``eval_every`` steps (taken by
    switching to eval mode and back, so the switch itself is exercised)."""
    x0s, grad = start_points(), noisy_gradient()
    ps = [torch.nn.Parameter(torch.tensor(x)) for x in x0s]
    theirs = cls(ps, **kwargs)
    theirs.train()
    xs = [x.copy() for x in x0s]
    a, b = [], []
    for k in range(STEPS):
        for i, p in enumerate(ps):
            p.grad = torch.from_numpy(grad(k, i, p.detach().numpy().copy()))
        theirs.step()
        ours.step(xs, [grad(k, i, x) for i, x in enumerate(xs)])
        b.append(np.concatenate([p.detach().numpy().ravel() for p in ps]))
        a.append(np.concatenate([x.ravel() for x in xs]))
        if k % eval_every == eval_every - 1:
            theirs.eval()
            ours.eval(xs)
            b.append(np.concatenate([p.detach().numpy().ravel() for p in ps]))
            a.append(np.concatenate([x.ravel() for x in xs]))
            theirs.train()
            ours.train(xs)
    return np.array(a), np.array(b)


SGD_CASES = grid(lr=[0.1], momentum=[0.9, 0.5], weight_decay=[0.0, 0.2],
                 warmup_steps=[0, 10], r=[0.0, 1.5], weight_lr_power=[2.0, 0.0])
ADAMW_CASES = grid(lr=[0.05], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.2],
                   warmup_steps=[0, 10], r=[0.0, 1.5], weight_lr_power=[2.0, 0.0],
                   decay_at_z=[False, True])


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=str)
def test_sgd_schedule_free_matches_the_reference_in_y_and_x(kwargs):
    ours, theirs = both_trajectories(optim.SGDScheduleFree(**kwargs),
                                     schedulefree.SGDScheduleFreeReference, kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize("kwargs", ADAMW_CASES, ids=str)
def test_adamw_schedule_free_matches_the_reference_in_y_and_x(kwargs):
    ours, theirs = both_trajectories(optim.AdamWScheduleFree(**kwargs),
                                     schedulefree.AdamWScheduleFreeReference, kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize("ours, cls, kwargs", [
    (optim.SGDScheduleFree, schedulefree.SGDScheduleFree,
     dict(lr=0.1, weight_decay=0.2, warmup_steps=10, r=1.0)),
    (optim.AdamWScheduleFree, schedulefree.AdamWScheduleFree,
     dict(lr=0.05, weight_decay=0.2, warmup_steps=10, r=1.0)),
], ids=["SGD", "AdamW"])
def test_schedule_free_matches_the_packages_memory_saving_classes_too(ours, cls, kwargs):
    a, b = both_trajectories(ours(**kwargs), cls, dict(kwargs, foreach=False))
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_with_r_zero_and_no_warmup_x_is_the_plain_mean_of_the_z_iterates():
    opt, y = optim.SGDScheduleFree(lr=0.1, momentum=0.5), np.array([1.0, -1.0])
    zs = []
    for k in range(5):
        opt.step(y, np.array([1.0, 2.0]) * (k + 1))
        zs.append(opt.state[0]["z"].copy())
    np.testing.assert_allclose(opt.eval_params()[0], np.mean(zs, axis=0), rtol=1e-14)


def test_step_in_eval_mode_is_refused_and_train_restores_y():
    opt, y = optim.AdamWScheduleFree(lr=0.1), np.array([1.0, 2.0])
    opt.step(y, np.array([0.3, -0.1]))
    opt.step(y, np.array([0.2, 0.4]))
    y_train = y.copy()
    opt.eval(y)
    np.testing.assert_array_equal(y, opt.eval_params()[0])
    with pytest.raises(ValueError, match="eval mode"):
        opt.step(y, np.array([0.1, 0.1]))
    opt.train(y)
    np.testing.assert_allclose(y, y_train, rtol=1e-15)


@pytest.mark.parametrize("cls, kwargs, message", [
    (optim.SGDScheduleFree, dict(momentum=0.0), "momentum"),
    (optim.SGDScheduleFree, dict(momentum=1.0), "momentum"),
    (optim.SGDScheduleFree, dict(warmup_steps=2.5), "warmup_steps"),
    (optim.SGDScheduleFree, dict(warmup_steps=-1), "warmup_steps"),
    (optim.SGDScheduleFree, dict(r=float("inf")), "r"),
    (optim.AdamWScheduleFree, dict(betas=(1.0, 0.9)), r"betas\[0\]"),
    (optim.AdamWScheduleFree, dict(weight_lr_power=-2), "weight_lr_power"),
    (optim.AdamWScheduleFree, dict(lr=-0.1), "lr"),
])
def test_schedule_free_rejects_bad_hyperparameters_naming_them(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)
