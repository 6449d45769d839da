"""coursekit.symmetry: permuting hidden units keeps torch's twin of the network computing the
same outputs while moving the parameters; the count is the product of factorials."""

import math

import numpy as np
import pytest
import torch

from coursekit import nn, symmetry

X = np.random.default_rng(0).normal(size=(16, 4))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_permuted_network_matches_torch_twin_of_original(activation):
    model = nn.MLP([4, 5, 3, 2], activation=activation, seed=0)
    perm = np.array([3, 0, 4, 1, 2])
    permuted = symmetry.permute_hidden_units(model, 0, perm)
    with torch.no_grad():
        reference = nn.to_torch(model).double()(torch.tensor(X)).numpy()
    np.testing.assert_allclose(permuted.forward(X), reference, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(permuted[0].weight, model[0].weight[perm])
    np.testing.assert_array_equal(permuted[2].weight, model[2].weight[:, perm])
    assert not np.allclose(nn.parameters_to_vector(permuted), nn.parameters_to_vector(model))


def test_count_permutations_is_product_of_hidden_factorials():
    model = nn.MLP([4, 5, 3, 2], seed=0)
    assert symmetry.count_permutations(model) == math.factorial(5) * math.factorial(3)


def test_bad_permutations_are_rejected():
    model = nn.MLP([4, 5, 2], seed=0)
    with pytest.raises(ValueError, match="permutation of range"):
        symmetry.permute_hidden_units(model, 0, [0, 0, 1, 2, 3])
    with pytest.raises(ValueError, match="layer must index"):
        symmetry.permute_hidden_units(model, 1, [0, 1])
    with pytest.raises(ValueError, match="elementwise"):
        symmetry.permute_hidden_units(nn.MLP([4, 5, 2], batchnorm=True), 0, list(range(5)))
