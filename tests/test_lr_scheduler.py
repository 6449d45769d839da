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


def halving(x):
    return 0.5**x


def slow_decay(x):
    return 1.0 / (1.0 + 0.05 * x)


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
    ("ConstantLR", dict()),
    ("ConstantLR", dict(factor=0.05, total_iters=23)),
    ("PolynomialLR", dict()),
    ("PolynomialLR", dict(total_iters=40, power=2.5)),  # reaches 0 at 40, stays there
    ("PolynomialLR", dict(total_iters=EPOCHS + 10, power=0.5)),
    ("CosineAnnealingWarmRestarts", dict(T_0=7)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts", dict(T_0=1, T_mult=3)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=7)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=9)),
    ("CyclicLR", dict(base_lr=0.0, max_lr=1.0, step_size_up=5, mode="triangular2")),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.5, step_size_up=6, mode="exp_range", gamma=0.97)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.5, step_size_up=6, scale_fn=halving)),
    (
        "CyclicLR",
        dict(
            base_lr=0.01, max_lr=0.5, step_size_up=6, scale_fn=slow_decay, scale_mode="iterations"
        ),
    ),
    ("CyclicLR", dict(base_lr=0.02, max_lr=0.2, step_size_up=3, cycle_momentum=False)),
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


# --- CyclicLR: momentum (or β₁) cycles against the lr, as in torch ---------------------------


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
@pytest.mark.parametrize(
    ("opt", "opt_kwargs"),
    [
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("Adam", dict(lr=0.1)),
        ("AdamW", dict(lr=0.1)),
        ("RMSprop", dict(lr=0.1)),
        ("NAdam", dict()),
    ],
)
def test_cyclic_lr_cycles_momentum_or_beta1_like_torch(opt, opt_kwargs, mode):
    kwargs = dict(base_lr=0.01, max_lr=0.3, step_size_up=5, step_size_down=8, mode=mode,
                  gamma=0.98, base_momentum=0.7, max_momentum=0.95)  # fmt: skip
    lr, lr_torch, m, m_torch = sequences(
        "CyclicLR", kwargs, opt=opt, opt_kwargs=opt_kwargs, momentum=True
    )
    np.testing.assert_allclose(lr, lr_torch, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(m, m_torch, rtol=RTOL, atol=1e-15)
    assert m.min() < 0.75 and m.max() == 0.95  # the momentum really cycled


def test_cyclic_lr_needs_momentum_or_betas_to_cycle():
    with pytest.raises(ValueError, match="cycle_momentum"):
        lr_scheduler.CyclicLR(optim.Adagrad(), base_lr=0.01, max_lr=0.1)
    lr_scheduler.CyclicLR(optim.Adagrad(), base_lr=0.01, max_lr=0.1, cycle_momentum=False)


def test_a_schedule_after_cyclic_lr_starts_from_its_base_lr_like_torch():
    ours_opt, theirs_opt = optim.SGD(lr=0.5, momentum=0.9), torch_optimizer("SGD", lr=0.5)
    lr_scheduler.CyclicLR(ours_opt, base_lr=0.02, max_lr=0.2)
    torch.optim.lr_scheduler.CyclicLR(theirs_opt, base_lr=0.02, max_lr=0.2)
    ours = lr_scheduler.StepLR(ours_opt, step_size=3)
    theirs = torch.optim.lr_scheduler.StepLR(theirs_opt, step_size=3)
    assert ours.base_lrs == theirs.base_lrs == [0.02]


# --- CosineAnnealingWarmRestarts: epochs passed to step, fractional ones too -----------------


def warm_restarts(T_0, T_mult):
    ours_opt, theirs_opt = optim.SGD(lr=0.5), torch_optimizer("SGD", lr=0.5)
    kwargs = dict(T_0=T_0, T_mult=T_mult, eta_min=0.02)
    ours = lr_scheduler.CosineAnnealingWarmRestarts(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs_opt, **kwargs)
    return ours_opt, ours, theirs_opt, theirs


@pytest.mark.parametrize(("T_0", "T_mult"), [(4, 1), (3, 2), (2, 3)])
def test_warm_restarts_with_fractional_epochs_match_torch(T_0, T_mult):
    ours_opt, ours, theirs_opt, theirs = warm_restarts(T_0, T_mult)
    batches = 7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates step(epoch) but keeps it for SGDR
        for epoch in range(30):
            for i in range(batches):
                ours.step(epoch + i / batches)
                theirs.step(epoch + i / batches)
                assert ours_opt.lr == pytest.approx(theirs_opt.param_groups[0]["lr"], rel=RTOL)
                assert ours.last_epoch == theirs.last_epoch


def test_warm_restarts_step_after_an_epoch_jump_moves_on_by_one_like_torch():
    ours_opt, ours, theirs_opt, theirs = warm_restarts(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for step in [None, 26, None, None, 2.5, None, 0, None, 9.75, None, None]:
            ours.step(step)
            theirs.step(step)
            assert ours_opt.lr == pytest.approx(theirs_opt.param_groups[0]["lr"], rel=RTOL)
            assert ours.last_epoch == theirs.last_epoch


def test_warm_restarts_step_epoch_restarts_exactly_where_torch_rounds_its_logarithm():
    """torch's step(121) with T_0=1, T_mult=3 computes the cycle as ⌊log₃ 243⌋ = 4 (the float
    log is 4.999…), so it sits at η; its own step() sequence restarts there at α₀, as do ours."""
    ours_opt, ours, theirs_opt, theirs = warm_restarts(1, 3)
    for _ in range(121):
        theirs.step()
    assert theirs_opt.param_groups[0]["lr"] == pytest.approx(0.5)  # torch's step(): a restart
    ours.step(121)
    assert ours_opt.lr == pytest.approx(0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.step(121)
    assert theirs_opt.param_groups[0]["lr"] == pytest.approx(0.02)  # torch's step(epoch): η


def test_warm_restarts_refuses_a_negative_epoch():
    sched = lr_scheduler.CosineAnnealingWarmRestarts(optim.SGD(), T_0=3)
    with pytest.raises(ValueError, match="epoch"):
        sched.step(-1)


# --- ReduceLROnPlateau -----------------------------------------------------------------------


def plateau_metric() -> np.ndarray:
    """A validation loss for 80 epochs: a fast fall, a creep by 5e-6 per epoch (an improvement
    only for a small absolute threshold), a drop, a flat stretch with a spike and a NaN, a
    slow decline by 2e-3 per epoch (an improvement only for a small threshold)."""
    fall = 0.3 + 0.8 ** np.arange(15)
    creep = fall[-1] - 5e-6 * np.arange(1, 21)
    flat = np.full(25, creep[-1] - 0.05)
    flat[[5, 15]] = 2.0, np.nan
    decline = flat[0] - 2e-3 * np.arange(1, 21)
    return np.concatenate([fall, creep, flat, decline])


def plateau_lrs(kwargs, metric, opt="SGD", opt_kwargs=None):
    opt_kwargs = dict(lr=0.1, momentum=0.9) if opt_kwargs is None else opt_kwargs
    ours_opt, theirs_opt = getattr(optim, opt)(**opt_kwargs), torch_optimizer(opt, **opt_kwargs)
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kwargs)
    ours_lr, theirs_lr = [ours_opt.lr], [theirs_opt.param_groups[0]["lr"]]
    for value in metric:
        ours.step(value)
        theirs.step(value)
        assert ours.get_last_lr() == [ours_opt.lr]
        ours_lr.append(ours_opt.lr)
        theirs_lr.append(theirs.get_last_lr()[0])
    return np.array(ours_lr), np.array(theirs_lr)


PLATEAU_DEFAULT = dict(patience=3)
PLATEAU_CASES = [
    dict(patience=3),
    dict(patience=0),
    dict(patience=3, factor=0.5),
    dict(patience=3, threshold=1e-6, threshold_mode="abs"),
    dict(patience=3, threshold=0.05),
    dict(patience=3, threshold=0.05, threshold_mode="abs"),
    dict(patience=2, cooldown=4),
    dict(patience=1, min_lr=0.004),
    dict(patience=1, factor=0.5, min_lr=0.04),
    dict(patience=1, factor=0.5, min_lr=0.04, eps=0.015),  # skips the cut 0.05 → 0.04
    dict(patience=3, min_lr=[0.001]),
    dict(mode="max", patience=3),
    dict(mode="max", patience=3, threshold=0.05),
    dict(mode="max", patience=2, threshold=1e-6, threshold_mode="abs", cooldown=2),
]


@pytest.mark.parametrize("kwargs", PLATEAU_CASES, ids=case_id)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    metric = plateau_metric()
    if kwargs.get("mode") == "max":
        metric = 1.0 - metric  # an accuracy-like metric that rises, then stalls
    ours, theirs = plateau_lrs(kwargs, metric)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-15)
    assert len(set(ours)) >= 2  # the lr was cut
    if kwargs != PLATEAU_DEFAULT and "mode" not in kwargs:
        default, _ = plateau_lrs(PLATEAU_DEFAULT, metric)
        assert not np.array_equal(ours, default)  # the option changed the sequence


def test_reduce_lr_on_plateau_skips_a_cut_smaller_than_eps_like_torch():
    with_eps, _ = plateau_lrs(
        dict(patience=1, factor=0.5, min_lr=0.04, eps=0.015), plateau_metric()
    )
    without, _ = plateau_lrs(dict(patience=1, factor=0.5, min_lr=0.04), plateau_metric())
    assert with_eps[-1] == 0.05 and without[-1] == 0.04


def test_reduce_lr_on_plateau_leaves_the_lr_alone_until_stepped():
    opt = optim.Adam(lr=0.3)
    sched = lr_scheduler.ReduceLROnPlateau(opt)
    assert opt.lr == 0.3 and sched.get_last_lr() == [0.3]


def test_reduce_lr_on_plateau_state_dict_resumes():
    metric = plateau_metric()
    opt = optim.SGD(lr=0.1)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=2, cooldown=1)
    for value in metric[:30]:
        sched.step(value)
    saved, lr = sched.state_dict(), opt.lr
    expected = [sched.step(v) or opt.lr for v in metric[30:]]
    other = optim.SGD(lr=lr)
    resumed = lr_scheduler.ReduceLROnPlateau(other)
    resumed.load_state_dict(saved)
    assert [resumed.step(v) or other.lr for v in metric[30:]] == expected


