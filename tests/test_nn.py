"""coursekit.nn layers, losses and the MLP agree with torch to float64 round-off: outputs, input
gradients and every parameter gradient; BatchNorm1d's running statistics; bad input is refused
with a message naming the layer and the shapes."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import nn

torch.set_num_threads(1)  # tiny ops: thread hand-offs cost more than they save on 2 cores

RTOL = 1e-10


def compare_layer(make_layer, x, seed=0, steps=1):
    """Build the layer twice (ours, torch copy of it), run `steps` forward/backward passes with
    random upstream gradients and compare everything after each."""
    ours = make_layer()
    theirs = nn.to_torch(ours)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        out = ours.forward(x)
        g = rng.normal(size=out.shape)
        grad_in = ours.backward(g)
        xt = torch.tensor(x, requires_grad=True)
        out_t = theirs(xt)
        for p in theirs.parameters():
            p.grad = None
        out_t.backward(torch.tensor(g))
        np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(grad_in, xt.grad.numpy(), rtol=RTOL, atol=1e-12)
        torch_grads = [p.grad.numpy() for p in theirs.parameters()]
        assert len(ours.grads()) == len(torch_grads)
        for mine, ref in zip(ours.grads(), torch_grads, strict=True):
            np.testing.assert_allclose(mine, ref, rtol=RTOL, atol=1e-12)
    return ours, theirs


X = np.random.default_rng(0).normal(size=(16, 7))


@pytest.mark.parametrize("init", ["he", "glorot", "normal", "zeros"])
def test_linear_forward_and_all_gradients_match_torch(init):
    compare_layer(lambda: nn.Linear(7, 5, init=init, rng=1), X)


def test_linear_without_bias_matches_torch():
    ours, _ = compare_layer(lambda: nn.Linear(7, 3, rng=2, bias=False), X)
    assert len(ours.params()) == 1


@pytest.mark.parametrize("make", [nn.ReLU, lambda: nn.LeakyReLU(0.2), nn.Sigmoid, nn.Tanh,
                                  nn.Identity])
def test_activation_forward_and_backward_match_torch(make):
    x = X * 3
    x[0, :3] = [0.0, -40.0, 40.0]  # ReLU's kink and Sigmoid's saturated tails
    compare_layer(make, x)


def test_sigmoid_is_accurate_far_into_both_tails():
    x = np.array([[-800.0, -50.0, 0.0, 50.0, 800.0]])
    ref = torch.sigmoid(torch.tensor(x)).numpy()
    np.testing.assert_allclose(nn.Sigmoid().forward(x), ref, rtol=RTOL)


def test_batchnorm_training_mode_matches_torch_including_running_stats_over_steps():
    def make():
        bn = nn.BatchNorm1d(7, momentum=0.3)
        rng = np.random.default_rng(3)
        bn.weight[:] = rng.normal(size=7)
        bn.bias[:] = rng.normal(size=7)
        return bn

    ours, theirs = compare_layer(make, X * 2 + 1, steps=4)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=RTOL)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=RTOL)
    assert ours.num_batches_tracked == int(theirs.num_batches_tracked) == 4


def test_batchnorm_eval_mode_uses_running_stats_like_torch():
    def make():
        bn = nn.BatchNorm1d(7)
        for _ in range(3):
            bn.forward(np.random.default_rng(4).normal(size=(9, 7)) * 3 - 1)
        bn.weight[:] = 1.5
        return bn.eval()

    ours, _ = compare_layer(make, X)
    assert not np.allclose(ours.running_var, 1.0)


def test_batchnorm_refuses_a_single_sample_in_training():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(7.*shape \(1, 7\)"):
        nn.BatchNorm1d(7).forward(X[:1])
    nn.BatchNorm1d(7).eval().forward(X[:1])  # fine in evaluation mode


def test_dropout_with_p_zero_and_in_eval_mode_is_the_identity_like_torch():
    compare_layer(lambda: nn.Dropout(0.0), X)
    compare_layer(lambda: nn.Dropout(0.7).eval(), X)


def test_dropout_with_a_fixed_mask_matches_torch_gradient_of_x_times_mask():
    d = nn.Dropout(0.25, rng=5)
    out = d.forward(X)
    mask = d.mask
    assert set(np.unique(mask)) <= {0.0, 1 / 0.75}
    g = np.random.default_rng(6).normal(size=X.shape)
    xt = torch.tensor(X, requires_grad=True)
    ref = xt * torch.tensor(mask)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(d.backward(g), xt.grad.numpy(), rtol=RTOL)


def test_dropout_keeps_a_fraction_one_minus_p_and_preserves_the_mean():
    x = np.ones((400, 250))
    out = nn.Dropout(0.3, rng=7).forward(x)
    assert abs(np.mean(out != 0) - 0.7) < 0.01
    assert abs(out.mean() - 1.0) < 0.02
    assert np.all(nn.Dropout(1.0, rng=0).forward(x) == 0)  # torch gives zeros for p = 1


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_three_layer_mlp_with_batchnorm_matches_torch_over_several_steps(activation):
    x = np.random.default_rng(8).normal(size=(32, 10))
    ours, theirs = compare_layer(
        lambda: nn.MLP([10, 12, 9, 4], activation=activation, batchnorm=True, seed=3),
        x, steps=3)
    for mine, ref in zip(ours.params(), theirs.parameters(), strict=True):
        np.testing.assert_array_equal(mine, ref.detach().numpy())
    ours.eval()
    np.testing.assert_allclose(ours.forward(x), theirs.eval()(torch.tensor(x)).detach().numpy(),
                               rtol=RTOL)


def test_mlp_params_and_grads_are_listed_in_layer_order():
    model = nn.MLP([3, 4, 2], batchnorm=True)
    shapes = [p.shape for p in model.params()]
    assert shapes == [(4, 3), (4,), (4,), (4,), (2, 4), (2,)]
    assert [g.shape for g in model.grads()] == shapes
    assert [type(layer).__name__ for layer in model] == ["Linear", "BatchNorm1d", "ReLU",
                                                          "Linear"]


def test_mlp_seed_makes_weights_reproducible_and_different_seeds_differ():
    a, b, c = nn.MLP([5, 6, 2], seed=1), nn.MLP([5, 6, 2], seed=1), nn.MLP([5, 6, 2], seed=2)
    np.testing.assert_array_equal(nn.parameters_to_vector(a), nn.parameters_to_vector(b))
    assert not np.allclose(nn.parameters_to_vector(a), nn.parameters_to_vector(c))


def test_grads_are_refilled_in_place_so_the_lists_can_be_fetched_once():
    model = nn.MLP([7, 5, 3], seed=0)
    grads = model.grads()
    loss = nn.CrossEntropyLoss()
    loss(model.forward(X), np.arange(16) % 3)
    model.backward(loss.backward())
    first = [g.copy() for g in grads]
    loss(model.forward(X * 2), np.arange(16) % 3)
    model.backward(loss.backward())
    assert all(g is h for g, h in zip(grads, model.grads(), strict=True))
    assert not np.allclose(first[0], grads[0])


# -- losses ----------------------------------------------------------------------------------

def test_cross_entropy_value_and_gradient_match_torch_even_for_huge_logits():
    logits = np.random.default_rng(9).normal(size=(12, 5)) * 4
    logits[0] = [1000.0, -1000.0, 0.0, 999.0, 3.0]  # exp would overflow without the shift
    y = np.random.default_rng(10).integers(0, 5, size=12)
    loss = nn.CrossEntropyLoss()
    value = loss.forward(logits, y)
    zt = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.CrossEntropyLoss()(zt, torch.tensor(y))
    ref.backward()
    assert np.isfinite(value)
    np.testing.assert_allclose(value, ref.item(), rtol=RTOL)
    np.testing.assert_allclose(loss.backward(), zt.grad.numpy(), rtol=RTOL, atol=1e-15)


def test_mse_value_and_gradient_match_torch():
    out = np.random.default_rng(11).normal(size=(10, 3))
    target = np.random.default_rng(12).normal(size=(10, 3))
    loss = nn.MSELoss()
    ot = torch.tensor(out, requires_grad=True)
    ref = torch.nn.MSELoss()(ot, torch.tensor(target))
    ref.backward()
    np.testing.assert_allclose(loss.forward(out, target), ref.item(), rtol=RTOL)
    np.testing.assert_allclose(loss.backward(), ot.grad.numpy(), rtol=RTOL)


def test_cross_entropy_accuracy_counts_argmax_hits():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0]])
    assert nn.CrossEntropyLoss().accuracy(logits, np.array([0, 1, 1])) == pytest.approx(2 / 3)
    assert nn.MSELoss().accuracy(logits, logits) is None


# -- bad input -------------------------------------------------------------------------------

def test_wrong_feature_count_names_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"Linear\(7, 5\).*5 features.*\(16, 5\).*\(batch, 7\)"):
        nn.Linear(7, 5, rng=0).forward(X[:, :5])
    with pytest.raises(ValueError, match=r"Linear\(7, 4\).*\(16, 5\)"):
        nn.MLP([7, 4, 2]).forward(X[:, :5])
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*\(16, 7\)"):
        nn.BatchNorm1d(3).forward(X)
    with pytest.raises(ValueError, match=r"shape \(16,\)"):
        nn.Linear(7, 5).forward(X[:, 0])


def test_mismatched_layers_inside_a_sequential_are_named():
    model = nn.Sequential(nn.Linear(7, 4, rng=0), nn.ReLU(), nn.Linear(5, 2, rng=0))
    with pytest.raises(ValueError, match=r"Linear\(5, 2\).*4 features.*\(16, 4\)"):
        model.forward(X)


def test_nan_input_is_refused_with_the_layer_and_shape():
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"Linear\(7, 3\).*\(16, 7\).*NaN.*first row 3"):
        nn.MLP([7, 3]).forward(bad)
    with pytest.raises(ValueError, match=r"ReLU.*NaN"):
        nn.ReLU().forward(bad)


def test_targets_out_of_range_or_of_wrong_kind_are_refused():
    logits = np.zeros((4, 3))
    loss = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match=r"\[0, 3\).*\(4, 3\).*\[0, 3\]"):
        loss.forward(logits, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"\[0, 3\).*\[-1, 2\]"):
        loss.forward(logits, np.array([0, 1, 2, -1]))
    with pytest.raises(ValueError, match="integer"):
        loss.forward(logits, np.array([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(4,\).*\(4, 3\).*shape \(3,\)"):
        loss.forward(logits, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 1\).*reshape"):
        nn.MSELoss().forward(np.zeros((4, 1)), np.zeros(4))


def test_backward_before_forward_or_with_a_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="before forward"):
        nn.Linear(3, 2).backward(np.zeros((4, 2)))
    layer = nn.Linear(3, 2)
    layer.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        layer.backward(np.zeros((4, 3)))


def test_bad_constructor_arguments_are_refused():
    with pytest.raises(ValueError, match="init"):
        nn.Linear(3, 2, init="kaiming")
    with pytest.raises(ValueError, match="activation"):
        nn.MLP([3, 2, 1], activation="gelu")
    with pytest.raises(ValueError, match="sizes"):
        nn.MLP([3])
    with pytest.raises(ValueError, match="p must"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="dtype"):
        nn.Linear(3, 2, dtype=np.int32)


# -- dtypes ----------------------------------------------------------------------------------

def test_float32_network_computes_in_float32_and_agrees_with_float64():
    model64 = nn.MLP([7, 6, 3], batchnorm=True, seed=4)
    model32 = nn.MLP([7, 6, 3], batchnorm=True, seed=4, dtype=np.float32)
    loss = nn.CrossEntropyLoss()
    y = np.arange(16) % 3
    out32 = model32.forward(X)  # float64 input is converted to the parameters' dtype
    assert out32.dtype == np.float32
    loss(out32, y)
    grad_in = model32.backward(loss.backward())
    assert grad_in.dtype == np.float32 and all(g.dtype == np.float32 for g in model32.grads())
    loss(model64.forward(X), y)
    model64.backward(loss.backward())
    np.testing.assert_allclose(out32, model64.forward(X), rtol=1e-4, atol=1e-5)
    for g32, g64 in zip(model32.grads(), model64.grads(), strict=True):
        np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-5)


def test_astype_converts_a_float64_model_to_float32_like_torch_float():
    model = nn.MLP([7, 4, 2], batchnorm=True, seed=0).astype(np.float32)
    assert {p.dtype for p in model.params()} == {np.dtype(np.float32)}
    assert model[1].running_var.dtype == np.float32
    twin = nn.to_torch(model)
    np.testing.assert_allclose(model.forward(X), twin(torch.tensor(X, dtype=torch.float32))
                               .detach().numpy(), rtol=1e-5, atol=1e-6)


# -- property test ---------------------------------------------------------------------------

@settings(max_examples=15, deadline=None)
@given(batch=st.integers(2, 9), n_in=st.integers(1, 6), n_out=st.integers(1, 6),
       seed=st.integers(0, 2**16))
def test_linear_batchnorm_tanh_stack_matches_torch_for_any_shape(batch, n_in, n_out, seed):
    x = np.random.default_rng(seed).normal(size=(batch, n_in))
    compare_layer(lambda: nn.Sequential(nn.Linear(n_in, n_out, rng=seed),
                                        nn.BatchNorm1d(n_out), nn.Tanh()), x, seed=seed)


def test_relu_exposes_its_active_mask_for_counting_dead_units():
    layer = nn.ReLU()
    layer.forward(np.array([[1.0, -2.0, 0.0], [3.0, -1.0, -5.0]]))
    np.testing.assert_array_equal(layer.active, [[True, False, False], [True, False, False]])
    assert np.all(~layer.active.any(axis=0)[1:])  # units 1 and 2 never fire: dead on this batch
