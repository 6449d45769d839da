"""coursekit.nn.recurrent.RNN: forward and backpropagation through time against torch."""

import numpy as np
import pytest
import torch

from coursekit.nn.recurrent import RNN

RTOL = 1e-10


def torch_reference(rnn: RNN, x: np.ndarray, g: np.ndarray):
    """The same recurrence in torch, differentiated by torch.autograd: (y, ∂L/∂x, grads) for
    L = Σ g ⊙ y."""
    params = [torch.tensor(p, requires_grad=True) for p in rnn.params()]
    W, U, b, V, c = params
    xt = torch.tensor(x, requires_grad=True)
    h = torch.zeros(x.shape[0], W.shape[0], dtype=torch.float64)
    for t in range(x.shape[1]):
        a = h @ W.T + xt[:, t] @ U.T + b
        h = torch.tanh(a) if rnn.activation == "tanh" else a
    y = h @ V.T + c
    (y * torch.tensor(g)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), [p.grad.numpy() for p in params]


@pytest.mark.parametrize("activation", ["tanh", "identity"])
@pytest.mark.parametrize("steps", [1, 7, 30])
def test_rnn_backprop_through_time_matches_torch_autograd(activation, steps):
    rng = np.random.default_rng(steps)
    rnn = RNN(3, 6, 2, activation=activation, rng=1)
    rnn.b[:] = rng.normal(size=6)  # nonzero biases, so their gradients are tested too
    rnn.c[:] = rng.normal(size=2)
    x, g = rng.normal(size=(4, steps, 3)), rng.normal(size=(4, 2))
    y = rnn.forward(x)
    grad_x = rnn.backward(g)
    y_ref, grad_x_ref, grads_ref = torch_reference(rnn, x, g)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(grad_x, grad_x_ref, rtol=RTOL, atol=1e-12)
    for mine, ref in zip(rnn.grads(), grads_ref, strict=True):
        np.testing.assert_allclose(mine, ref, rtol=RTOL, atol=1e-12)


def test_rnn_forward_matches_torch_nn_rnn():
    rng = np.random.default_rng(0)
    rnn = RNN(3, 5, 2, rng=2)
    rnn.b[:] = rng.normal(size=5)
    torch_rnn = torch.nn.RNN(3, 5, nonlinearity="tanh", batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        torch_rnn.weight_hh_l0.copy_(torch.tensor(rnn.W))
        torch_rnn.weight_ih_l0.copy_(torch.tensor(rnn.U))
        torch_rnn.bias_ih_l0.copy_(torch.tensor(rnn.b))
        torch_rnn.bias_hh_l0.zero_()
    x = rng.normal(size=(4, 9, 3))
    _, h_T = torch_rnn(torch.tensor(x))
    y = rnn.forward(x)
    np.testing.assert_allclose(y, h_T[0].detach().numpy() @ rnn.V.T + rnn.c, rtol=RTOL)


def test_hidden_grad_norms_grow_like_the_spectral_radius_for_a_linear_rnn():
    """With W = ρQ (Q orthogonal) and the identity activation, ‖∂L/∂h_t‖ = ρ^(T−t) ‖∂L/∂h_T‖
    exactly: the closed form of exploding / vanishing gradients."""
    rnn = RNN(1, 8, 1, activation="identity", rng=0)
    Q = np.linalg.qr(np.random.default_rng(1).normal(size=(8, 8)))[0]
    for rho in (0.9, 1.0, 1.1):
        rnn.W[...] = rho * Q
        rnn.forward(np.ones((1, 20, 1)))
        rnn.backward(np.ones((1, 1)))
        norms = rnn.hidden_grad_norms
        np.testing.assert_allclose(norms, norms[-1] * rho ** np.arange(20, -1, -1), rtol=1e-12)


def test_rnn_rejects_bad_input_with_a_clear_message():
    with pytest.raises(ValueError, match="activation"):
        RNN(1, 2, 1, activation="relu")
    with pytest.raises(ValueError, match=r"shape \(N, T, 3\)"):
        RNN(3, 2, 1).forward(np.zeros((4, 3)))
    with pytest.raises(RuntimeError, match="before forward"):
        RNN(3, 2, 1).backward(np.zeros((4, 1)))
