"""coursekit.fisher: the Fisher of an MLP with softmax outputs equals the one torch.func builds
from per-example gradients of log p_c (expectation over the model's classes), the damped
natural gradient equals torch's solve with that matrix, K-FAC's factors and step equal the ones
built from torch autograd, and K-FAC's block is the exact Fisher block when it should be."""

import numpy as np
import pytest
import torch
from torch.func import functional_call, jacrev, vmap

from coursekit import fisher as fi
from coursekit import nn

torch.set_num_threads(1)
RNG = np.random.default_rng(0)
X = RNG.normal(size=(9, 5))
MODELS = {
    "tanh 5-6-4-3": lambda: nn.MLP([5, 6, 4, 3], activation="tanh", seed=1),
    "relu 5-7-3": lambda: nn.MLP([5, 7, 3], activation="relu", seed=2),
    "softmax regression 5-4": lambda: nn.Linear(5, 4, init="normal", rng=3),
    "sigmoid, no bias": lambda: nn.Sequential(nn.Linear(5, 6, rng=4, bias=False), nn.Sigmoid(),
                                              nn.Linear(6, 3, rng=5)),
}


def torch_log_probs(model):
    """(θ, x) ↦ log softmax of the torch twin's logits for one example x."""
    twin = nn.to_torch(model).double()
    names = [n for n, _ in twin.named_parameters()]
    shapes = [p.shape for _, p in twin.named_parameters()]

    def log_probs(theta, x):
        params, start = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            size = int(np.prod(shape))
            params[name] = theta[start:start + size].reshape(shape)
            start += size
        return torch.log_softmax(functional_call(twin, params, (x[None],))[0], dim=-1)
    return log_probs


def torch_fisher(model, X):
    """E_x Σ_c p_c ∇ log p_c ∇ log p_cᵀ from torch.func's per-example gradients."""
    log_probs = torch_log_probs(model)
    theta = torch.tensor(nn.parameters_to_vector(model))
    Xt = torch.tensor(X)
    scores = vmap(jacrev(log_probs), in_dims=(None, 0))(theta, Xt)  # (N, C, P)
    p = torch.exp(vmap(log_probs, in_dims=(None, 0))(theta, Xt))
    return torch.einsum("nc,ncp,ncq->pq", p, scores, scores).numpy() / len(X)


def torch_gradient(model, X, y):
    twin = nn.to_torch(model).double()
    loss = torch.nn.functional.cross_entropy(twin(torch.tensor(X)), torch.tensor(y))
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, twin.parameters())])


def torch_kfac_factors(model, X):
    """A = mean ã ãᵀ of each Linear's inputs, G = mean Σ_c p_c g_c g_cᵀ with g_c the autograd
    gradient of log p_c with respect to the Linear's outputs."""
    twin = nn.to_torch(model).double()
    linears = [m for m in twin.modules() if isinstance(m, torch.nn.Linear)]
    inputs, outputs = {}, {}

    def remember(module, args, out):
        inputs[module], outputs[module] = args[0], out

    hooks = [m.register_forward_hook(remember) for m in linears]
    log_p = torch.log_softmax(twin(torch.tensor(X)), dim=-1)
    for h in hooks:
        h.remove()
    p, n = torch.exp(log_p).detach(), len(X)
    factors = []
    for m in linears:
        # example i's log p depends only on row i, so one gradient per class gives all rows
        g = torch.stack([torch.autograd.grad(log_p[:, c].sum(), outputs[m], retain_graph=True)[0]
                         for c in range(log_p.shape[1])], dim=1)  # (N, C, n_out)
        G = torch.einsum("nc,nco,ncq->oq", p, g, g) / n
        a = inputs[m].detach()
        if m.bias is not None:
            a = torch.cat([a, torch.ones(n, 1, dtype=a.dtype)], dim=1)
        factors.append((a.T @ a / n, G))
    return factors


