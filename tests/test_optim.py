"""coursekit.optim against torch.optim: whole trajectories in float64, rtol 1e-10.

Every trajectory runs 100 steps on a non-quadratic function with noisy gradients, over a list
of differently shaped arrays, and each side computes its gradient from its own iterate, so any
difference in the update rule compounds instead of cancelling.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import optim
from coursekit.optim import base as optim_base

SHAPES = [(3,), (2, 4), (), (5, 1, 2)]
STEPS = 100
RTOL = 1e-10


@pytest.fixture(autouse=True)
def torch_float64_scalars():
    """torch keeps scalar state (NAdam's mu_product, step) in the default dtype."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def start_points(shapes=SHAPES, seed=0, dtype=np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2.0, 2.0, size=s).astype(dtype) for s in shapes]


def noisy_gradient(shapes=SHAPES, seed=1, scale=0.3, sign=1.0):
    """∇f for f(x) = Σ log cosh(x − 0.5) + x⁴/40, plus fixed noise per step (non-quadratic)."""
    rng = np.random.default_rng(seed)
    noise = [[scale * rng.standard_normal(s) for s in shapes] for _ in range(STEPS + 1)]

    def grad(k: int, i: int, x: np.ndarray) -> np.ndarray:
        return np.asarray(sign * (np.tanh(x - 0.5) + 0.1 * x**3 + noise[k][i]), dtype=x.dtype)

    return grad


def our_trajectory(opt, x0s, grad, steps=STEPS, lrs=None) -> np.ndarray:
    xs = [x.copy() for x in x0s]
    path = []
    for k in range(steps):
        if lrs is not None:
            opt.lr = lrs[k]
        out = opt.step(xs, [grad(k, i, x) for i, x in enumerate(xs)])
        assert out is xs
        path.append(np.concatenate([x.ravel() for x in xs]))
    return np.array(path)


def torch_trajectory(cls, kwargs, x0s, grad, steps=STEPS, lrs=None) -> np.ndarray:
    ps = [torch.nn.Parameter(torch.tensor(x)) for x in x0s]
    opt = cls(ps, **kwargs)
    path = []
    for k in range(steps):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[k]
        for i, p in enumerate(ps):
            p.grad = torch.from_numpy(grad(k, i, p.detach().numpy().copy()))
        opt.step()
        path.append(np.concatenate([p.detach().numpy().ravel() for p in ps]))
    return np.array(path)


def assert_matches_torch(ours, cls, kwargs, x0s=None, grad=None, steps=STEPS):
    x0s = start_points() if x0s is None else x0s
    grad = noisy_gradient(sign=-1.0 if kwargs.get("maximize") else 1.0) if grad is None else grad
    expected = torch_trajectory(cls, kwargs, x0s, grad, steps)
    actual = our_trajectory(ours, x0s, grad, steps)
    assert np.all(np.isfinite(expected)), "reference run diverged; pick gentler settings"
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-14)


def grid(**options):
    """All combinations of the given option values, as kwargs dicts."""
    names = list(options)
    combos = itertools.product(*options.values())
    return [dict(zip(names, values, strict=True)) for values in combos]


# --- SGD ---
SGD_CASES = [
    c
    for c in grid(
        lr=[0.05],
        momentum=[0.0, 0.9],
        dampening=[0.0, 0.3],
        nesterov=[False, True],
        weight_decay=[0.0, 0.1],
        maximize=[False, True],
    )
    if not (c["nesterov"] and (c["momentum"] == 0 or c["dampening"] != 0))
    and not (c["momentum"] == 0 and c["dampening"] != 0)
]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=str)
def test_sgd_matches_torch_for_every_option_combination(kwargs):
    assert_matches_torch(optim.SGD(**kwargs), torch.optim.SGD, kwargs)


def test_sgd_defaults_match_torch():
    ours, theirs = optim.SGD(), torch.optim.SGD([torch.zeros(1)])
    assert ours.lr == theirs.defaults["lr"]
    for name, value in ours.hyperparameters.items():
        assert value == theirs.defaults[name], name


def test_sgd_steps_a_single_array_in_place_and_returns_it():
    x = np.array([1.0, -2.0])
    g = np.array([0.5, 0.25])
    assert optim.SGD(lr=0.1).step(x, g) is x
    np.testing.assert_array_equal(x, [1.0 - 0.05, -2.0 - 0.025])


# --- Adam / AdamW ---
ADAM_CASES = grid(
    lr=[0.05],
    amsgrad=[False, True],
    weight_decay=[0.0, 0.1],
    maximize=[False, True],
    decoupled_weight_decay=[False, True],
)


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=str)
def test_adam_matches_torch_for_every_option_combination(kwargs):
    assert_matches_torch(optim.Adam(**kwargs), torch.optim.Adam, kwargs)


@pytest.mark.parametrize(
    "kwargs",
    grid(lr=[0.05], amsgrad=[False, True], weight_decay=[0.0, 0.3], maximize=[False, True]),
    ids=str,
)
def test_adamw_matches_torch_for_every_option_combination(kwargs):
    assert_matches_torch(optim.AdamW(**kwargs), torch.optim.AdamW, kwargs)


def test_adam_matches_torch_with_extreme_betas_and_eps():
    kwargs = dict(lr=0.02, betas=(0.5, 0.6), eps=1e-3)
    assert_matches_torch(optim.Adam(**kwargs), torch.optim.Adam, kwargs)


ALL_NAMES = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam",
             "RAdam", "Adamax", "Rprop", "ASGD", "Adafactor"]


@pytest.mark.parametrize("cls", ALL_NAMES)
def test_defaults_match_torch(cls):
    ours, theirs = getattr(optim, cls)(), getattr(torch.optim, cls)([torch.zeros(1)])
    assert ours.lr == theirs.defaults["lr"]
    for name, value in ours.hyperparameters.items():
        if name in theirs.defaults:
            want = theirs.defaults[name]
            assert value == (tuple(want) if isinstance(want, list) else want), name