# --- SequentialLR and ChainedScheduler: compositions of schedules ----------------------------


def cyclic(L, o):
    return L.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=4, mode="triangular2")


COMPOSITIONS = {
    "warmup_then_cosine": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=40)], [5]
    ),
    "constant_then_exponential": lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, factor=0.1, total_iters=20), L.ExponentialLR(o, gamma=0.9)], [20]
    ),
    "three_phases": lambda L, o: L.SequentialLR(
        o,
        [
            L.LinearLR(o, start_factor=0.2, total_iters=8),
            L.StepLR(o, step_size=4, gamma=0.7),
            L.PolynomialLR(o, total_iters=20, power=2.0),
        ],
        [6, 25],
    ),  # fmt: skip
    "milestone_zero": lambda L, o: L.SequentialLR(
        o, [L.ExponentialLR(o, gamma=0.5), L.StepLR(o, step_size=3)], [0]
    ),
    "restarts_after_warmup": lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, factor=0.25), L.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2)], [7]
    ),
    "cyclic_after_warmup": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, total_iters=10), cyclic(L, o)], [10]
    ),
    "chain_constant_exponential": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.1, total_iters=20), L.ExponentialLR(o, gamma=0.9)]
    ),
    "chain_warmup_step_multistep": lambda L, o: L.ChainedScheduler(
        [
            L.LinearLR(o, start_factor=0.3, total_iters=9),
            L.StepLR(o, step_size=5, gamma=0.8),
            L.MultiStepLR(o, milestones=[12, 30], gamma=0.5),
        ],
        optimizer=o,
    ),  # fmt: skip
    "chain_warmup_cosine_eta_min": lambda L, o: L.ChainedScheduler(
        [L.LinearLR(o, start_factor=0.5, total_iters=30), L.CosineAnnealingLR(o, 7, 0.01)]
    ),  # the cosine passes η at 7, 21, 35, 49 (torch's additive branch), twice during the ramp
    "chain_cosine_then_polynomial": lambda L, o: L.ChainedScheduler(
        [L.CosineAnnealingLR(o, T_max=25), L.PolynomialLR(o, total_iters=45, power=0.7)]
    ),
    "chain_lambda_then_exponential": lambda L, o: L.ChainedScheduler(
        [L.LambdaLR(o, inverse_time_decay), L.ExponentialLR(o, gamma=0.95)]
    ),  # LambdaLR restarts from α₀ every step; the exponential scales by γ once
    "chain_exponential_then_lambda": lambda L, o: L.ChainedScheduler(
        [L.ExponentialLR(o, gamma=0.95), L.LambdaLR(o, sawtooth_decay)]
    ),  # the lambda replaces the exponential's lr
    "chain_restarts_and_constant": lambda L, o: L.ChainedScheduler(
        [L.CosineAnnealingWarmRestarts(o, T_0=5), L.ConstantLR(o, factor=0.5, total_iters=12)]
    ),
    "chain_cyclic_and_exponential": lambda L, o: L.ChainedScheduler(
        [cyclic(L, o), L.ExponentialLR(o, gamma=0.97)]
    ),
    "chain_sequential_and_exponential": lambda L, o: L.ChainedScheduler(
        [
            L.SequentialLR(
                o,
                [L.ConstantLR(o, factor=0.2, total_iters=9), L.StepLR(o, step_size=6, gamma=0.6)],
                [8],
            ),
            L.ExponentialLR(o, gamma=0.98),
        ]
    ),  # fmt: skip
}


