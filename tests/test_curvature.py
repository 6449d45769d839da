"""coursekit.curvature: complex-step Hessian-vector products equal torch's double-backward ones
to round-off, the dense Hessian equals torch.autograd.functional.hessian, Lanczos and power
iteration find numpy.linalg.eigvalsh's extreme eigenvalues, and nothing touches the model."""

import numpy as np
import pytest
import torch
from torch.func import functional_call

from coursekit import curvature, nn

torch.set_num_threads(1)  # tiny ops: thread hand-offs cost more than they save on 2 cores
RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 5))
Y = np.arange(24) % 3
T = RNG.normal(size=(24, 3))


def torch_loss_fn(model, loss_name, X, y):
    """θ (torch flat vector) ↦ L(θ) for the torch twin of ``model``."""
    twin = nn.to_torch(model).double()
    names = [n for n, _ in twin.named_parameters()]
    shapes = [p.shape for _, p in twin.named_parameters()]
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y)
    crit = torch.nn.CrossEntropyLoss() if loss_name == "ce" else torch.nn.MSELoss()

    def f(theta):
        params, start = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            n = int(np.prod(shape))
            params[name] = theta[start:start + n].reshape(shape)
            start += n
        return crit(functional_call(twin, params, (Xt,)), yt)
    return f


def torch_hvp(model, loss_name, X, y, v):
    f = torch_loss_fn(model, loss_name, X, y)
    theta = torch.tensor(nn.parameters_to_vector(model), dtype=torch.float64,
                         requires_grad=True)
    (g,) = torch.autograd.grad(f(theta), theta, create_graph=True)
    (hv,) = torch.autograd.grad(g @ torch.tensor(v), theta)
    return hv.numpy()


def torch_hessian(model, loss_name, X, y):
    """Row by row: double backward of one graph against each basis vector."""
    f = torch_loss_fn(model, loss_name, X, y)
    theta = torch.tensor(nn.parameters_to_vector(model), dtype=torch.float64,
                         requires_grad=True)
    (g,) = torch.autograd.grad(f(theta), theta, create_graph=True)
    basis = torch.eye(theta.numel(), dtype=torch.float64)
    return torch.stack([torch.autograd.grad(g, theta, grad_outputs=e, retain_graph=True)[0]
                        for e in basis]).numpy()


LOSSES = {"ce": (nn.CrossEntropyLoss, Y), "mse": (nn.MSELoss, T)}
MODELS = {
    "tanh+batchnorm": lambda: nn.MLP([5, 6, 4, 3], activation="tanh", batchnorm=True, seed=1),
    "relu": lambda: nn.MLP([5, 7, 3], activation="relu", seed=2),
    "sigmoid": lambda: nn.MLP([5, 4, 3], activation="sigmoid", seed=3),
}


@pytest.mark.parametrize("model_name", list(MODELS))
@pytest.mark.parametrize("loss_name", ["ce", "mse"])
def test_hvp_matches_torch_double_backward_to_round_off(model_name, loss_name):
    model = MODELS[model_name]()
    loss_cls, targets = LOSSES[loss_name]
    v = np.random.default_rng(4).normal(size=nn.count_parameters(model))
    ours = curvature.hvp(model, loss_cls(), X, targets, v)
    ref = torch_hvp(model, loss_name, X, targets, v)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


def test_hvp_in_eval_mode_uses_running_statistics_like_torch():
    model = MODELS["tanh+batchnorm"]()
    for _ in range(3):
        model.forward(RNG.normal(size=(8, 5)) * 2 + 1)
    model.eval()
    v = np.random.default_rng(5).normal(size=nn.count_parameters(model))
    ours = curvature.hvp(model, nn.CrossEntropyLoss(), X, Y, v)
    ref = torch_hvp(model, "ce", X, Y, v)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


def test_dense_hessian_matches_torch_and_its_extreme_eigenvalues_are_found():
    model = MODELS["tanh+batchnorm"]()
    loss = nn.CrossEntropyLoss()
    H = curvature.hessian(model, loss, X, Y)
    ref = torch_hessian(model, "ce", X, Y)
    np.testing.assert_allclose(H, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())
    eigs = np.linalg.eigvalsh(ref)
    top = curvature.top_eigenvalues(model, loss, X, Y, k=3)
    np.testing.assert_allclose(top, eigs[::-1][:3], rtol=1e-8)
    power = curvature.top_eigenvalues(model, loss, X, Y, method="power", iters=500, tol=1e-10)
    np.testing.assert_allclose(power, eigs[np.argmax(np.abs(eigs))], rtol=1e-8)


def test_top_eigenvectors_are_unit_eigenvectors_of_the_torch_hessian():
    model = MODELS["relu"]()
    values, vectors = curvature.top_eigenvalues(model, nn.CrossEntropyLoss(), X, Y, k=2,
                                                return_vectors=True)
    ref = torch_hessian(model, "ce", X, Y)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=0), 1.0, rtol=1e-10)
    np.testing.assert_allclose(ref @ vectors, vectors * values, atol=1e-6 * values[0])


def test_sharpness_of_linear_least_squares_is_the_closed_form():
    # L(w, b) = mean((Xw + b − t)²) has H = (2/N) [X 1]ᵀ[X 1]: λ_max in closed form
    model = nn.Linear(5, 1, rng=0)
    t = RNG.normal(size=(24, 1))
    A = np.c_[X, np.ones(24)]
    expected = np.linalg.eigvalsh(2 / 24 * A.T @ A)[-1]
    assert curvature.sharpness(model, nn.MSELoss(), X, t) == pytest.approx(expected, rel=1e-10)