# --- Adagrad, RMSprop, Adadelta, NAdam ---
OTHER_CASES = [
    *(
        ("Adagrad", c)
        for c in grid(
            lr=[0.1],
            lr_decay=[0.0, 0.1],
            weight_decay=[0.0, 0.1],
            initial_accumulator_value=[0.0, 0.5],
            maximize=[False, True],
        )
    ),
    *(
        ("RMSprop", c)
        for c in grid(
            lr=[0.01],
            centered=[False, True],
            momentum=[0.0, 0.9],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        )
    ),
    ("RMSprop", dict(lr=0.01, alpha=0.5, eps=1e-3, centered=True, momentum=0.5)),
    *(
        ("Adadelta", c)
        for c in grid(lr=[1.0, 0.3], weight_decay=[0.0, 0.1], maximize=[False, True])
    ),
    ("Adadelta", dict(rho=0.5, eps=1e-3)),
    *(
        ("NAdam", c)
        for c in grid(
            lr=[0.05],
            weight_decay=[0.0, 0.1],
            decoupled_weight_decay=[False, True],
            maximize=[False, True],
            momentum_decay=[4e-3, 0.05],
        )
    ),
    ("NAdam", dict(lr=0.02, betas=(0.5, 0.6), eps=1e-3)),
]


@pytest.mark.parametrize(("name", "kwargs"), OTHER_CASES, ids=str)
def test_optimizer_matches_torch_for_every_option_combination(name, kwargs):
    assert_matches_torch(getattr(optim, name)(**kwargs), getattr(torch.optim, name), kwargs)


def test_nadam_mu_product_is_the_running_product_of_the_momentum_schedule():
    opt = optim.NAdam(momentum_decay=0.05)
    x = np.zeros(2)
    for _ in range(7):
        opt.step(x, np.ones(2))
    ks = np.arange(1, 8)
    expected = np.prod(0.9 * (1 - 0.5 * 0.96 ** (ks * 0.05)))
    assert opt.state[0]["mu_product"] == pytest.approx(expected, rel=1e-14)


# --- the lecture's forms ---
def test_heavy_ball_equals_torch_sgd_momentum_while_lr_is_constant():
    grad = noisy_gradient()
    x0s = start_points()
    expected = torch_trajectory(torch.optim.SGD, dict(lr=0.05, momentum=0.9), x0s, grad)
    actual = our_trajectory(optim.HeavyBall(lr=0.05, momentum=0.9), x0s, grad)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-13)


def test_heavy_ball_differs_from_torch_sgd_momentum_once_lr_changes():
    grad, x0s = noisy_gradient(), start_points()
    lrs = [0.05] * 10 + [0.005] * (STEPS - 10)
    kwargs = dict(lr=0.05, momentum=0.9)
    expected = torch_trajectory(torch.optim.SGD, kwargs, x0s, grad, lrs=lrs)
    actual = our_trajectory(optim.HeavyBall(**kwargs), x0s, grad, lrs=lrs)
    ours_as_torch = our_trajectory(optim.SGD(**kwargs), x0s, grad, lrs=lrs)
    np.testing.assert_allclose(ours_as_torch, expected, rtol=RTOL, atol=1e-13)
    # step 11: torch rescales the whole velocity by the new lr, heavy ball keeps it
    assert np.max(np.abs(actual[10] - expected[10])) > 1e-3


def test_torch_adam_is_simplified_adam_with_bias_correction_folded_into_lr_and_eps():
    beta1, beta2, lr, eps = 0.9, 0.99, 0.05, 1e-3
    grad, x0s = noisy_gradient(), start_points()
    ours = optim.Adam(lr=lr, betas=(beta1, beta2), eps=eps, bias_correction=False)
    xs, path = [x.copy() for x in x0s], []
    for k in range(1, STEPS + 1):
        ours.lr = lr * np.sqrt(1 - beta2**k) / (1 - beta1**k)
        ours.eps = eps * np.sqrt(1 - beta2**k)
        ours.step(xs, [grad(k - 1, i, x) for i, x in enumerate(xs)])
        path.append(np.concatenate([x.ravel() for x in xs]))
    expected = torch_trajectory(
        torch.optim.Adam, dict(lr=lr, betas=(beta1, beta2), eps=eps), x0s, grad
    )
    np.testing.assert_allclose(np.array(path), expected, rtol=RTOL, atol=1e-13)


def test_simplified_adam_equals_torch_adam_when_betas_are_zero():
    kwargs = dict(lr=0.01, betas=(0.0, 0.0))
    assert_matches_torch(optim.Adam(**kwargs, bias_correction=False), torch.optim.Adam, kwargs)


def test_simplified_adam_takes_larger_first_steps_than_torch_adam():
    grad, x0s = noisy_gradient(), start_points()
    kwargs = dict(lr=0.01, betas=(0.9, 0.999))
    plain = our_trajectory(optim.Adam(**kwargs, bias_correction=False), x0s, grad, steps=1)
    expected = torch_trajectory(torch.optim.Adam, kwargs, x0s, grad, steps=1)
    x0 = np.concatenate([x.ravel() for x in x0s])
    # without correction the first step is α(1 − β₁)/√(1 − β₂) ≈ 3.16α per coordinate, not α
    ratio = np.abs(plain[0] - x0) / np.abs(expected[0] - x0)
    np.testing.assert_allclose(ratio, 0.1 / np.sqrt(0.001), rtol=1e-4)