@pytest.mark.parametrize("name", list(MODELS))
def test_fisher_matches_torch_per_example_gradients_over_the_model_classes(name):
    model = MODELS[name]()
    F = fi.fisher(model, X)
    reference = torch_fisher(model, X)
    assert F.shape == (nn.count_parameters(model),) * 2
    np.testing.assert_allclose(F, reference, rtol=0, atol=1e-10 * np.abs(reference).max())


def test_fisher_of_softmax_regression_is_the_closed_form_kronecker_expectation():
    """One Linear layer: F = E_x[(diag(p) − ppᵀ) ⊗ ã ãᵀ] (rows of W, then b, in θ's order)."""
    model = nn.Linear(5, 4, init="normal", rng=3)
    logits = torch.tensor(X) @ torch.tensor(model.weight).T + torch.tensor(model.bias)
    p = torch.softmax(logits, dim=-1).numpy()
    A1 = np.hstack([X, np.ones((len(X), 1))])
    blocks = [np.kron(np.diag(q) - np.outer(q, q), np.outer(a, a)) for q, a in zip(p, A1,
                                                                                   strict=True)]
    closed = np.mean(blocks, axis=0)  # in [W | b] row-major order
    order = np.concatenate([(np.arange(4)[:, None] * 6 + np.arange(5)).ravel(),
                            np.arange(4) * 6 + 5])
    np.testing.assert_allclose(fi.fisher(model, X), closed[np.ix_(order, order)], rtol=0,
                               atol=1e-12)


@pytest.mark.parametrize("damping", [1e-3, 0.1])
def test_natural_gradient_matches_torch_solve_with_torch_fisher(damping):
    model = MODELS["tanh 5-6-4-3"]()
    y = np.arange(len(X)) % 3
    grad = nn.loss_and_gradient(model, nn.CrossEntropyLoss(), X, y)[1]
    F_t = torch.tensor(torch_fisher(model, X))
    reference = torch.linalg.solve(F_t + damping * torch.eye(len(F_t), dtype=torch.float64),
                                   torch_gradient(model, X, y)).numpy()
    direction = fi.natural_gradient(fi.fisher(model, X), grad, damping)
    np.testing.assert_allclose(direction, reference, rtol=1e-8,
                               atol=1e-10 * np.abs(reference).max())


@pytest.mark.parametrize("name", list(MODELS))
def test_kfac_factors_match_torch_autograd(name):
    model = MODELS[name]()
    for ours, (A, G) in zip(fi.kfac_factors(model, X), torch_kfac_factors(model, X),
                            strict=True):
        np.testing.assert_allclose(ours.A, A.numpy(), rtol=0, atol=1e-12 * A.abs().max().item())
        np.testing.assert_allclose(ours.G, G.numpy(), rtol=0, atol=1e-12 * G.abs().max().item())


@pytest.mark.parametrize("name", list(MODELS))
def test_kfac_block_equals_the_exact_fisher_block_for_one_example(name):
    """With one x, ã does not depend on the class, so E[g gᵀ ⊗ ã ãᵀ] = E[g gᵀ] ⊗ ã ãᵀ: every
    diagonal block of torch's Fisher is K-FAC's G ⊗ A. With several examples it is not."""
    model = MODELS[name]()
    for rows, exact in [(X[:1], True), (X, False)]:
        reference, start = torch_fisher(model, rows), 0
        for factors in fi.kfac_factors(model, rows):
            size = sum(p.size for p in factors.layer.params())
            block = reference[start:start + size, start:start + size]
            gap = np.abs(factors.block() - block).max()
            if exact:
                assert gap <= 1e-12 * np.abs(block).max()
            else:
                assert gap > 1e-3 * np.abs(block).max()
            start += size


