"""coursekit.train.fit reproduces a hand-written torch training loop step for step (same initial
weights, same batch order) with SGD + momentum, Adam, gradient clipping and an lr schedule;
it stops cleanly on divergence and records what the lessons plot."""

import copy
import warnings

import numpy as np
import pytest
import torch

from coursekit import curvature, data, nn, optim
from coursekit.optim import lr_scheduler
from coursekit.train import evaluate, fit

torch.set_num_threads(1)  # tiny ops: thread hand-offs cost more than they save on 2 cores

DIGITS = data.load_digits()
X, Y = DIGITS.X_train[:600], DIGITS.y_train[:600]
XE, YE = DIGITS.X_test, DIGITS.y_test


def torch_fit(model, make_opt, epochs, batch_size, seed, clip=None, make_sched=None,
              X=X, Y=Y, crit=None):
    """The textbook torch loop on the torch twin of ``model``, batches from the same order."""
    twin = nn.to_torch(model)
    opt = make_opt(twin.parameters())
    sched = make_sched(opt) if make_sched else None
    crit = crit or torch.nn.CrossEntropyLoss()
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    rng = np.random.default_rng(seed)
    losses, lrs, epoch_losses = [], [], []
    for _ in range(epochs):
        twin.train()
        for idx in data.batch_indices(len(X), batch_size, rng):
            opt.zero_grad()
            loss = crit(twin(Xt[idx]), Yt[idx])
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(twin.parameters(), clip)
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            losses.append(loss.item())
        if sched:
            sched.step()
        twin.eval()
        with torch.no_grad():
            epoch_losses.append(crit(twin(Xt), Yt).item())
    return twin, np.array(losses), np.array(lrs), np.array(epoch_losses)


def assert_same_weights(model, twin, rtol):
    for mine, ref in zip(model.params(), twin.parameters(), strict=True):
        np.testing.assert_allclose(mine, ref.detach().numpy(), rtol=rtol, atol=rtol * 1e-2)


def test_fit_with_sgd_momentum_reproduces_torch_losses_step_for_step():
    model = nn.MLP([64, 32, 16, 10], batchnorm=True, seed=0)
    start = copy.deepcopy(model)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(lr=0.05, momentum=0.9), X, Y,
                  epochs=3, batch_size=64, seed=1)
    twin, losses, _, epoch_losses = torch_fit(
        start, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), 3, 64, seed=1)
    assert history.steps == 3 * 10 == len(losses)
    np.testing.assert_allclose(history.step_loss, losses, rtol=1e-9)
    np.testing.assert_allclose(history.epoch_train_loss, epoch_losses, rtol=1e-9)
    assert_same_weights(model, twin, rtol=1e-9)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(model[1], name), getattr(twin[1], name).numpy(),
                                   rtol=1e-9)
    assert history.stopped is None and history.epochs == 3
    assert history.step_loss[-1] < history.step_loss[0]


def test_fit_with_adam_clipping_and_a_step_schedule_matches_torch():
    model = nn.MLP([64, 24, 10], activation="tanh", seed=2)
    start = copy.deepcopy(model)
    opt = optim.Adam(lr=0.01)
    history = fit(model, nn.CrossEntropyLoss(), opt, X, Y, epochs=3, batch_size=50, seed=3,
                  clip=0.25, schedule=lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))
    twin, losses, lrs, _ = torch_fit(
        start, lambda p: torch.optim.Adam(p, lr=0.01), 3, 50, seed=3, clip=0.25,
        make_sched=lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.5))
    np.testing.assert_allclose(history.step_loss, losses, rtol=1e-9)
    np.testing.assert_allclose(history.lr, lrs, rtol=1e-12)
    assert_same_weights(model, twin, rtol=1e-8)
    assert np.mean(history.grad_norm > 0.25) > 0.8  # clipping was active (pre-clip norms)


def test_fit_with_a_per_step_schedule_function_sets_the_lr_before_each_step():
    model = nn.MLP([64, 10], seed=4)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(lr=1.0), X, Y, epochs=2,
                  batch_size=100, schedule=lambda t: 0.1 / (1 + t))
    np.testing.assert_allclose(history.lr, 0.1 / (1 + np.arange(12)))


def test_full_batch_gradient_descent_without_epoch_metrics():
    model = nn.MLP([64, 10], seed=4)
    start = copy.deepcopy(model)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(lr=0.5), X, Y, epochs=5,
                  batch_size=len(X), epoch_metrics=False)
    _, losses, _, _ = torch_fit(start, lambda p: torch.optim.SGD(p, lr=0.5), 5, len(X), 0)
    np.testing.assert_allclose(history.step_loss, losses, rtol=1e-10)
    assert history.epochs == 5 and history.epoch_train_loss.size == 0