# --- protocol: state, reset, state_dict ---
OPTIMIZERS = {
    "SGD": dict(lr=0.05, momentum=0.9, nesterov=True),
    "Adagrad": dict(lr=0.1, lr_decay=0.01),
    "RMSprop": dict(lr=0.01, centered=True, momentum=0.9),
    "Adadelta": dict(lr=0.5),
    "Adam": dict(lr=0.05, amsgrad=True),
    "AdamW": dict(lr=0.05),
    "NAdam": dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.1),
    "HeavyBall": dict(lr=0.05, momentum=0.9),
    "RAdam": dict(lr=0.05, weight_decay=0.1),
    "Adamax": dict(lr=0.05),
    "Rprop": dict(lr=0.05),
    "ASGD": dict(lr=0.05, t0=5),
    "Adafactor": dict(lr=0.05, weight_decay=0.1),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_reset_makes_the_next_run_identical_to_a_fresh_optimizer(name):
    grad, x0s = noisy_gradient(), start_points()
    opt = getattr(optim, name)(**OPTIMIZERS[name])
    first = our_trajectory(opt, x0s, grad, steps=20)
    opt.reset()
    assert opt.state == {}
    np.testing.assert_array_equal(our_trajectory(opt, x0s, grad, steps=20), first)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_round_trip_resumes_exactly(name):
    grad, x0s = noisy_gradient(), start_points()
    cls, kwargs = getattr(optim, name), OPTIMIZERS[name]
    full = our_trajectory(cls(**kwargs), x0s, grad, steps=20)
    opt = cls(**kwargs)
    xs = [x.copy() for x in x0s]
    for k in range(10):
        opt.step(xs, [grad(k, i, x) for i, x in enumerate(xs)])
    saved = opt.state_dict()
    opt.step(xs, [grad(10, i, x) for i, x in enumerate(xs)])  # must not leak into `saved`
    resumed = cls(lr=123.0)
    resumed.load_state_dict(saved)
    assert resumed.lr == kwargs["lr"]
    xs = [
        x.reshape(s)
        for x, s in zip(
            np.split(full[9], np.cumsum([int(np.prod(s)) for s in SHAPES])[:-1]),
            SHAPES,
            strict=True,
        )
    ]
    for k in range(10, 20):
        resumed.step(xs, [grad(k, i, x) for i, x in enumerate(xs)])
        np.testing.assert_array_equal(np.concatenate([x.ravel() for x in xs]), full[k])


