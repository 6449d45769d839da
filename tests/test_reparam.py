"""coursekit.reparam: GD under w = Aw̃ vs preconditioned GD, ReLU rescaling, the path norm."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import reparam
from coursekit.landscapes import Himmelblau, Quadratic, Rosenbrock
from coursekit.nn import MLP, CrossEntropyLoss, Tanh, to_torch
from coursekit.optim import SGD, run


def torch_rosenbrock(w):
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


def random_invertible(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, 2)) + 2 * np.eye(2)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_reparameterized_gradient_and_hessian_match_torch_autograd(seed):
    A = random_invertible(seed)
    f = reparam.Reparameterized(Rosenbrock(), A)
    w_tilde = np.random.default_rng(seed + 1).uniform(-1, 1, 2)
    At = torch.tensor(A)
    wt = torch.tensor(w_tilde, requires_grad=True)
    value = torch_rosenbrock(At @ wt)
    (grad,) = torch.autograd.grad(value, wt)
    hessian = torch.autograd.functional.hessian(lambda v: torch_rosenbrock(At @ v),
                                                torch.tensor(w_tilde))
    np.testing.assert_allclose(f(w_tilde), value.item(), rtol=1e-12)
    np.testing.assert_allclose(f.grad(w_tilde), grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(f.hessian(w_tilde), hessian.numpy(), rtol=1e-10, atol=1e-9)


def test_gd_under_w_equals_A_w_tilde_matches_torch_sgd_and_preconditioned_gd():
    A = np.array([[1.0, 0.4], [-0.3, 0.6]])
    f = Rosenbrock()
    lr, steps, w0 = 1e-3, 200, np.array([-1.2, 1.0])
    g = reparam.Reparameterized(f, A)
    tilde = run(SGD(lr=lr), g, g.from_original(w0), steps)
    pre = run(SGD(lr=lr), f, w0, steps, grad=reparam.preconditioned_gradient(f, A @ A.T))
    # The reference: torch's SGD on w̃ with the loss f(A w̃).
    wt = torch.tensor(g.from_original(w0), requires_grad=True)
    opt = torch.optim.SGD([wt], lr=lr)
    points = [wt.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        torch_rosenbrock(torch.tensor(A) @ wt).backward()
        opt.step()
        points.append(wt.detach().clone())
    torch_path = torch.stack(points).numpy() @ A.T
    np.testing.assert_allclose(g.to_original(tilde.points), torch_path, rtol=1e-10, atol=1e-12)
    assert np.max(np.abs(g.to_original(tilde.points) - pre.points)) < 1e-12


def test_preconditioning_with_the_inverse_hessian_solves_a_quadratic_in_one_step():
    f = Quadratic.from_eigenvalues([0.01, 1.0], angle=0.4, b=np.array([0.3, -0.2]))
    path = run(SGD(lr=1.0), f, np.array([2.0, 1.0]), 1,
               grad=reparam.preconditioned_gradient(f, np.linalg.inv(f.A)))
    np.testing.assert_allclose(path.final, f.minimizer, atol=1e-12)


def test_reparameterized_maps_critical_points_and_refuses_singular_A():
    A = random_invertible(3)
    g = reparam.Reparameterized(Himmelblau(), A)
    saddles = g.critical_points["saddle"]
    np.testing.assert_allclose(g.to_original(saddles),
                               Himmelblau().critical_points["saddle"], atol=1e-12)
    assert np.max(np.linalg.norm(g.grad(saddles), axis=1)) < 1e-9
    with pytest.raises(ValueError, match="invertible"):
        reparam.Reparameterized(Rosenbrock(), np.array([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(ValueError, match="shape"):
        reparam.Reparameterized(Rosenbrock(), np.eye(3))
    with pytest.raises(ValueError, match="P must have shape"):
        reparam.preconditioned_gradient(Rosenbrock(), np.eye(3))


def random_batch(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 6)), rng.integers(0, 4, n)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "identity"])
def test_rescaling_hidden_units_keeps_the_function_and_scales_gradients_like_torch(activation):
    X, y = random_batch()
    model = MLP([6, 5, 7, 4], activation=activation, seed=1)
    c = np.array([0.1, 3.0, 7.0])
    rescaled = reparam.rescale_hidden_units(model, 1, c, units=[0, 2, 5])
    np.testing.assert_allclose(rescaled.forward(X), model.forward(X), rtol=1e-12, atol=1e-13)
    # Reference gradients from torch.autograd on both networks.
    grads = []
    for net in (model, rescaled):
        t = to_torch(net)
        loss = torch.nn.functional.cross_entropy(t(torch.tensor(X)), torch.tensor(y))
        grads.append(torch.autograd.grad(loss, list(t.parameters())))
    (w2, b2, w3) = (2, 3, 4)  # indices of the second Linear's weight, bias; third's weight
    for j, unit in enumerate([0, 2, 5]):
        np.testing.assert_allclose(grads[1][w2][unit], grads[0][w2][unit] / c[j], rtol=1e-10)
        np.testing.assert_allclose(grads[1][b2][unit], grads[0][b2][unit] / c[j], rtol=1e-10)
        np.testing.assert_allclose(grads[1][w3][:, unit], grads[0][w3][:, unit] * c[j],
                                   rtol=1e-10)
    assert np.all(model.layers[2].weight == MLP([6, 5, 7, 4], activation=activation,
                                                seed=1).layers[2].weight)


def test_rescaling_changes_the_gradient_descent_path_but_not_the_function_at_start():
    X, y = random_batch()
    loss = CrossEntropyLoss()
    model = MLP([6, 8, 4], seed=2)
    rescaled = reparam.rescale_hidden_units(model, 0, 4.0)
    losses = []
    for net in (model, rescaled):
        opt = SGD(lr=0.1)
        for _ in range(20):
            loss.forward(net.forward(X), y)
            net.backward(loss.backward())
            opt.step(net.params(), net.grads())
        losses.append(loss.forward(net.forward(X), y))
    assert abs(losses[0] - losses[1]) > 1e-3


def test_rescaling_refuses_tanh_nonpositive_scales_and_bad_indices():
    model = MLP([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match="ReLU"):
        reparam.rescale_hidden_units(MLP([3, 4, 2], activation="tanh"), 0, 2.0)
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="scale"):
            reparam.rescale_hidden_units(model, 0, bad)
    with pytest.raises(ValueError, match="layer"):
        reparam.rescale_hidden_units(model, 1, 2.0)
    with pytest.raises(ValueError, match="units"):
        reparam.rescale_hidden_units(model, 0, 2.0, units=[4])
    assert isinstance(MLP([3, 4, 2], activation="tanh").layers[1], Tanh)


def test_path_norm_equals_brute_force_sum_over_paths_and_is_rescaling_invariant():
    model = MLP([3, 4, 2, 2], seed=5)
    model.layers[0].bias[:] = [0.1, -0.2, 0.3, 0.05]
    model.layers[2].bias[:] = [0.4, -0.1]
    W1, b1 = model.layers[0].weight, model.layers[0].bias
    W2, b2 = model.layers[2].weight, model.layers[2].bias
    W3, b3 = model.layers[4].weight, model.layers[4].bias
    total = 0.0
    for i, j, k, out in itertools.product(range(3), range(4), range(2), range(2)):
        total += (W1[j, i] * W2[k, j] * W3[out, k]) ** 2
    for j, k, out in itertools.product(range(4), range(2), range(2)):
        total += (b1[j] * W2[k, j] * W3[out, k]) ** 2
    for k, out in itertools.product(range(2), range(2)):
        total += (b2[k] * W3[out, k]) ** 2
    total += np.sum(b3**2)
    assert reparam.path_norm(model) == pytest.approx(np.sqrt(total), rel=1e-12)
    rescaled = reparam.rescale_hidden_units(model, 0, np.array([0.2, 5.0, 1.0, 3.0]))
    assert reparam.path_norm(rescaled) == pytest.approx(reparam.path_norm(model), rel=1e-12)