@pytest.mark.parametrize("damping", [1e-4, 1e-2, 1.0])
def test_kfac_direction_solves_the_damped_kronecker_system_built_in_torch(damping):
    """Per layer: (G + √λ/π I) ⊗ (A + π√λ I) vec(Δ̃) = vec(∇W̃), π² = (tr A/dim A)/(tr G/dim G)."""
    model = MODELS["tanh 5-6-4-3"]()
    y = np.arange(len(X)) % 3
    grad = torch_gradient(model, X, y)
    expected, start = [], 0
    for A, G in torch_kfac_factors(model, X):
        n_out, width = len(G), len(A)
        n_in = width - 1
        pi = torch.sqrt((torch.trace(A) / width) / (torch.trace(G) / n_out))
        gW = grad[start:start + n_out * n_in].reshape(n_out, n_in)
        gb = grad[start + n_out * n_in:start + n_out * width]
        root = damping ** 0.5
        system = torch.kron(G + root / pi * torch.eye(n_out, dtype=torch.float64),
                            A + pi * root * torch.eye(width, dtype=torch.float64))
        step = torch.linalg.solve(system, torch.cat([gW, gb[:, None]], dim=1).reshape(-1))
        step = step.reshape(n_out, width)
        expected += [step[:, :n_in].reshape(-1), step[:, n_in]]
        start += n_out * width
    expected = torch.cat(expected).numpy()
    ours = fi.kfac_direction(model, X, grad.numpy(), damping)
    np.testing.assert_allclose(ours, expected, rtol=1e-8, atol=1e-10 * np.abs(expected).max())


def test_damped_natural_gradient_tends_to_the_gradient_over_lambda():
    """(F + λI)⁻¹g → g/λ as λ → ∞ (K-FAC's factored damping more slowly, as 1/√λ)."""
    model = MODELS["relu 5-7-3"]()
    grad = RNG.normal(size=nn.count_parameters(model))
    F = fi.fisher(model, X)
    lam = 1e8
    for direction, tol in [(fi.natural_gradient(F, grad, lam), 1e-7),  # error O(‖F‖/λ)
                           (fi.kfac_direction(model, X, grad, lam), 1e-3)]:  # O(1/√λ)
        assert np.linalg.norm(lam * direction - grad) <= tol * np.linalg.norm(grad)


def test_kfac_direction_stays_finite_when_every_prediction_is_one_hot():
    """Saturated softmax: p is exactly one-hot, so F = 0 and G = 0 (π would be ∞)."""
    model = nn.Linear(5, 3, init="normal", rng=0)
    model.weight *= 1e8
    grad = RNG.normal(size=nn.count_parameters(model))
    assert np.all(fi.fisher(model, X) == 0)
    direction = fi.kfac_direction(model, X, grad, 1e-2)
    assert np.all(np.isfinite(direction))
    np.testing.assert_allclose(fi.natural_gradient(fi.fisher(model, X), grad, 1e-2), grad / 1e-2)


def test_bad_arguments_are_refused_with_a_clear_message():
    model = MODELS["tanh 5-6-4-3"]()
    size = nn.count_parameters(model)
    with pytest.raises(ValueError, match="batchnorm or dropout"):
        fi.fisher(nn.MLP([5, 4, 3], batchnorm=True), X)
    with pytest.raises(ValueError, match="raise max_parameters"):
        fi.fisher(model, X, max_parameters=10)
    with pytest.raises(ValueError, match="damping must be a finite number > 0"):
        fi.natural_gradient(np.eye(size), np.ones(size), 0.0)
    with pytest.raises(ValueError, match=r"F must be \(P, P\) and grad \(P,\)"):
        fi.natural_gradient(np.eye(size), np.ones(size + 1), 1.0)
    with pytest.raises(ValueError, match=rf"grad must have shape \({size},\)"):
        fi.kfac_direction(model, X, np.ones(3), 1.0)
    with pytest.raises(ValueError, match="damping must be a finite number > 0"):
        fi.kfac_direction(model, X, np.ones(size), -1.0)
    with pytest.raises(ValueError, match="no Linear layer"):
        fi.kfac_factors(nn.Tanh(), X)