def composed_sequences(name, steps=EPOCHS):
    ours_opt = optim.SGD(lr=0.1, momentum=0.9)
    theirs_opt = torch_optimizer("SGD", lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = COMPOSITIONS[name](lr_scheduler, ours_opt)
        theirs = COMPOSITIONS[name](torch.optim.lr_scheduler, theirs_opt)
        ours_lr, theirs_lr = [ours_opt.lr], [theirs_opt.param_groups[0]["lr"]]
        ours_m, theirs_m = [ours_opt.momentum], [theirs_opt.param_groups[0]["momentum"]]
        for _ in range(steps):
            ours.step()
            theirs.step()
            assert ours.get_last_lr() == [ours_opt.lr]
            ours_lr.append(ours_opt.lr)
            theirs_lr.append(theirs_opt.param_groups[0]["lr"])
            ours_m.append(ours_opt.momentum)
            theirs_m.append(theirs_opt.param_groups[0]["momentum"])
    return np.array(ours_lr), np.array(theirs_lr), np.array(ours_m), np.array(theirs_m)


@pytest.mark.parametrize("name", list(COMPOSITIONS))
def test_composed_schedules_match_torch(name):
    ours, theirs, ours_m, theirs_m = composed_sequences(name)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(ours_m, theirs_m, rtol=RTOL)


@pytest.mark.parametrize("name", ["three_phases", "chain_warmup_step_multistep",
                                  "chain_sequential_and_exponential"])  # fmt: skip
def test_composed_state_dict_resumes(name):
    opt = optim.SGD(lr=0.1)
    sched = COMPOSITIONS[name](lr_scheduler, opt)
    for _ in range(10):
        sched.step()
    saved, saved_opt = sched.state_dict(), opt.state_dict()
    expected = [sched.step() or opt.lr for _ in range(20)]
    other = optim.SGD(lr=0.1)
    resumed = COMPOSITIONS[name](lr_scheduler, other)
    other.load_state_dict(saved_opt)  # a chain steps from the optimizer's lr, as in torch
    resumed.load_state_dict(saved)
    assert [resumed.step() or other.lr for _ in range(20)] == expected


def test_compositions_refuse_bad_schedulers():
    opt, other = optim.SGD(lr=0.1), optim.SGD(lr=0.1)
    step = lr_scheduler.StepLR(opt, step_size=2)
    plateau = lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="at least one scheduler"):
        lr_scheduler.ChainedScheduler([])
    with pytest.raises(ValueError, match="at least one scheduler"):
        lr_scheduler.SequentialLR(opt, [], [])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lr_scheduler.ChainedScheduler([step, plateau])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lr_scheduler.SequentialLR(opt, [step, plateau], [3])
    with pytest.raises(ValueError, match="different optimizer"):
        lr_scheduler.ChainedScheduler([step, lr_scheduler.StepLR(other, step_size=2)])
    with pytest.raises(ValueError, match="different optimizer"):
        lr_scheduler.SequentialLR(other, [step], [])
    with pytest.raises(ValueError, match="milestones"):
        lr_scheduler.SequentialLR(opt, [step, lr_scheduler.ExponentialLR(opt, 0.9)], [])
    with pytest.raises(ValueError, match="milestones"):
        lr_scheduler.SequentialLR(opt, [step, step, step], [8, 3])
    with pytest.raises(ValueError, match="milestones"):
        lr_scheduler.SequentialLR(opt, [step, step], [2.5])
    with pytest.raises(ValueError, match="scheduler"):
        lr_scheduler.ChainedScheduler([step, "StepLR"])
    with pytest.raises(ValueError, match="ChainedScheduler"):
        lr_scheduler.SequentialLR(opt, [step, lr_scheduler.ChainedScheduler([step])], [4])


