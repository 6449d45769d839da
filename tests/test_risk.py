"""coursekit.risk: the closed-form true risk, its gradient and the least-squares excess risk
agree with Monte Carlo estimates on fresh samples; the empirical gradient matches torch's
autograd; the surrogates match torch's functions and bound the 0-1 loss."""

import numpy as np
import pytest
import torch

from coursekit import risk

PROBLEM = risk.GaussianLinearModel.random(dim=5, noise=0.5, seed=1)
W = np.array([0.3, -0.2, 0.1, 0.0, 0.5])


def test_true_risk_and_gradient_match_monte_carlo_on_fresh_samples():
    X, y = PROBLEM.sample(400_000, np.random.default_rng(0))
    losses = (y - X @ W) ** 2
    stderr = losses.std() / np.sqrt(len(y))
    assert abs(losses.mean() - PROBLEM.risk(W)) < 5 * stderr
    grads = 2 * (X @ W - y)[:, None] * X
    stderr = grads.std(axis=0) / np.sqrt(len(y))
    assert np.all(np.abs(grads.mean(axis=0) - PROBLEM.risk_gradient(W)) < 5 * stderr)


def test_least_squares_excess_risk_matches_monte_carlo():
    rng, n, excess = np.random.default_rng(2), 20, []
    for _ in range(4000):
        X, y = PROBLEM.sample(n, rng)
        excess.append(PROBLEM.excess_risk(np.linalg.lstsq(X, y, rcond=None)[0]))
    excess = np.array(excess)
    assert abs(excess.mean() - PROBLEM.least_squares_excess_risk(n)) < \
        5 * excess.std() / np.sqrt(len(excess))
    with pytest.raises(ValueError, match="n > d"):
        PROBLEM.least_squares_excess_risk(6)


def test_empirical_risk_and_gradient_match_torch_autograd():
    X, y = PROBLEM.sample(30, np.random.default_rng(3))
    w = torch.tensor(W, requires_grad=True)
    value = torch.mean((torch.tensor(y) - torch.tensor(X) @ w) ** 2)
    value.backward()
    assert risk.empirical_risk(W, X, y) == pytest.approx(value.item(), rel=1e-12)
    np.testing.assert_allclose(risk.empirical_risk_gradient(W, X, y), w.grad.numpy(),
                               rtol=1e-12, atol=1e-14)


def test_surrogates_match_torch_and_bound_the_zero_one_loss():
    m = np.linspace(-4, 4, 801)
    t = torch.tensor(m)
    reference = {"hinge": torch.relu(1 - t), "exponential": torch.exp(-t),
                 "logistic (base 2)": torch.nn.functional.softplus(-t) / np.log(2),
                 "squared": (1 - t) ** 2, "0-1": (t <= 0).double()}
    for name, f in risk.SURROGATES.items():
        np.testing.assert_allclose(f(m), reference[name].numpy(), rtol=1e-12, atol=1e-15)
        assert np.all(f(m) >= risk.SURROGATES["0-1"](m))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="dim must be"):
        risk.GaussianLinearModel.random(0, 0.1)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 5\)"):
        PROBLEM.risk(np.zeros(3))