def test_state_is_keyed_by_position_and_matches_torch_state_names():
    opt = optim.Adam(amsgrad=True)
    xs = start_points()
    opt.step(xs, [np.ones_like(x) for x in xs])
    assert sorted(opt.state) == list(range(len(xs)))
    assert set(opt.state[1]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert opt.state[1]["exp_avg"].shape == SHAPES[1]


def test_lr_is_writable_and_used_by_the_next_step():
    opt = optim.SGD(lr=0.1)
    x = np.array([1.0])
    opt.lr = 0.5
    opt.step(x, np.array([1.0]))
    assert x[0] == 0.5


def test_float32_params_stay_float32_and_match_torch_to_float32_round_off():
    x0s = start_points(dtype=np.float32)
    grad = noisy_gradient()
    kwargs = dict(lr=0.05, amsgrad=True, weight_decay=0.1)
    actual = our_trajectory(optim.Adam(**kwargs), x0s, grad, steps=20)
    expected = torch_trajectory(torch.optim.Adam, kwargs, x0s, grad, steps=20)
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_non_contiguous_params_are_updated_in_place():
    base = np.arange(12.0).reshape(3, 4)
    view = base.T[::2]  # neither C- nor F-contiguous
    g = np.ones_like(view)
    expected = base.copy()
    expected.T[::2] -= 0.1
    optim.SGD(lr=0.1).step(view, g)
    np.testing.assert_array_equal(base, expected)


@pytest.mark.parametrize("threads", [1, 3])
def test_large_arrays_cross_several_cache_slices_and_threads_and_still_match_torch(
    threads, monkeypatch
):
    monkeypatch.setattr(optim_base, "THREADS", threads)
    monkeypatch.setattr(optim_base, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setattr(optim_base, "CHUNK_BYTES", 8 * 1000)  # 1000 float64 per slice
    rng = np.random.default_rng(3)
    x0s = [rng.standard_normal(s) for s in (10_500, (30, 70), 5)]
    noise = [[rng.standard_normal(x.shape) for x in x0s] for _ in range(5)]
    grad = lambda k, i, x: np.tanh(x) + noise[k][i]
    kwargs = dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1)
    expected = torch_trajectory(torch.optim.SGD, kwargs, x0s, grad, steps=5)
    np.testing.assert_allclose(
        our_trajectory(optim.SGD(**kwargs), x0s, grad, steps=5), expected, rtol=RTOL
    )
    kwargs = dict(lr=0.01, amsgrad=True)
    expected = torch_trajectory(torch.optim.Adam, kwargs, x0s, grad, steps=5)
    np.testing.assert_allclose(
        our_trajectory(optim.Adam(**kwargs), x0s, grad, steps=5), expected, rtol=RTOL
    )


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_optimizer_matches_torch_on_a_single_2d_array(name):
    (x0,), grad = start_points([(4, 3)]), noisy_gradient([(4, 3)])
    kwargs = dict(lr=0.05) if name != "Adadelta" else dict()
    expected = torch_trajectory(getattr(torch.optim, name), kwargs, [x0], grad)
    opt, x, path = getattr(optim, name)(**kwargs), x0.copy(), []
    for k in range(STEPS):
        assert opt.step(x, grad(k, 0, x)) is x
        path.append(x.ravel().copy())
    np.testing.assert_allclose(np.array(path), expected, rtol=RTOL, atol=1e-14)


def test_switching_sgd_momentum_on_after_the_first_step_asks_for_reset():
    opt, x = optim.SGD(lr=0.1), np.zeros(2)
    opt.step(x, np.ones(2))
    opt.momentum = 0.9
    with pytest.raises(ValueError, match="reset"):
        opt.step(x, np.ones(2))
    opt.reset()
    opt.step(x, np.ones(2))


def test_gradients_are_not_modified():
    xs = start_points()
    gs = [np.full_like(x, 0.5) for x in xs]
    for opt in (
        optim.SGD(momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True),
        optim.Adam(weight_decay=0.1, maximize=True),
    ):
        for _ in range(3):
            opt.step(xs, gs)
    for g in gs:
        assert np.all(g == 0.5)


# --- bad input ---
BAD_HYPERPARAMETERS = [
    ("SGD", dict(lr=-0.1), "lr"),
    ("SGD", dict(lr=float("nan")), "lr"),
    ("SGD", dict(lr=float("inf")), "lr"),
    ("SGD", dict(momentum=-0.5), "momentum"),
    ("SGD", dict(momentum=float("nan")), "momentum"),
    ("SGD", dict(weight_decay=-1e-4), "weight_decay"),
    ("SGD", dict(nesterov=True), "nesterov"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), "nesterov"),
    ("Adam", dict(lr=-1.0), "lr"),
    ("Adam", dict(eps=-1e-8), "eps"),
    ("Adam", dict(eps=float("inf")), "eps"),
    ("Adam", dict(weight_decay=float("nan")), "weight_decay"),
    ("Adam", dict(betas=(1.0, 0.999)), "betas[0]"),
    ("Adam", dict(betas=(0.9, -0.1)), "betas[1]"),
    ("Adam", dict(betas=(0.9,)), "betas"),
    ("AdamW", dict(betas=(0.9, 1.5)), "betas[1]"),
    ("AdamW", dict(weight_decay=-0.01), "weight_decay"),
    ("Adagrad", dict(lr_decay=-0.1), "lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    ("Adagrad", dict(eps=-1.0), "eps"),
    ("Adagrad", dict(weight_decay=-1.0), "weight_decay"),
    ("RMSprop", dict(alpha=1.0), "alpha"),
    ("RMSprop", dict(alpha=-0.1), "alpha"),
    ("RMSprop", dict(momentum=-0.1), "momentum"),
    ("RMSprop", dict(eps=float("nan")), "eps"),
    ("Adadelta", dict(rho=1.0), "rho"),
    ("Adadelta", dict(rho=-0.5), "rho"),
    ("Adadelta", dict(lr=-1.0), "lr"),
    ("NAdam", dict(betas=(0.9, 1.0)), "betas[1]"),
    ("NAdam", dict(momentum_decay=-1e-3), "momentum_decay"),
    ("NAdam", dict(weight_decay=-1e-3), "weight_decay"),
    ("HeavyBall", dict(momentum=-0.9), "momentum"),
    ("HeavyBall", dict(lr=float("nan")), "lr"),
    ("RAdam", dict(betas=(0.9, 1.0)), "betas[1]"),
    ("RAdam", dict(lr=-1e-3), "lr"),
    ("Adamax", dict(eps=-1.0), "eps"),
    ("Adamax", dict(betas=(-0.1, 0.9)), "betas[0]"),
    ("Rprop", dict(etas=(1.2, 0.5)), "etas"),
    ("Rprop", dict(etas=(0.0, 1.2)), "etas"),
    ("Rprop", dict(step_sizes=(1.0, 0.1)), "step_sizes"),
    ("ASGD", dict(lambd=-1.0), "lambd"),
    ("ASGD", dict(weight_decay=-1.0), "weight_decay"),
    ("Adafactor", dict(beta2_decay=0.5), "beta2_decay"),
    ("Adafactor", dict(d=0.5), "d "),
    ("Adafactor", dict(eps=(-1.0, 1e-3)), "eps[0]"),
    ("Adafactor", dict(eps=(None, -1e-3)), "eps[1]"),
    ("Muon", dict(momentum=1.0), "momentum"),
    ("Muon", dict(momentum=-0.1), "momentum"),
    ("Muon", dict(ns_steps=100), "ns_steps"),
    ("Muon", dict(ns_coefficients=(1.0, 2.0)), "ns_coefficients"),
    ("Muon", dict(adjust_lr_fn="other"), "adjust_lr_fn"),
    ("Muon", dict(precision="float16"), "precision"),
    ("LBFGS", dict(lr=-1.0), "lr"),
    ("LBFGS", dict(history_size=0), "history_size"),
    ("LBFGS", dict(max_iter=2.5), "max_iter"),
    ("LBFGS", dict(line_search_fn="armijo"), "line_search_fn"),
]


@pytest.mark.parametrize(("name", "kwargs", "argument"), BAD_HYPERPARAMETERS, ids=str)
def test_bad_hyperparameters_raise_value_error_naming_the_argument(name, kwargs, argument):
    with pytest.raises(ValueError, match=argument.replace("[", r"\[").replace("]", r"\]")):
        getattr(optim, name)(**kwargs)


def test_setting_a_negative_lr_raises():
    opt = optim.Adam()
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -0.1


BAD_STEPS = [
    ([np.zeros(2), np.zeros(3)], [np.zeros(2)], "grads has 1 arrays but params has 2"),
    ([np.zeros(2)], [np.zeros(3)], r"grads\[0\] has shape \(3,\) but params\[0\] has shape \(2,\)"),
    (np.zeros((2, 2)), np.zeros(4), r"shape \(4,\) but .* shape \(2, 2\)"),
    ([np.zeros(2)], [np.zeros(2, np.float32)], r"grads\[0\] has dtype float32 .* float64"),
    (np.zeros(3, dtype=int), np.zeros(3, dtype=int), r"params\[0\] has dtype int64.*floating"),
    ([[0.0, 1.0]], [[0.0, 1.0]], r"params\[0\] must be a numpy array"),
    (1.5, 0.5, "params must be a numpy array"),
    ([np.zeros(2)], np.zeros(2), "grads must be a list"),
]


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize(("params", "grads", "message"), BAD_STEPS, ids=lambda v: str(v)[:30])
def test_bad_step_arguments_raise_value_error_before_touching_params(name, params, grads, message):
    opt = getattr(optim, name)(**OPTIMIZERS[name])
    before = [np.array(p, copy=True) for p in params] if isinstance(params, list) else None
    with pytest.raises(ValueError, match=message):
        opt.step(params, grads)
    if before is not None:
        for p, b in zip(params, before, strict=True):
            np.testing.assert_array_equal(p, b)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_threaded_finite_check_names_the_bad_array(bad, monkeypatch):
    monkeypatch.setattr(optim_base, "THREADS", 3)
    monkeypatch.setattr(optim_base, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setattr(optim_base, "CHUNK_BYTES", 4 * 1000)  # 1000 float32 per slice
    xs = [np.zeros(30_000, np.float32), np.zeros(10, np.float32), np.zeros(5, np.float32)]
    gs = [np.ones_like(x) for x in xs]
    gs[0][25_000] = bad
    with pytest.raises(ValueError, match=r"grads\[0\] contains non-finite"):
        optim.Adam().step(xs, gs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_bad_small_gradient_is_caught_before_a_large_array_changes(bad, monkeypatch):
    monkeypatch.setattr(optim_base, "CHUNK_BYTES", 4 * 1000)
    xs = [np.zeros(30_000, np.float32), np.zeros(5, np.float32)]
    gs = [np.ones_like(x) for x in xs]
    gs[1][1] = bad
    with pytest.raises(ValueError, match=r"grads\[1\] contains non-finite"):
        optim.Adam().step(xs, gs)
    assert not xs[0].any()


NON_FINITE = [
    ([np.zeros(2), np.zeros(2)], [np.zeros(2), np.array([0.0, np.nan])], r"grads\[1\].*non-finite"),
    (np.zeros(3), np.array([np.inf, 0, 0]), r"grads\[0\].*non-finite"),
    (np.zeros(3), np.array([-np.inf, 0, 0]), r"grads\[0\].*non-finite"),
    ([np.zeros(3, np.float32)], [np.array([1e30, 1e30, np.nan], np.float32)], r"grads\[0\]"),
]


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize(("params", "grads", "message"), NON_FINITE, ids=lambda v: str(v)[:30])
def test_non_finite_gradients_raise_value_error_naming_the_array(name, params, grads, message):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)(**OPTIMIZERS[name]).step(params, grads)


@pytest.mark.parametrize("size", [4, 1000])
@pytest.mark.parametrize(("dtype", "huge"), [(np.float64, 1e308), (np.float32, 1e30)])
def test_huge_but_finite_gradients_are_accepted(dtype, huge, size):
    x = np.zeros(size, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optim.SGD(lr=1e-30).step(x, np.full(size, huge, dtype))  # g·g overflows
    np.testing.assert_array_equal(x, np.full(size, -1e-30 * huge, dtype))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_single_bad_entry_in_a_large_gradient_is_found(bad):
    g = np.ones(100_000)
    g[77_777] = bad
    with pytest.raises(ValueError, match=r"grads\[1\].*non-finite"):
        optim.SGD().step([np.zeros(3), np.zeros(100_000)], [np.ones(3), g])


def test_changing_a_params_shape_without_reset_raises():
    opt = optim.Adam()
    opt.step([np.zeros(3)], [np.ones(3)])
    with pytest.raises(ValueError, match=r"params\[0\] has shape \(4,\).*reset"):
        opt.step([np.zeros(4)], [np.ones(4)])


# --- hypothesis: random hyperparameters and shapes ---
shapes_strategy = st.lists(
    st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple), min_size=1, max_size=3
)


# β₂ near 0 makes Adam-type steps ≈ sign(g), whose slope 1/ε at g = 0 amplifies round-off
# chaotically (two correct implementations then drift apart by ~1e-10 in 30 steps), so the
# random ranges stay where the dynamics are stable; the grids above cover the options.
unit = st.floats(0.0, 0.99)
beta2s = st.floats(0.5, 0.9999)


@settings(deadline=None, max_examples=25)
@given(
    shapes=shapes_strategy,
    lr=st.floats(1e-3, 0.1),
    momentum=st.floats(0.0, 0.99),
    dampening=st.floats(0.0, 0.9),
    weight_decay=st.floats(0.0, 0.5),
    nesterov=st.booleans(),
    maximize=st.booleans(),
)
def test_sgd_matches_torch_for_random_hyperparameters_and_shapes(
    shapes, lr, momentum, dampening, weight_decay, nesterov, maximize
):
    if nesterov:
        momentum, dampening = max(momentum, 0.1), 0.0
    kwargs = dict(
        lr=lr,
        momentum=momentum,
        dampening=dampening,
        weight_decay=weight_decay,
        nesterov=nesterov,
        maximize=maximize,
    )
    grad = noisy_gradient(shapes, sign=-1.0 if maximize else 1.0)
    assert_matches_torch(
        optim.SGD(**kwargs), torch.optim.SGD, kwargs, start_points(shapes), grad, steps=30
    )


@settings(deadline=None, max_examples=25)
@given(
    shapes=shapes_strategy,
    lr=st.floats(1e-3, 0.1),
    beta1=st.floats(0.0, 0.99),
    beta2=beta2s,
    eps=st.floats(1e-8, 1e-2),
    weight_decay=st.floats(0.0, 0.5),
    amsgrad=st.booleans(),
    maximize=st.booleans(),
    decoupled=st.booleans(),
)
def test_adam_matches_torch_for_random_hyperparameters_and_shapes(
    shapes, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled
):
    kwargs = dict(
        lr=lr,
        betas=(beta1, beta2),
        eps=eps,
        weight_decay=weight_decay,
        amsgrad=amsgrad,
        maximize=maximize,
        decoupled_weight_decay=decoupled,
    )
    grad = noisy_gradient(shapes, sign=-1.0 if maximize else 1.0)
    assert_matches_torch(
        optim.Adam(**kwargs), torch.optim.Adam, kwargs, start_points(shapes), grad, steps=30
    )


RANDOM_HYPERPARAMETERS = {
    "Adagrad": dict(
        lr=st.floats(1e-3, 0.3),
        lr_decay=st.floats(0.0, 0.5),
        weight_decay=st.floats(0.0, 0.5),
        initial_accumulator_value=st.floats(0.0, 1.0),
        eps=st.floats(1e-10, 1e-2),
        maximize=st.booleans(),
    ),
    "RMSprop": dict(
        lr=st.floats(1e-3, 0.05),
        alpha=st.floats(0.5, 0.999),
        eps=st.floats(1e-8, 1e-2),
        weight_decay=st.floats(0.0, 0.5),
        momentum=st.floats(0.0, 0.95),
        centered=st.booleans(),
        maximize=st.booleans(),
    ),
    "Adadelta": dict(
        lr=st.floats(0.1, 1.0),
        rho=unit,
        eps=st.floats(1e-8, 1e-2),
        weight_decay=st.floats(0.0, 0.5),
        maximize=st.booleans(),
    ),
    "NAdam": dict(
        lr=st.floats(1e-3, 0.1),
        betas=st.tuples(unit, beta2s),
        eps=st.floats(1e-8, 1e-2),
        weight_decay=st.floats(0.0, 0.5),
        momentum_decay=st.floats(0.0, 0.1),
        decoupled_weight_decay=st.booleans(),
        maximize=st.booleans(),
    ),
}


@pytest.mark.parametrize("name", RANDOM_HYPERPARAMETERS)
@settings(deadline=None, max_examples=15)
@given(data=st.data(), shapes=shapes_strategy)
def test_optimizer_matches_torch_for_random_hyperparameters_and_shapes(name, data, shapes):
    kwargs = data.draw(st.fixed_dictionaries(RANDOM_HYPERPARAMETERS[name]))
    grad = noisy_gradient(shapes, sign=-1.0 if kwargs["maximize"] else 1.0)
    assert_matches_torch(
        getattr(optim, name)(**kwargs),
        getattr(torch.optim, name),
        kwargs,
        start_points(shapes),
        grad,
        steps=30,
    )


# --- RAdam, Adamax, Rprop, ASGD, Adafactor ---
NEW_CASES = [
    *(("RAdam", c) for c in grid(lr=[0.05], weight_decay=[0.0, 0.1],
                                 decoupled_weight_decay=[False, True], maximize=[False, True])),
    ("RAdam", dict(lr=0.02, betas=(0.5, 0.6), eps=1e-3)),  # ρ_∞ = 4: never rectified
    ("RAdam", dict(lr=0.02, betas=(0.8, 0.9))),  # rectified from step 6 on
    *(("Adamax", c) for c in grid(lr=[0.05], weight_decay=[0.0, 0.1], maximize=[False, True])),
    ("Adamax", dict(lr=0.02, betas=(0.5, 0.6), eps=1e-3)),
    *(("Rprop", c) for c in grid(lr=[0.01, 0.1], maximize=[False, True])),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    *(("ASGD", c) for c in grid(lr=[0.05], lambd=[1e-4, 0.1], alpha=[0.75, 0.5],
                                weight_decay=[0.0, 0.1], maximize=[False, True])),
    *(("Adafactor", c) for c in grid(lr=[0.05], beta2_decay=[-0.8, -0.5],
                                     weight_decay=[0.0, 0.1], maximize=[False, True])),
    ("Adafactor", dict(lr=0.5, eps=(1e-3, 0.1), d=2.0)),
    ("Adafactor", dict(lr=0.02, eps=(None, 1e-2), d=1.5, beta2_decay=-1.0)),
]


@pytest.mark.parametrize(("name", "kwargs"), NEW_CASES, ids=str)
def test_new_optimizer_matches_torch_for_every_option_combination(name, kwargs):
    assert_matches_torch(getattr(optim, name)(**kwargs), getattr(torch.optim, name), kwargs)


@pytest.mark.parametrize("t0", [1e6, 0, 20])
def test_asgd_average_matches_torch_before_and_after_t0(t0):
    x0s, grad = start_points(), noisy_gradient()
    ours, xs = optim.ASGD(lr=0.05, t0=t0), [x.copy() for x in x0s]
    ps = [torch.nn.Parameter(torch.tensor(x)) for x in x0s]
    theirs = torch.optim.ASGD(ps, lr=0.05, t0=t0)
    for k in range(60):
        ours.step(xs, [grad(k, i, x) for i, x in enumerate(xs)])
        for i, p in enumerate(ps):
            p.grad = torch.from_numpy(grad(k, i, p.detach().numpy().copy()))
        theirs.step()
        for i, p in enumerate(ps):
            for name in ("ax", "eta", "mu"):
                want = np.asarray(theirs.state[p][name])
                np.testing.assert_allclose(ours.state[i][name], want, rtol=RTOL, atol=1e-14)


def test_adafactor_factors_the_second_moment_of_matrices_only():
    opt = optim.Adafactor()
    xs = [np.ones((3, 4)), np.ones(5), np.ones((2, 3, 4))]
    opt.step(xs, [np.full_like(x, 0.5) for x in xs])
    assert opt.state[0]["row_var"].shape == (3, 1) and opt.state[0]["col_var"].shape == (1, 4)
    assert opt.state[1]["variance"].shape == (5,)
    assert opt.state[2]["row_var"].shape == (2, 3, 1)
    assert opt.state[2]["col_var"].shape == (2, 1, 4)


# --- Muon ---
# torch's bfloat16 addmm adds β·C to α·(P Q) in one fused multiply-add on CPUs with FMA (x86
# since 2013, every ARM64); ATEN_CPU_CAPABILITY=default, which has none, rounds β·C separately
# and these comparisons then fail. In small matrices torch's float32 sums are exact, so our
# Newton-Schulz is bit-identical to torch's and whole trajectories can be compared.
MUON_SHAPES = [(3, 4), (4, 3), (2, 5)]
BFLOAT16_ULP = 2.0**-7  # of an entry in [1, 2); an orthogonalized matrix's entries are below


@pytest.mark.parametrize(
    "kwargs",
    [*grid(lr=[0.02], weight_decay=[0.0, 0.1], momentum=[0.95, 0.5], nesterov=[True, False]),
     dict(lr=0.02, adjust_lr_fn="original"), dict(lr=0.02, adjust_lr_fn="match_rms_adamw"),
     dict(lr=0.02, ns_steps=3, eps=1e-3), dict(lr=0.02, ns_coefficients=(1.5, -0.5, 0.0))],
    ids=str,
)
def test_muon_matches_torch_bfloat16_orthogonalization_bit_for_bit(kwargs):
    x0s = start_points(MUON_SHAPES)
    grad = noisy_gradient(MUON_SHAPES)
    expected = torch_trajectory(torch.optim.Muon, kwargs, x0s, grad, steps=30)
    actual = our_trajectory(optim.Muon(**kwargs), x0s, grad, steps=30)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-14)


# Larger products: where torch's float32 sums of products round, their order depends on the
# kernel torch picks (its own loops, or oneDNN's when m·n·k > 16³ and the CPU has bfloat16
# instructions), and torch's own results differ between CPUs; so a few matrices may end one
# bfloat16 ulp away. Measured (these 40 matrices each, with AMX and with oneDNN limited to AVX2):
# none differ up to 16×8, 1-2 at 16×32 and 32×16, 7-15 at 48×48.
@pytest.mark.parametrize(
    ("shape", "most_differing"),
    [((6, 6), 1), ((8, 5), 1), ((5, 8), 1), ((16, 8), 1), ((16, 32), 6), ((32, 16), 6),
     ((48, 48), 24)],
)
def test_muon_bfloat16_orthogonalization_is_torch_bit_for_bit_on_almost_all_matrices(
    shape, most_differing
):
    from torch.optim._muon import _zeropower_via_newtonschulz

    rng, coefficients, differ = np.random.default_rng(8), optim.Muon().ns_coefficients, 0
    for _ in range(40):
        G = rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3)
        want = _zeropower_via_newtonschulz(torch.tensor(G), coefficients, 5, 1e-7).double()
        ours = optim.muon.newton_schulz(G, coefficients, 5, 1e-7)
        differ += not np.array_equal(ours, want.numpy())
        np.testing.assert_allclose(ours, want.numpy(), rtol=0, atol=BFLOAT16_ULP)
    assert differ <= most_differing