def test_fit_records_train_and_eval_metrics_per_epoch():
    model = nn.MLP([64, 32, 10], seed=5)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(lr=0.1, momentum=0.9), X, Y,
                  epochs=4, batch_size=32, eval_data=(XE, YE))
    for name in ("epoch_train_loss", "epoch_train_accuracy", "epoch_eval_loss",
                 "epoch_eval_accuracy"):
        assert getattr(history, name).shape == (4,)
    final = evaluate(model, nn.CrossEntropyLoss(), XE, YE)
    assert history.epoch_eval_loss[-1] == final.loss
    assert history.epoch_eval_accuracy[-1] == final.accuracy > 0.85
    assert history.lr.shape == history.grad_norm.shape == (4 * 19,)
    assert "4 epochs, 76 steps" in repr(history)


def test_fit_stops_cleanly_with_a_message_when_training_diverges(capsys):
    model = nn.MLP([64, 32, 10], seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning spray
        history = fit(model, nn.CrossEntropyLoss(), optim.SGD(lr=1e6), X, Y, epochs=5,
                      batch_size=64)
    assert history.stopped is not None and "diverged" in history.stopped
    assert "lr = 1e+06" in history.stopped
    assert history.stopped in capsys.readouterr().out
    assert history.steps < 5 * 10 and np.all(np.isfinite(history.step_loss))
    assert len(history.epoch_train_loss) == history.epochs < 5


def test_fit_in_float32_on_regression_matches_torch_float32_and_has_no_accuracy():
    rng = np.random.default_rng(7)
    Xr = rng.normal(size=(200, 3)).astype(np.float32)
    yr = np.tanh(Xr @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32))
    model = nn.MLP([3, 16, 1], activation="tanh", seed=7, dtype=np.float32)
    start = copy.deepcopy(model)
    history = fit(model, nn.MSELoss(), optim.Adam(lr=0.01), Xr, yr, epochs=5, batch_size=32)
    twin, losses, _, epoch_losses = torch_fit(
        start, lambda p: torch.optim.Adam(p, lr=0.01), 5, 32, seed=0, X=Xr, Y=yr,
        crit=torch.nn.MSELoss())
    assert history.epoch_train_accuracy.size == 0
    assert model[0].weight.dtype == np.float32 and twin[0].weight.dtype == torch.float32
    np.testing.assert_allclose(history.step_loss, losses, rtol=1e-4)
    np.testing.assert_allclose(history.epoch_train_loss, epoch_losses, rtol=1e-4)
    assert history.epoch_train_loss[-1] < 0.5 * history.epoch_train_loss[0]


def test_fit_tracks_sharpness_at_the_parameters_before_each_measured_step():
    model = nn.MLP([64, 8, 10], activation="tanh", seed=8)
    before = copy.deepcopy(model)
    tracker = curvature.SharpnessTracker(X[:200], Y[:200], every=4)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(lr=0.1), X, Y, epochs=1,
                  batch_size=100, sharpness=tracker)
    np.testing.assert_array_equal(history.sharpness_step, [0, 4])
    expected = curvature.sharpness(before, nn.CrossEntropyLoss(), X[:200], Y[:200])
    assert history.sharpness[0] == pytest.approx(expected, rel=1e-6)


def test_fit_with_sharpness_tracking_still_stops_cleanly_when_training_diverges():
    model = nn.MLP([64, 32, 10], seed=6)
    tracker = curvature.SharpnessTracker(X[:100], Y[:100], every=1, iters=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = fit(model, nn.CrossEntropyLoss(), optim.SGD(lr=1e6), X, Y, epochs=5,
                      batch_size=64, sharpness=tracker, verbose=False)
    assert history.stopped is not None and "diverged" in history.stopped
    assert np.all(np.isfinite(history.sharpness))
    assert len(history.sharpness) == history.steps


def test_fit_refuses_bad_input_with_the_shapes():
    model = nn.MLP([64, 10])
    loss, opt = nn.CrossEntropyLoss(), optim.SGD(lr=0.1)
    with pytest.raises(ValueError, match=r"600 samples.*\(600, 64\).*599 targets"):
        fit(model, loss, opt, X, Y[:-1], epochs=1, batch_size=10)
    with pytest.raises(ValueError, match=r"Linear\(64, 10\).*\(600, 63\)"):
        fit(model, loss, opt, X[:, :63], Y, epochs=1, batch_size=10)
    with pytest.raises(ValueError, match="batch_size"):
        fit(model, loss, opt, X, Y, epochs=1, batch_size=0)
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 10\)"):
        fit(model, loss, opt, X, Y + 5, epochs=1, batch_size=10)


def test_fit_shows_a_tqdm_progress_bar_only_when_asked_or_on_a_terminal(capsys):
    model = nn.MLP([64, 10], seed=9)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(lr=0.1), X, Y, epochs=1, batch_size=100)
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal
    fit(model, nn.CrossEntropyLoss(), optim.SGD(lr=0.1), X, Y, epochs=1, batch_size=100,
        progress=True)
    assert "step" in capsys.readouterr().err
