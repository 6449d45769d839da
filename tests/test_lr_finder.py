"""coursekit.lr_finder: the range test's learning rates are the closed-form geometric ladder,
its losses equal those of torch.optim.SGD driven through the same minibatches and rates, and
the suggestion follows the stated rule."""

import numpy as np
import pytest
import torch

from coursekit import lr_finder, nn
from coursekit.data import batch_indices
from coursekit.optim import SGD

RNG = np.random.default_rng(0)
X = RNG.normal(size=(50, 4))
Y = RNG.integers(0, 3, 50)


def test_range_test_matches_torch_sgd_with_the_same_rates_and_batches():
    model = nn.MLP([4, 6, 3], seed=0)
    twin = nn.to_torch(model).double()
    test = lr_finder.lr_range_test(model, nn.CrossEntropyLoss(), SGD(lr=1.0), X, Y,
                                   lr_min=1e-3, lr_max=1.0, steps=12, batch_size=10, seed=3)
    np.testing.assert_allclose(test.lrs, np.geomspace(1e-3, 1.0, 12), rtol=1e-12)
    opt = torch.optim.SGD(twin.parameters(), lr=1.0)
    rng, losses = np.random.default_rng(3), []
    while len(losses) < 12:
        for idx in batch_indices(len(X), 10, rng):
            if len(losses) == 12:
                break
            for group in opt.param_groups:
                group["lr"] = test.lrs[len(losses)]
            opt.zero_grad()
            value = torch.nn.functional.cross_entropy(twin(torch.tensor(X[idx])),
                                                      torch.tensor(Y[idx]))
            value.backward()
            opt.step()
            losses.append(value.item())
    np.testing.assert_allclose(test.losses, losses, rtol=1e-10)


def test_suggestion_is_the_argmin_over_ten_and_smoothing_is_the_bias_corrected_ema():
    lrs = np.geomspace(1e-4, 10, 51)
    curve = (np.log10(lrs) + 1) ** 2  # lowest at lr = 0.1
    test = lr_finder.RangeTest(lrs, curve)
    assert lr_finder.suggest_lr(test, beta=0.0) == pytest.approx(0.01)
    values = np.array([3.0, 1.0, 2.0])
    by_hand = [3.0, (0.9 * 0.3 + 0.1) / (1 - 0.81), (0.9 * (0.9 * 0.3 + 0.1) + 0.2) / (1 - 0.729)]
    np.testing.assert_allclose(lr_finder.smoothed(values, 0.9), by_hand, rtol=1e-12)


def test_bad_ranges_are_rejected():
    with pytest.raises(ValueError, match="lr_min < lr_max"):
        lr_finder.lr_range_test(nn.MLP([4, 3]), nn.CrossEntropyLoss(), SGD(lr=1.0), X, Y,
                                lr_min=1.0, lr_max=0.1)
