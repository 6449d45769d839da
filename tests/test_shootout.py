"""coursekit.shootout: the lesson 13 setup (optimizers at torch's defaults, tuning, seeding)."""

import numpy as np
import pytest
import torch

from coursekit import shootout
from coursekit.data import load_digits
from coursekit.optim import SGD, Adadelta, Adagrad, Adam, AdamW, NAdam, RMSprop

TORCH_EQUIVALENT = {
    "SGD": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "Nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "Adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
    "RMSprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "Adadelta": lambda p, lr: torch.optim.Adadelta(p, lr=lr),
    "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "AdamW": lambda p, lr: torch.optim.AdamW(p, lr=lr),
    "NAdam": lambda p, lr: torch.optim.NAdam(p, lr=lr),
}


@pytest.fixture(autouse=True)
def torch_float64():
    """torch in float64 for this module's tests (NAdam keeps scalar state in the default
    dtype), restored afterwards so other test modules see torch's usual default."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def test_the_shootout_covers_every_coursekit_optimizer_class():
    made = {type(factory(0.1)) for factory in shootout.OPTIMIZERS.values()}
    assert made == {SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, NAdam}
    assert list(shootout.OPTIMIZERS) == list(TORCH_EQUIVALENT)


@pytest.mark.parametrize("name", list(TORCH_EQUIVALENT))
def test_each_factory_matches_torch_optim_with_default_hyperparameters(name):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 5))
    A = A @ A.T + np.eye(5)
    x = rng.standard_normal(5)
    ours = shootout.OPTIMIZERS[name](0.01)
    theirs_x = torch.tensor(x.copy(), requires_grad=True)
    theirs = TORCH_EQUIVALENT[name]([theirs_x], 0.01)
    for _ in range(30):
        ours.step(x, A @ x + np.sin(x))
        theirs.zero_grad()
        theirs_x.grad = (torch.tensor(A) @ theirs_x + torch.sin(theirs_x)).detach()
        theirs.step()
    np.testing.assert_allclose(x, theirs_x.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_tuned_learning_rates_are_the_best_of_the_stored_tuning_run():
    assert set(shootout.TUNED_LR) == set(shootout.OPTIMIZERS) == set(shootout.TUNING_RESULTS)
    assert all(len(cells) == len(shootout.LR_GRID) for cells in shootout.TUNING_RESULTS.values())
    assert shootout.best_learning_rates(shootout.stored_results()) == shootout.TUNED_LR


def test_rerunning_one_cell_of_the_tuning_table_reproduces_it():
    results = shootout.tune(names=["Adam"], grid=[1e-2])
    stored = shootout.stored_results()["Adam"][1e-2]
    assert results["Adam"][1e-2].accuracy == pytest.approx(stored.accuracy, abs=1e-4)
    assert results["Adam"][1e-2].loss == pytest.approx(stored.loss, rel=1e-3)


def test_validation_split_holds_out_part_of_the_training_set_only():
    data = load_digits()
    X_fit, y_fit, X_val, y_val = shootout.validation_split(data, fraction=0.2, seed=0)
    assert len(X_fit) + len(X_val) == len(data.X_train)
    assert len(X_val) == round(0.2 * len(data.X_train))
    rows = {row.tobytes() for row in data.X_train}
    assert all(row.tobytes() in rows for row in X_val)
    fit_rows = {row.tobytes() for row in X_fit}
    assert not any(row.tobytes() in fit_rows for row in X_val if
                   np.sum((data.X_train == row).all(axis=1)) == 1)
    with pytest.raises(ValueError, match="fraction"):
        shootout.validation_split(data, fraction=1.0)


def test_a_run_is_fixed_by_its_seed_and_changes_with_it():
    data = load_digits()
    runs = [shootout.train("Adam", 1e-3, seed, data.X_train, data.y_train, epochs=1)
            for seed in (0, 0, 1)]
    np.testing.assert_array_equal(runs[0].step_loss, runs[1].step_loss)
    assert not np.allclose(runs[0].step_loss, runs[2].step_loss)
    with pytest.raises(ValueError, match="name"):
        shootout.train("LBFGS", 1.0, 0, data.X_train, data.y_train)


def test_best_learning_rate_ranks_by_accuracy_then_loss_with_divergence_last():
    Score = shootout.Score
    results = {
        "a": {0.1: Score(0.9, 0.5), 0.3: Score(0.95, 0.4), 1.0: Score(0.95, 0.3)},
        "b": {0.1: Score(0.5, np.nan), 0.3: Score(0.5, 2.0)},
    }
    assert shootout.best_learning_rates(results) == {"a": 1.0, "b": 0.3}


def test_tuning_on_a_tiny_grid_prefers_a_rate_that_trains_over_one_that_crawls():
    results = shootout.tune(names=["SGD"], grid=[1e-4, 0.3], seeds=[0], epochs=2)
    assert results["SGD"][0.3].accuracy > results["SGD"][1e-4].accuracy + 0.3
    assert shootout.best_learning_rates(results) == {"SGD": 0.3}