NEW_BAD = [
    ("ConstantLR", dict(factor=0.0), "factor"),
    ("ConstantLR", dict(factor=1.5), "factor"),
    ("ConstantLR", dict(total_iters=0), "total_iters"),
    ("PolynomialLR", dict(total_iters=0), "total_iters"),
    ("PolynomialLR", dict(power=-1.0), "power"),
    ("CosineAnnealingWarmRestarts", dict(T_0=0), "T_0"),
    ("CosineAnnealingWarmRestarts", dict(T_0=2.5), "T_0"),
    ("CosineAnnealingWarmRestarts", dict(T_0=5, T_mult=0), "T_mult"),
    ("CosineAnnealingWarmRestarts", dict(T_0=5, T_mult=1.5), "T_mult"),
    ("CosineAnnealingWarmRestarts", dict(T_0=5, eta_min=-0.1), "eta_min"),
    ("CyclicLR", dict(base_lr=-0.1, max_lr=0.1), "base_lr"),
    ("CyclicLR", dict(base_lr=0.1, max_lr=0.01), "max_lr"),
    ("CyclicLR", dict(base_lr=[0.1, 0.2], max_lr=0.3), "base_lr"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=0), "step_size_up"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_down=-2), "step_size_down"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, mode="triangle"), "mode"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, scale_fn=0.5), "scale_fn"),
    (
        "CyclicLR",
        dict(base_lr=0.01, max_lr=0.1, scale_fn=halving, scale_mode="epoch"),
        "scale_mode",
    ),  # fmt: skip
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, mode="exp_range", gamma=-1.0), "gamma"),
    ("ReduceLROnPlateau", dict(mode="minimum"), "mode"),
    ("ReduceLROnPlateau", dict(threshold_mode="relative"), "threshold_mode"),
    ("ReduceLROnPlateau", dict(factor=1.0), "factor"),
    ("ReduceLROnPlateau", dict(factor=-0.5), "factor"),
    ("ReduceLROnPlateau", dict(patience=-1), "patience"),
    ("ReduceLROnPlateau", dict(patience=2.5), "patience"),
    ("ReduceLROnPlateau", dict(cooldown=-1), "cooldown"),
    ("ReduceLROnPlateau", dict(threshold=-1e-4), "threshold"),
    ("ReduceLROnPlateau", dict(min_lr=-1.0), "min_lr"),
    ("ReduceLROnPlateau", dict(min_lr=[0.1, 0.2]), "min_lr"),
    ("ReduceLROnPlateau", dict(eps=float("inf")), "eps"),
]


