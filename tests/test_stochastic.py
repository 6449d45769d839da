"""coursekit.stochastic against finite differences, exact enumeration and closed forms.

The loops are driven by coursekit.optim's SGD and Adam, which tests/test_optim.py proves equal
to torch.optim's to round-off.
"""

from itertools import combinations, product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.landscapes import DoubleWell, Rosenbrock
from coursekit.optim import SGD, Adam
from coursekit.stochastic import (
    LeastSquares,
    Tilted,
    TwoLayerLinear,
    minibatch_gradient_variance,
    online_counterexample,
    predicted_variance,
    run_stochastic,
    sign_counterexample,
)


def least_squares(n=12, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return LeastSquares(X, X @ rng.normal(size=d) + 0.5 * rng.normal(size=n))


def problems():
    rng = np.random.default_rng(1)
    x = rng.normal(size=9)
    return [
        least_squares(),
        least_squares(n=7, d=3, seed=2),
        Tilted.with_noise(Rosenbrock(), n=8, scale=3.0, seed=3),
        Tilted.with_noise(DoubleWell(tilt=0.2), n=5, scale=0.5, seed=4),
        TwoLayerLinear(x, 1.5 * x + 0.1 * rng.normal(size=9)),
        sign_counterexample(),
    ]


def central_difference(fun, theta, h=1e-6):
    """∂fun/∂θ_j by central differences; fun maps (d,) to any shape S, result S + (d,)."""
    cols = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        cols.append((fun(theta + e) - fun(theta - e)) / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("problem", problems(), ids=lambda p: p.name)
def test_example_gradients_and_hessian_match_finite_differences(problem):
    theta = np.random.default_rng(5).normal(size=problem.dim) * 0.7
    numeric = central_difference(problem.example_values, theta)
    np.testing.assert_allclose(problem.example_grads(theta), numeric, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(problem.grad(theta), numeric.mean(axis=0), rtol=1e-6, atol=1e-6)
    hess = central_difference(problem.grad, theta)
    np.testing.assert_allclose(problem.hessian(theta), hess, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("problem", problems(), ids=lambda p: p.name)
def test_minibatch_gradient_averaged_over_all_batches_is_the_full_gradient(problem):
    theta = np.linspace(-0.5, 0.8, problem.dim)
    m = min(3, problem.n)
    batches = [np.array(c) for c in combinations(range(problem.n), m)]
    mean = np.mean([problem.minibatch_grad(theta, b) for b in batches], axis=0)
    full = central_difference(problem, theta)
    np.testing.assert_allclose(mean, full, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_predicted_variance_equals_exact_enumeration_of_batches(m, replace):
    problem = least_squares(n=6)
    theta = np.array([0.3, -0.2])
    full = problem.grad(theta)
    if replace:  # every ordered m-tuple with repeats is equally likely
        batches = product(range(problem.n), repeat=m)
    else:  # every m-subset is equally likely
        batches = combinations(range(problem.n), m)
    exact = np.mean([np.sum((problem.minibatch_grad(theta, np.array(b)) - full) ** 2)
                     for b in batches])
    sigma2 = problem.gradient_variance(theta)
    assert predicted_variance(sigma2, problem.n, m, replace) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("replace", [True, False])
def test_measured_variance_agrees_with_prediction_within_sampling_error(replace):
    problem = least_squares(n=400)
    theta = np.array([1.0, -1.0])
    sizes, trials = np.array([1, 4, 16, 64]), 4000
    measured = minibatch_gradient_variance(problem, theta, sizes, trials=trials, seed=0,
                                           replace=replace)
    predicted = predicted_variance(problem.gradient_variance(theta), problem.n, sizes, replace)
    # Each trial's squared error has relative spread at most that of one example's
    # (‖gᵢ − ∇E‖², heavy-tailed) or of a chi-square with d = 2 (large batches): allow 4 SE.
    g = problem.example_grads(theta)
    one = np.sum((g - g.mean(axis=0)) ** 2, axis=-1)
    spread = max(one.std() / one.mean(), 1.0)
    np.testing.assert_allclose(measured, predicted, rtol=4 * spread / np.sqrt(trials))


def test_epochs_without_replacement_visit_every_example_once():
    problem = least_squares(n=12)
    batches = problem.batches(4, seed=3, replace=False)
    for _ in range(3):
        epoch = np.concatenate([next(batches) for _ in range(3)])
        assert sorted(epoch.tolist()) == list(range(12))


def test_oracle_is_reproducible_for_a_seed_and_differs_across_seeds():
    problem = least_squares(n=50)
    theta = np.array([0.2, 0.4])
    a, b, c = (problem.oracle(5, seed=s) for s in (1, 1, 2))
    ga, gb, gc = ([o(theta) for _ in range(4)] for o in (a, b, c))
    np.testing.assert_array_equal(ga, gb)
    assert not np.allclose(ga, gc)


def test_sign_counterexample_normalized_steps_go_the_wrong_way_on_average():
    f = sign_counterexample()
    x = np.array([0.7])
    assert f.grad(x)[0] == pytest.approx(-1 / 3)  # descent direction: increase x
    g = f.example_grads(x)[:, 0]
    np.testing.assert_array_equal(g, [-3.0, 1.0, 1.0])
    assert np.mean(-np.sign(g)) == pytest.approx(-1 / 3)  # normalized steps decrease x
    assert f(x) == pytest.approx((-3 * 0.7 + 0.7 + 0.7 + 1) / 3)


@given(lr=st.floats(1e-3, 0.5), k=st.integers(0, 20))
@settings(deadline=None, max_examples=10)
def test_full_batch_run_is_gradient_descent_in_closed_form(lr, k):
    problem = least_squares(n=10)
    lr = lr / problem.A.trace()
    x0 = np.array([2.0, -1.0])
    run = run_stochastic(SGD(lr=lr), problem, x0, k, batch_size=10)
    star = problem.minimizer
    expected = star + np.linalg.matrix_power(np.eye(2) - lr * problem.A, k) @ (x0 - star)
    np.testing.assert_allclose(run.final, expected, rtol=1e-9, atol=1e-12)
    assert run.diverged is None and len(run.lrs) == k and len(run.batch_losses) == k


def test_run_stochastic_steps_the_schedule_and_records_the_lr_used():
    problem = least_squares(n=20)
    opt = SGD(lr=0.1)
    halving = type("Halving", (), {"step": lambda self: setattr(opt, "lr", opt.lr / 2)})()
    run = run_stochastic(opt, problem, np.zeros(2), 4, batch_size=5, scheduler=halving)
    np.testing.assert_allclose(run.lrs, [0.1, 0.05, 0.025, 0.0125])


def test_run_stochastic_stops_quietly_when_it_diverges():
    problem = least_squares(n=20)
    opt = SGD(lr=50.0)
    with np.errstate(all="raise"):
        run = run_stochastic(opt, problem, np.ones(2), 500, batch_size=4, bound=1e6)
    assert run.diverged is not None and run.steps == run.diverged - 1
    assert np.all(np.isfinite(run.points)) and np.all(np.isfinite(run.losses))


def test_adam_converges_to_the_worst_point_and_amsgrad_to_the_best():
    C = 3.0
    hyper = {"lr": 0.1, "betas": (0.0, 1 / (1 + C**2))}
    T = 2000
    adam = online_counterexample(Adam(**hyper), T, C)
    ams = online_counterexample(Adam(amsgrad=True, **hyper), T, C)
    assert adam.x[-30:].mean() > 0.99 and ams.x[-30:].mean() < -0.9
    # Reddi et al.: Adam's average regret tends to (C − 2)·2/3 per step, AMSGrad's to 0.
    assert adam.regret[-1] / T == pytest.approx(2 * (C - 2) / 3, rel=0.1)
    assert ams.regret[-1] / T < 0.15


def test_online_counterexample_accepts_integer_c():
    run = online_counterexample(Adam(lr=0.1, betas=(0.0, 0.1)), 30, C=3, x0=0)
    assert run.x.dtype == np.float64 and run.x.shape == (31,) and np.all(np.abs(run.x) <= 1)


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: LeastSquares(np.ones((3, 2)), np.ones(4)), "y of shape"),
        (lambda: Tilted(Rosenbrock(), np.ones((3, 3))), "slopes"),
        (lambda: Tilted(None, np.ones((3, 1)), np.ones(2)), "offsets"),
        (lambda: TwoLayerLinear(np.ones(3), np.ones(2)), "same shape"),
        (lambda: least_squares().minibatch_grad(np.zeros(2), np.array([0, 12])), r"\[0, n=12\)"),
        (lambda: least_squares().minibatch_grad(np.zeros(2), np.array([0.5])), "integer"),
        (lambda: next(least_squares().batches(13)), "batch_size"),
        (lambda: online_counterexample(None, 3, C=2.0), "C must be > 2"),
        (lambda: minibatch_gradient_variance(least_squares(), np.zeros(2), [0]), "batch sizes"),
    ],
)
def test_bad_input_raises_a_value_error_naming_it(build, match):
    with pytest.raises(ValueError, match=match):
        build()