def test_lanczos_and_power_iteration_on_a_known_spectrum():
    eigs = np.r_[-50.0, np.linspace(-1, 1, 60), 10.0, 20.0]
    Q, _ = np.linalg.qr(np.random.default_rng(6).normal(size=(63, 63)))
    A = (Q * eigs) @ Q.T
    values, vectors = curvature.lanczos(lambda v: A @ v, 63, k=2)
    np.testing.assert_allclose(values, [20.0, 10.0], rtol=1e-10)
    np.testing.assert_allclose(np.abs(vectors[:, 0] @ Q[:, -1]), 1.0, rtol=1e-8)
    values, _ = curvature.power_iteration(lambda v: A @ v, 63, k=2, iters=500, tol=1e-12)
    np.testing.assert_allclose(values, [-50.0, 20.0], rtol=1e-10)


def test_curvature_tools_leave_the_model_untouched_and_ignore_dropout():
    model = nn.MLP([5, 6, 3], batchnorm=True, dropout=0.5, seed=7)
    no_dropout = nn.Sequential(*[layer for layer in model if not isinstance(layer, nn.Dropout)])
    theta = nn.parameters_to_vector(model)
    running = model[1].running_mean.copy()
    v = np.random.default_rng(8).normal(size=theta.size)
    with_dropout = curvature.hvp(model, nn.CrossEntropyLoss(), X, Y, v)
    curvature.top_eigenvalues(model, nn.CrossEntropyLoss(), X, Y, iters=10)
    np.testing.assert_array_equal(nn.parameters_to_vector(model), theta)
    np.testing.assert_array_equal(model[1].running_mean, running)
    assert model[0].weight.dtype == np.float64 and model.training
    ref = torch_hvp(no_dropout, "ce", X, Y, v)
    np.testing.assert_allclose(with_dropout, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


def test_float32_models_get_a_float64_accurate_hvp():
    model = MODELS["relu"]().astype(np.float32)
    v = np.random.default_rng(9).normal(size=nn.count_parameters(model))
    ours = curvature.hvp(model, nn.CrossEntropyLoss(), X, Y, v)
    assert ours.dtype == np.float64
    ref = torch_hvp(model, "ce", X, Y, v)  # torch twin promoted to float64
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


def test_hessian_operator_gradient_matches_backprop():
    model = MODELS["sigmoid"]()
    H = curvature.HessianOperator(model, nn.CrossEntropyLoss(), X, Y)
    value, grad = H.gradient()
    ref_value, ref_grad = nn.loss_and_gradient(model, nn.CrossEntropyLoss(), X, Y)
    assert value == pytest.approx(ref_value, rel=1e-14)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)
    assert H.shape == (nn.count_parameters(model),) * 2


def test_filter_normalized_direction_matches_weight_row_norms_and_skips_vectors():
    model = nn.MLP([5, 6, 3], batchnorm=True, seed=10)
    d = curvature.filter_normalized_direction(model, rng=0)
    start = 0
    for p in model.params():
        part = d[start:start + p.size].reshape(p.shape)
        start += p.size
        if p.ndim == 1:
            assert np.all(part == 0)
        else:
            np.testing.assert_allclose(np.linalg.norm(part, axis=1), np.linalg.norm(p, axis=1))


def test_loss_surface_evaluates_shifted_parameters_without_moving_the_model():
    model = nn.MLP([5, 4, 3], seed=11)
    loss = nn.CrossEntropyLoss()
    theta = nn.parameters_to_vector(model)
    d1 = curvature.filter_normalized_direction(model, rng=1)
    d2 = curvature.filter_normalized_direction(model, rng=2)
    coords = np.array([[0.0, 0.0], [0.5, -0.25], [1.0, 2.0]])
    values = curvature.loss_surface(model, loss, X, Y, [d1, d2], coords)
    np.testing.assert_array_equal(nn.parameters_to_vector(model), theta)
    f = torch_loss_fn(model, "ce", X, Y)
    for a, value in zip(coords, values, strict=True):
        ref = f(torch.tensor(theta + a[0] * d1 + a[1] * d2)).item()
        assert value == pytest.approx(ref, rel=1e-12)
    line = curvature.loss_surface(model, loss, X, Y, d1, np.array([0.0, 1.0]))
    assert line.shape == (2,) and line[0] == pytest.approx(values[0])


def test_bad_arguments_are_refused():
    model = nn.MLP([5, 4, 3])
    loss = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match=r"\(39,\).*\(38,\)"):
        curvature.hvp(model, loss, X, Y, np.zeros(38))
    with pytest.raises(ValueError, match="P = 39.*max_parameters"):
        curvature.hessian(model, loss, X, Y, max_parameters=10)
    with pytest.raises(ValueError, match="method"):
        curvature.top_eigenvalues(model, loss, X, Y, method="arnoldi")
    with pytest.raises(ValueError, match=r"k must lie in \[1, 39\]"):
        curvature.top_eigenvalues(model, loss, X, Y, k=40)
    with pytest.raises(ValueError, match=r"Linear\(5, 4\).*\(24, 4\)"):
        curvature.hvp(model, loss, X[:, :4], Y, np.zeros(39))