MUON_LARGE_SHAPES = [(16, 32), (32, 16), (24, 24)]


@pytest.mark.parametrize(
    "kwargs",
    [dict(lr=0.02), dict(lr=0.02, nesterov=False, momentum=0.5),
     dict(lr=0.02, momentum=0.0, nesterov=False),
     dict(lr=0.02, weight_decay=0.0, adjust_lr_fn="match_rms_adamw"),
     dict(lr=0.05, ns_steps=3, eps=1e-3, weight_decay=0.3)],
    ids=str,
)
def test_muon_trajectories_on_larger_matrices_stay_within_bfloat16_ulps_of_torch(kwargs):
    x0s, grad = start_points(MUON_LARGE_SHAPES), noisy_gradient(MUON_LARGE_SHAPES)
    expected = torch_trajectory(torch.optim.Muon, kwargs, x0s, grad, steps=10)
    actual = our_trajectory(optim.Muon(**kwargs), x0s, grad, steps=10)
    # each step may move an entry by lr·scale·(one ulp) more or less than torch; scale ≤ √2 here
    k = np.arange(1, 11)[:, None]
    assert np.all(np.abs(actual - expected) <= k * kwargs["lr"] * 2**0.5 * BFLOAT16_ULP)


def test_bfloat16_rounding_matches_torch():
    rng = np.random.default_rng(5)
    tie = 1 + 2**-8  # halfway between the bfloat16 neighbours 1 and 1 + 2**-7
    a = np.concatenate([rng.standard_normal(10_000) * 10.0 ** rng.integers(-8, 8, 10_000),
                        [0.0, 1.0, -1.0, 1 + 2**-7, tie, 1 + 3 * 2**-8],
                        # below float32's resolution: torch rounds to float32 first, to the tie
                        [tie + 2**-40, tie - 2**-40, -(tie + 2**-40), 3 * 2**-8 + 1 - 2**-40]])
    want = torch.tensor(a).bfloat16().double().numpy()
    np.testing.assert_array_equal(optim.muon.round_to_bfloat16(a), want)