@pytest.mark.parametrize(("name", "kwargs", "argument"), NEW_BAD, ids=case_id)
def test_bad_arguments_of_the_new_schedules_raise_value_error(name, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        getattr(lr_scheduler, name)(optim.SGD(momentum=0.9), **kwargs)


@settings(deadline=None, max_examples=30)
@given(data=st.data(), name=st.sampled_from(
    ["ConstantLR", "PolynomialLR", "CosineAnnealingWarmRestarts", "CyclicLR"]))  # fmt: skip
def test_random_new_schedules_match_torch(data, name):
    draw = data.draw
    if name == "ConstantLR":
        kwargs = dict(factor=draw(st.floats(0.01, 1.0)), total_iters=draw(st.integers(1, 80)))
    elif name == "PolynomialLR":
        kwargs = dict(total_iters=draw(st.integers(1, 80)), power=draw(st.floats(0.0, 4.0)))
    elif name == "CosineAnnealingWarmRestarts":
        kwargs = dict(T_0=draw(st.integers(1, 20)), T_mult=draw(st.integers(1, 4)),
                      eta_min=draw(st.floats(0.0, 0.05)))  # fmt: skip
    else:
        base_lr = draw(st.floats(0.0, 0.5))
        kwargs = dict(
            base_lr=base_lr,
            max_lr=base_lr + draw(st.floats(0.0, 1.0)),
            step_size_up=draw(st.integers(1, 20)),
            step_size_down=draw(st.one_of(st.none(), st.integers(1, 20))),
            mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
            gamma=draw(st.floats(0.9, 1.0)),
        )
    ours, theirs = sequences(name, kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-15)


# --- whole training runs: the schedules drive real optimizers step for step like torch's ------

RUNS = {
    "sgd_cyclic_momentum": ("SGD", dict(lr=0.1, momentum=0.9), lambda L, o: L.CyclicLR(
        o, base_lr=0.01, max_lr=0.3, step_size_up=4, mode="triangular2")),
    "adam_cyclic_beta1": ("Adam", dict(lr=0.1), lambda L, o: L.CyclicLR(
        o, base_lr=0.01, max_lr=0.2, step_size_up=3, step_size_down=5, mode="exp_range",
        gamma=0.99)),
    "adam_warmup_then_restarts": ("Adam", dict(lr=0.2), lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=5),
            L.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.01)], [5])),
    "sgd_chain_constant_polynomial": ("SGD", dict(lr=0.3, momentum=0.5), lambda L, o:
        L.ChainedScheduler([L.ConstantLR(o, factor=0.2, total_iters=6),
                            L.PolynomialLR(o, total_iters=30, power=2.0)])),
    "sgd_plateau": ("SGD", dict(lr=0.4, momentum=0.9), lambda L, o: L.ReduceLROnPlateau(
        o, patience=1, factor=0.5, threshold=1e-3)),
}  # fmt: skip


