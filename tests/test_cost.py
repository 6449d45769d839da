import numpy as np

from coursekit.nn import MLP, CrossEntropyLoss, Linear
from coursekit.nn.cost import counting_multiply_adds


def test_linear_forward_costs_n_in_out_and_backward_twice_that():
    layer, loss = Linear(7, 3, rng=0), CrossEntropyLoss()
    X, y = np.random.default_rng(0).standard_normal((11, 7)), np.arange(11) % 3
    with counting_multiply_adds(layer) as counter:
        out = layer.forward(X)
        forward = counter.count
        loss.forward(out, y)
        dx = layer.backward(loss.backward())
    assert forward == 11 * 7 * 3
    assert counter.count - forward == 2 * 11 * 7 * 3  # ∂W = Gᵀx and ∂x = G W
    np.testing.assert_allclose(dx, loss.backward() @ layer.weight)
    np.testing.assert_allclose(layer.grad_weight, loss.backward().T @ X)
    assert type(layer.weight) is np.ndarray and type(layer.grad_weight) is np.ndarray


def test_mlp_count_is_the_sum_over_layers_and_leaves_results_unchanged():
    sizes, N = [5, 4, 6, 3], 9
    X = np.random.default_rng(1).standard_normal((N, 5))
    model = MLP(sizes, seed=0)
    reference = model.forward(X)
    with counting_multiply_adds(model) as counter:
        counted = model.forward(X)
    assert counter.count == sum(N * a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    np.testing.assert_array_equal(counted, reference)