def test_muon_float64_orthogonalization_is_torch_newton_schulz_in_float64():
    G = np.random.default_rng(6).standard_normal((4, 6))
    a, b, c = optim.Muon().ns_coefficients
    X = torch.tensor(G)
    X = X / X.norm()
    for _ in range(5):
        A = X @ X.T
        X = torch.addmm(X, torch.addmm(A, A, A, beta=b, alpha=c), X, beta=a)
    ours = optim.muon.newton_schulz(G, (a, b, c), 5, 1e-7, precision="float64")
    np.testing.assert_allclose(ours, X.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", [(4, 6), (6, 4)])
def test_cubic_newton_schulz_converges_to_the_polar_factor(shape):
    G = np.random.default_rng(7).standard_normal(shape)
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    O = optim.muon.newton_schulz(G, (1.5, -0.5, 0.0), 60, 1e-7, precision="float64")
    np.testing.assert_allclose(O, U @ Vt, atol=1e-10)


def test_muon_trajectory_in_float64_stays_near_the_bfloat16_one():
    x0s, grad = start_points(MUON_SHAPES), noisy_gradient(MUON_SHAPES)
    exact = our_trajectory(optim.Muon(lr=0.02, precision="float64"), x0s, grad, steps=20)
    rounded = our_trajectory(optim.Muon(lr=0.02), x0s, grad, steps=20)
    assert 0 < np.max(np.abs(exact - rounded)) < 0.02 * 20 * 0.05


def test_muon_defaults_match_torch():
    ours, theirs = optim.Muon(), torch.optim.Muon([torch.zeros(2, 2)])
    for name, value in ours.hyperparameters.items():
        if name in theirs.defaults:
            assert value == theirs.defaults[name], name


@pytest.mark.parametrize("shape", [(3,), (), (2, 3, 4)])
def test_muon_rejects_parameters_that_are_not_matrices(shape):
    x = np.zeros(shape)
    with pytest.raises(ValueError, match="2-D"):
        optim.Muon().step([np.zeros((2, 2)), x], [np.ones((2, 2)), np.ones(shape)])
    assert x.shape == shape and not x.any()


def test_muon_rejects_non_finite_gradients_and_shape_mismatches():
    with pytest.raises(ValueError, match=r"grads\[0\].*non-finite"):
        optim.Muon().step(np.zeros((2, 3)), np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match=r"shape \(3, 2\) but .* shape \(2, 3\)"):
        optim.Muon().step(np.zeros((2, 3)), np.zeros((3, 2)))


# --- LBFGS ---
def rosenbrock_value_and_grads(xs):
    """f = Σ 100 (z_{i+1} − z_i²)² + (1 − z_i)² over z = all entries of xs; (f, grads)."""
    z = np.concatenate([x.ravel() for x in xs])
    f = float(np.sum(100.0 * (z[1:] - z[:-1] ** 2) ** 2 + (1.0 - z[:-1]) ** 2))
    g = np.zeros_like(z)
    g[:-1] = -400.0 * z[:-1] * (z[1:] - z[:-1] ** 2) - 2.0 * (1.0 - z[:-1])
    g[1:] += 200.0 * (z[1:] - z[:-1] ** 2)
    return f, [p.reshape(x.shape) for p, x in
               zip(np.split(g, np.cumsum([x.size for x in xs])[:-1]), xs, strict=True)]


def coupled_value_and_grads(xs):
    """f = Σ log cosh(z − 0.5) + z⁴/40 + (Σ z)²/20 over z = all entries of xs; (f, grads).

    Smooth, non-quadratic and coupled, but well conditioned: round-off does not grow."""
    z = np.concatenate([x.ravel() for x in xs])
    f = float(np.sum(np.log(np.cosh(z - 0.5)) + z**4 / 40) + z.sum() ** 2 / 20)
    g = np.tanh(z - 0.5) + z**3 / 10 + z.sum() / 10
    return f, [p.reshape(x.shape) for p, x in
               zip(np.split(g, np.cumsum([x.size for x in xs])[:-1]), xs, strict=True)]


LBFGS_SHAPES = [(3,), (2, 2), ()]
LBFGS_CASES = [
    *grid(line_search_fn=[None, "strong_wolfe"], history_size=[100, 3]),
    dict(lr=0.5, max_iter=7, line_search_fn=None),
    dict(lr=0.3, max_iter=5, history_size=2, line_search_fn=None),
    dict(lr=0.8, max_iter=4, max_eval=6, line_search_fn="strong_wolfe"),
    dict(tolerance_grad=1e-3, tolerance_change=1e-5, line_search_fn="strong_wolfe"),
]


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=str)
def test_lbfgs_matches_torch_step_by_step(kwargs):
    x0s = [np.full(s, v) for s, v in zip(LBFGS_SHAPES, (-2.0, 1.5, 3.0), strict=True)]
    xs = [x.copy() for x in x0s]
    ps = [torch.nn.Parameter(torch.tensor(x)) for x in x0s]
    ours, theirs = optim.LBFGS(**kwargs), torch.optim.LBFGS(ps, **kwargs)

    def torch_closure():
        f, gs = coupled_value_and_grads([p.detach().numpy().copy() for p in ps])
        for p, g in zip(ps, gs, strict=True):
            p.grad = torch.from_numpy(g)
        return torch.tensor(f)

    for _ in range(6):
        loss = ours.step(xs, lambda: coupled_value_and_grads(xs))
        want = float(theirs.step(torch_closure))
        assert loss == pytest.approx(want, rel=1e-9)
        for x, p in zip(xs, ps, strict=True):
            np.testing.assert_allclose(x, p.detach().numpy(), rtol=1e-9, atol=1e-12)
    assert ours.state[0]["func_evals"] == theirs.state[ps[0]]["func_evals"]
    assert ours.state[0]["n_iter"] == theirs.state[ps[0]]["n_iter"]


