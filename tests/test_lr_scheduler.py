"""coursekit.optim.lr_scheduler against torch.optim.lr_scheduler: the same lr sequences."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import optim
from coursekit.optim import lr_scheduler

EPOCHS = 60
RTOL = 1e-12


def torch_optimizer(name: str, **kwargs) -> torch.optim.Optimizer:
    return getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))], **kwargs)


def sequences(name, kwargs, steps=EPOCHS, opt="SGD", opt_kwargs=None, momentum=False):
    """The lr (and momentum / β₁) after construction and after each of ``steps`` steps."""
    opt_kwargs = dict(lr=0.1, momentum=0.9) if opt_kwargs is None else opt_kwargs
    ours_opt = getattr(optim, opt)(**opt_kwargs)
    theirs_opt = torch_optimizer(opt, **opt_kwargs)
    ours = getattr(lr_scheduler, name)(ours_opt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns when sched.step() precedes opt.step()
        theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs)
        ours_lr, theirs_lr = [ours_opt.lr], [theirs_opt.param_groups[0]["lr"]]
        ours_m, theirs_m = [momentum_of(ours_opt)], [momentum_of(theirs_opt.param_groups[0])]
        for _ in range(steps):
            ours.step()
            theirs.step()
            assert ours.get_last_lr() == [ours_opt.lr]
            ours_lr.append(ours_opt.lr)
            theirs_lr.append(theirs.get_last_lr()[0])
            ours_m.append(momentum_of(ours_opt))
            theirs_m.append(momentum_of(theirs_opt.param_groups[0]))
    if momentum:
        return np.array(ours_lr), np.array(theirs_lr), np.array(ours_m), np.array(theirs_m)
    return np.array(ours_lr), np.array(theirs_lr)


def momentum_of(opt) -> float:
    get = opt.get if isinstance(opt, dict) else lambda k: getattr(opt, k, None)
    return get("betas")[0] if get("betas") is not None else get("momentum")


def inverse_time_decay(t):
    return 1.0 / (1.0 + 0.1 * t)


def sawtooth_decay(t):
    return 0.95**t * (t % 3 + 1)


def case_id(value) -> str:
    """A test id that is the same in every process (pytest-xdist compares them): functions
    by name, not by their memory address."""
    return re.sub(r"<function (\w+) at 0x[0-9a-f]+>", r"\1", str(value))


CASES = [
    ("StepLR", dict(step_size=7)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("MultiStepLR", dict(milestones=[5, 20, 20, 41], gamma=0.5)),
    ("MultiStepLR", dict(milestones=[30, 10])),
    ("ExponentialLR", dict(gamma=0.93)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.05, end_factor=0.5, total_iters=25)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=EPOCHS)),
    ("CosineAnnealingLR", dict(T_max=EPOCHS)),
    ("CosineAnnealingLR", dict(T_max=17, eta_min=0.01)),  # runs past T_max: the lr comes back
    ("LambdaLR", dict(lr_lambda=inverse_time_decay)),
    ("LambdaLR", dict(lr_lambda=[sawtooth_decay])),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=EPOCHS)),
    ("OneCycleLR", dict(max_lr=[0.3], epochs=6, steps_per_epoch=10, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=EPOCHS, three_phase=True, pct_start=0.25)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=EPOCHS, cycle_momentum=False, div_factor=10.0)),
]


def assert_same_schedule(name, ours, theirs, kwargs, rtol=RTOL):
    """Equal lrs; for OneCycleLR all the lrs a step uses (t < N; see its docstring for t = N)."""
    if name == "OneCycleLR":
        ours, theirs = ours[:-1], theirs[:-1]
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-15)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=case_id)
def test_lr_sequence_matches_torch(name, kwargs):
    ours, theirs = sequences(name, kwargs)
    assert_same_schedule(name, ours, theirs, kwargs)


@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
def test_one_cycle_ends_at_min_lr_where_torch_extrapolates(anneal_strategy):
    kwargs = dict(max_lr=1.0, total_steps=EPOCHS, anneal_strategy=anneal_strategy)
    ours, theirs = sequences("OneCycleLR", kwargs)
    min_lr = 1.0 / 25.0 / 1e4
    assert ours[-1] == pytest.approx(min_lr, rel=1e-9)
    np.testing.assert_allclose(ours[-2], theirs[-2], rtol=RTOL)
    if anneal_strategy == "linear":
        assert theirs[-1] < 0  # torch's lr after the last step; never used by a step


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize(
    ("opt", "opt_kwargs"),
    [("SGD", dict(lr=0.1)), ("Adam", dict(lr=0.1)), ("RMSprop", dict(lr=0.1)), ("NAdam", dict())],
)
def test_one_cycle_cycles_momentum_or_beta1_like_torch(opt, opt_kwargs, three_phase):
    kwargs = dict(max_lr=0.4, total_steps=EPOCHS, three_phase=three_phase)
    lr, lr_torch, m, m_torch = sequences(
        "OneCycleLR", kwargs, opt=opt, opt_kwargs=opt_kwargs, momentum=True
    )
    np.testing.assert_allclose(lr[:-1], lr_torch[:-1], rtol=RTOL)
    np.testing.assert_allclose(m[:-1], m_torch[:-1], rtol=RTOL)


def test_one_cycle_refuses_to_step_past_total_steps_like_torch():
    sched = lr_scheduler.OneCycleLR(optim.SGD(), max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="total_steps=3"):
        sched.step()


def test_one_cycle_needs_momentum_or_betas_to_cycle():
    with pytest.raises(ValueError, match="cycle_momentum"):
        lr_scheduler.OneCycleLR(optim.Adagrad(), max_lr=0.1, total_steps=10)
    lr_scheduler.OneCycleLR(optim.Adagrad(), max_lr=0.1, total_steps=10, cycle_momentum=False)


def test_a_scheduled_sgd_run_matches_torch_step_for_step():
    x, g = np.array([1.0, -2.0]), lambda x: np.tanh(x) + 0.1 * x**3
    ours_opt = optim.SGD(lr=0.3, momentum=0.9)
    ours = lr_scheduler.CosineAnnealingLR(ours_opt, T_max=20, eta_min=0.01)
    p = torch.nn.Parameter(torch.tensor(x.copy()))
    theirs_opt = torch.optim.SGD([p], lr=0.3, momentum=0.9)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(theirs_opt, T_max=20, eta_min=0.01)
    for _ in range(30):
        ours_opt.step(x, g(x))
        ours.step()
        p.grad = torch.from_numpy(g(p.detach().numpy().copy()))
        theirs_opt.step()
        theirs.step()
    np.testing.assert_allclose(x, p.detach().numpy(), rtol=1e-10)


def test_a_second_scheduler_starts_from_the_first_learning_rate_like_torch():
    opt = optim.SGD(lr=0.5)
    lr_scheduler.LinearLR(opt, start_factor=0.1)
    assert opt.lr == pytest.approx(0.05)
    assert lr_scheduler.StepLR(opt, step_size=3).base_lr == 0.5


def test_state_dict_resumes_the_schedule():
    opt = optim.Adam(lr=0.2)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        sched.step()
    saved = sched.state_dict()
    expected = [sched.step() or opt.lr for _ in range(3)]
    other = optim.Adam(lr=0.2)
    resumed = lr_scheduler.CosineAnnealingLR(other, T_max=10)
    resumed.load_state_dict(saved)
    assert [resumed.step() or other.lr for _ in range(3)] == expected


BAD = [
    ("StepLR", dict(step_size=0), "step_size"),
    ("StepLR", dict(step_size=2.5), "step_size"),
    ("StepLR", dict(step_size=3, gamma=-0.1), "gamma"),
    ("MultiStepLR", dict(milestones=[1.5]), "milestones"),
    ("ExponentialLR", dict(gamma=float("nan")), "gamma"),
    ("LinearLR", dict(start_factor=0.0), "start_factor"),
    ("LinearLR", dict(end_factor=1.5), "end_factor"),
    ("LinearLR", dict(total_iters=0), "total_iters"),
    ("CosineAnnealingLR", dict(T_max=0), "T_max"),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=-1.0), "eta_min"),
    ("LambdaLR", dict(lr_lambda=0.5), "lr_lambda"),
    ("LambdaLR", dict(lr_lambda=[abs, abs]), "lr_lambda"),
    ("OneCycleLR", dict(max_lr=0.1), "total_steps"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=0), "total_steps"),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=-1), "steps_per_epoch"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5), "pct_start"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="cosine"), "anneal_strategy"),
    ("OneCycleLR", dict(max_lr=-0.1, total_steps=10), "max_lr"),
]


@pytest.mark.parametrize(("name", "kwargs", "argument"), BAD, ids=case_id)
def test_bad_arguments_raise_value_error_naming_the_argument(name, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        getattr(lr_scheduler, name)(optim.SGD(momentum=0.9), **kwargs)


def test_a_schedule_that_would_make_lr_negative_raises():
    with pytest.raises(ValueError, match="lr"):
        lr_scheduler.LambdaLR(optim.SGD(), lr_lambda=lambda t: -1.0)


def test_resuming_without_an_initial_lr_raises():
    with pytest.raises(ValueError, match="last_epoch"):
        lr_scheduler.StepLR(optim.SGD(), step_size=2, last_epoch=5)


@settings(deadline=None, max_examples=30)
@given(
    data=st.data(),
    name=st.sampled_from(
        ["StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "CosineAnnealingLR", "OneCycleLR"]
    ),
)
def test_random_schedules_match_torch(data, name):
    draw = data.draw
    kwargs = {
        "StepLR": lambda: dict(step_size=draw(st.integers(1, 20)), gamma=draw(st.floats(0.1, 1))),
        "MultiStepLR": lambda: dict(
            milestones=draw(st.lists(st.integers(0, 60), max_size=5)),
            gamma=draw(st.floats(0.1, 1.0)),
        ),
        "ExponentialLR": lambda: dict(gamma=draw(st.floats(0.5, 1.0))),
        "LinearLR": lambda: dict(
            start_factor=draw(st.floats(0.01, 1.0)),
            end_factor=draw(st.floats(0.0, 1.0)),
            total_iters=draw(st.integers(1, 80)),
        ),
        "CosineAnnealingLR": lambda: dict(
            T_max=draw(st.integers(1, 80)), eta_min=draw(st.floats(0.0, 0.05))
        ),
        "OneCycleLR": lambda: dict(
            max_lr=draw(st.floats(0.01, 2.0)),
            total_steps=EPOCHS,
            pct_start=draw(st.floats(0.05, 0.45)),
            anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
            three_phase=draw(st.booleans()),
            div_factor=draw(st.floats(2.0, 100.0)),
        ),
    }[name]()
    ours, theirs = sequences(name, kwargs)
    assert_same_schedule(name, ours, theirs, kwargs, rtol=1e-11)