@pytest.mark.parametrize("name", list(RUNS))
def test_a_scheduled_run_matches_torch_step_for_step(name):
    opt_name, opt_kwargs, make = RUNS[name]
    x = np.array([1.5, -2.0, 0.7])
    loss = lambda x: np.sum(np.log(np.cosh(x)) + 0.025 * x**4)  # noqa: E731
    grad = lambda x: np.tanh(x) + 0.1 * x**3  # noqa: E731
    ours_opt = getattr(optim, opt_name)(**opt_kwargs)
    p = torch.nn.Parameter(torch.tensor(x.copy()))
    theirs_opt = getattr(torch.optim, opt_name)([p], **opt_kwargs)
    ours, theirs = make(lr_scheduler, ours_opt), make(torch.optim.lr_scheduler, theirs_opt)
    plateau = name == "sgd_plateau"
    for _ in range(40):
        ours_opt.step(x, grad(x))
        p.grad = torch.from_numpy(grad(p.detach().numpy().copy()))
        theirs_opt.step()
        if plateau:
            ours.step(loss(x))
            theirs.step(loss(p.detach().numpy()))
        else:
            ours.step()
            theirs.step()
    np.testing.assert_allclose(x, p.detach().numpy(), rtol=1e-10, atol=1e-14)
    assert ours_opt.lr == pytest.approx(theirs_opt.param_groups[0]["lr"], rel=1e-10)
    if plateau:
        assert ours_opt.lr < 0.4  # the plateau was reached and the lr cut
