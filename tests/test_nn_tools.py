"""coursekit.nn tools: gradcheck against torch.autograd, initializer statistics against
torch.nn.init, and the flat parameter vector against torch.nn.utils."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import nn

torch.set_num_threads(1)  # tiny ops: thread hand-offs cost more than they save on 2 cores

X = np.random.default_rng(0).normal(size=(20, 6))
Y = np.arange(20) % 3


def model_objective(model, loss, X, y):
    """θ ↦ (L(θ), ∇L(θ)), loading θ into the model first."""
    def f(theta):
        nn.vector_to_parameters(theta, model)
        return nn.loss_and_gradient(model, loss, X, y)
    return f


# -- gradcheck -------------------------------------------------------------------------------

def test_numerical_gradient_agrees_with_torch_autograd():
    x = np.random.default_rng(1).normal(size=(3, 4))
    xt = torch.tensor(x, requires_grad=True)
    (torch.sin(xt) * xt**2).sum().backward()
    numeric = nn.numerical_gradient(lambda z: float(np.sum(np.sin(z) * z**2)), x)
    np.testing.assert_allclose(numeric, xt.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_gradcheck_passes_our_backprop_through_an_mlp_with_batchnorm(activation):
    model = nn.MLP([6, 5, 4, 3], activation=activation, batchnorm=True, seed=2)
    theta = nn.parameters_to_vector(model)
    error = nn.gradcheck(model_objective(model, nn.CrossEntropyLoss(), X, Y), theta)
    assert error < 1e-6
    np.testing.assert_array_equal(nn.parameters_to_vector(model), theta)  # left at θ


def test_gradcheck_passes_input_gradients_of_each_layer():
    g = np.random.default_rng(3).normal(size=(20, 4))
    # entries much smaller than f carry relative round-off up to ~1e-6 (see gradcheck's doc)
    for layer in [nn.Linear(6, 4, rng=0),
                  nn.Sequential(nn.BatchNorm1d(6), nn.Linear(6, 4, rng=1)),
                  nn.Sequential(nn.Linear(6, 4, rng=2), nn.Sigmoid())]:
        def f(x, layer=layer):
            out = layer.forward(x)
            return float(np.sum(out * g)), layer.backward(g)
        assert nn.gradcheck(f, X) < 1e-5


def test_gradcheck_flags_a_wrong_gradient():
    def wrong(x):
        return float(np.sum(x**3)), 3 * x**2 * 1.01
    def right(x):
        return float(np.sum(x**3)), 3 * x**2
    x = np.random.default_rng(4).normal(size=5)
    assert nn.gradcheck(right, x) < 1e-7
    assert nn.gradcheck(wrong, x) == pytest.approx(0.01 / 1.01, rel=1e-3)


def test_gradcheck_refuses_f_without_a_gradient():
    with pytest.raises(ValueError, match="tuple"):
        nn.gradcheck(lambda x: float(np.sum(x)), np.zeros(3))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        nn.gradcheck(lambda x: (0.0, np.zeros(2)), np.zeros(3))


# -- initializers ----------------------------------------------------------------------------

SHAPE = (300, 400)  # (fan_out, fan_in), torch's Linear.weight layout


@pytest.mark.parametrize("ours, theirs", [
    (nn.he_normal, lambda w: torch.nn.init.kaiming_normal_(w, nonlinearity="relu")),
    (nn.he_uniform, lambda w: torch.nn.init.kaiming_uniform_(w, nonlinearity="relu")),
    (nn.glorot_uniform, torch.nn.init.xavier_uniform_),
    (nn.glorot_normal, torch.nn.init.xavier_normal_),
    (nn.torch_default, lambda w: torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))),
])
def test_initializers_have_torch_variance_and_range(ours, theirs):
    torch.manual_seed(0)
    ref = theirs(torch.empty(SHAPE, dtype=torch.float64)).numpy()
    w = ours(SHAPE, rng=0)
    assert w.shape == SHAPE and w.dtype == np.float64
    # 120 000 draws: sample std within ~0.5 % of each other; uniform ones share the bound
    assert w.std() == pytest.approx(ref.std(), rel=0.015)
    assert abs(w.mean()) < 0.01 * ref.std()
    assert np.abs(w).max() == pytest.approx(np.abs(ref).max(), rel=0.05 if "normal" in
                                            ours.__name__ else 1e-3)


def test_simple_initializers_and_dtype():
    assert np.all(nn.zeros((2, 3)) == 0)
    assert np.all(nn.constant((2, 3), value=0.5) == 0.5)
    w = nn.normal((200, 300), rng=1, std=0.1, dtype=np.float32)
    assert w.dtype == np.float32 and w.std() == pytest.approx(0.1, rel=0.02)
    np.testing.assert_array_equal(nn.he_normal((3, 4), rng=7), nn.he_normal((3, 4), rng=7))


def test_linear_accepts_an_initializer_function():
    layer = nn.Linear(3, 2, init=lambda shape, rng: np.full(shape, 0.5))
    np.testing.assert_array_equal(layer.weight, np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        nn.Linear(3, 2, init=lambda shape, rng: np.zeros((3, 2)))


# -- the flat parameter vector ---------------------------------------------------------------

def test_parameters_to_vector_matches_torch_order():
    model = nn.MLP([6, 5, 4, 3], batchnorm=True, seed=5)
    twin = nn.to_torch(model)
    ref = torch.nn.utils.parameters_to_vector(twin.parameters()).detach().numpy()
    np.testing.assert_array_equal(nn.parameters_to_vector(model), ref)
    assert nn.count_parameters(model) == sum(p.numel() for p in twin.parameters())


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000))
def test_vector_to_parameters_round_trips_in_place(seed):
    model = nn.MLP([4, 3, 2], batchnorm=True, seed=seed)
    arrays = model.params()
    theta = np.random.default_rng(seed).normal(size=nn.count_parameters(model))
    nn.vector_to_parameters(theta, model)
    np.testing.assert_array_equal(nn.parameters_to_vector(model), theta)
    assert all(a is b for a, b in zip(arrays, model.params(), strict=True))


def test_vector_of_the_wrong_length_is_refused():
    model = nn.MLP([4, 3, 2])
    with pytest.raises(ValueError, match=r"\(23,\).*\(22,\)"):
        nn.vector_to_parameters(np.zeros(22), model)


def test_loss_and_gradient_matches_torch_autograd():
    model = nn.MLP([6, 5, 3], activation="tanh", seed=6)
    value, grad = nn.loss_and_gradient(model, nn.CrossEntropyLoss(), X, Y)
    twin = nn.to_torch(model)
    ref = torch.nn.functional.cross_entropy(twin(torch.tensor(X)), torch.tensor(Y))
    ref.backward()
    ref_grad = torch.cat([p.grad.reshape(-1) for p in twin.parameters()]).numpy()
    assert value == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-14)


def test_blas_threads_limits_inside_and_restores_after():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    with nn.blas_threads(1):
        assert set(blas_threads()) == {1}
    assert blas_threads() == before