def test_lbfgs_with_strong_wolfe_finds_the_rosenbrock_minimum():
    x = np.array([-1.2, 1.0, 0.5])
    opt = optim.LBFGS(line_search_fn="strong_wolfe", max_iter=100, tolerance_change=1e-15,
                      tolerance_grad=1e-12)

    def closure():
        f, (g,) = rosenbrock_value_and_grads([x])
        return f, g

    for _ in range(5):
        opt.step(x, closure)
    np.testing.assert_allclose(x, np.ones(3), atol=1e-6)  # the minimizer (1, 1, 1)


def test_lbfgs_defaults_match_torch():
    ours, theirs = optim.LBFGS(), torch.optim.LBFGS([torch.zeros(1)])
    for name, value in ours.hyperparameters.items():
        assert value == theirs.defaults[name], name


def test_lbfgs_names_a_bad_closure():
    x = np.zeros(2)
    with pytest.raises(ValueError, match="closure"):
        optim.LBFGS().step(x, np.ones(2))
    with pytest.raises(ValueError, match=r"grads\[0\] has shape \(3,\)"):
        optim.LBFGS().step(x, lambda: (0.0, np.ones(3)))
    with pytest.raises(ValueError, match=r"grads\[0\].*non-finite"):
        optim.LBFGS().step(x, lambda: (0.0, np.array([np.nan, 1.0])))


def test_a_single_array_steps_on_after_load_state_dict():
    grad = lambda x: np.tanh(x - 0.5)
    full, x = optim.Adam(lr=0.1), np.array([1.0, -2.0])
    for _ in range(6):
        full.step(x, grad(x))
    opt, y = optim.Adam(lr=0.1), np.array([1.0, -2.0])
    for _ in range(3):
        opt.step(y, grad(y))
    resumed = optim.Adam()
    resumed.load_state_dict(opt.state_dict())
    for _ in range(3):
        resumed.step(y, grad(y))
    np.testing.assert_array_equal(y, x)
