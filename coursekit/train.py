"""Minibatch training of a ``coursekit.nn`` model, with the bookkeeping the lessons plot.

One step of ``fit`` on a minibatch B (indices from a fresh permutation every epoch, cut into
chunks of ``batch_size``; the last chunk may be smaller):

    L_B = loss(model(X_B), y_B);  g = ∇_θ L_B (backprop);  [g ← g · min(1, c / ‖g‖)];
    opt.step(θ, g)

``fit`` returns a ``History`` of numpy arrays:

- ``step_loss[t]``, ``grad_norm[t]``, ``lr[t]``: L_B, ‖g‖₂ (before clipping) and the learning
  rate of step t (the loss and gradient at θ_t, before its update),
- ``epoch_train_loss[e]``, ``epoch_train_accuracy[e]``: the whole training set evaluated
  after epoch e in evaluation mode (BatchNorm's running statistics, no dropout),
- ``epoch_eval_loss[e]``, ``epoch_eval_accuracy[e]``: the same on ``eval_data`` (if given),
- ``sharpness[j]`` at step ``sharpness_step[j]``: λ_max of the Hessian (with a
  ``coursekit.curvature.SharpnessTracker``),
- ``stopped``: None, or the message explaining why training stopped early (the step broke
  ``coursekit.optim.runner.divergence``: a non-finite loss or gradient, the run diverged).

Accuracy arrays stay empty for losses without classes (``MSELoss``). The optimizer is not
reset, so calling ``fit`` again continues training with its momentum and step counts.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .data import batch_indices
from .nn.base import Layer
from .nn.blas import blas_threads
from .nn.losses import Loss
from .optim.runner import divergence, take_step


@dataclass
class History:
    """What happened during ``fit`` (see the module docstring for each field)."""

    step_loss: np.ndarray | list = field(default_factory=list)
    grad_norm: np.ndarray | list = field(default_factory=list)
    lr: np.ndarray | list = field(default_factory=list)
    epoch_train_loss: np.ndarray | list = field(default_factory=list)
    epoch_train_accuracy: np.ndarray | list = field(default_factory=list)
    epoch_eval_loss: np.ndarray | list = field(default_factory=list)
    epoch_eval_accuracy: np.ndarray | list = field(default_factory=list)
    sharpness: np.ndarray | list = field(default_factory=list)
    sharpness_step: np.ndarray | list = field(default_factory=list)
    stopped: str | None = None
    epochs: int = 0
    steps_per_epoch: int = 0
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        """Number of optimizer steps taken."""
        return len(self.step_loss)

    def _finish(self) -> History:
        for name in ("step_loss", "grad_norm", "lr", "epoch_train_loss",
                     "epoch_train_accuracy", "epoch_eval_loss", "epoch_eval_accuracy",
                     "sharpness"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        self.sharpness_step = np.asarray(self.sharpness_step, dtype=np.int64)
        return self

    def __repr__(self) -> str:
        last = f", final train loss {self.epoch_train_loss[-1]:.4g}" \
            if len(self.epoch_train_loss) else ""
        stop = f", stopped: {self.stopped!r}" if self.stopped else ""
        return f"History({self.epochs} epochs, {self.steps} steps{last}{stop})"


class Evaluation(NamedTuple):
    """Mean loss and accuracy (None without classes) over a whole dataset."""

    loss: float
    accuracy: float | None


def predict(model: Layer, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Outputs of ``model`` on X in evaluation mode, in chunks; the mode is then restored."""
    was_training = model.training
    model.eval()
    try:
        return np.concatenate([model.forward(X[i:i + batch_size])
                               for i in range(0, len(X), batch_size)])
    finally:
        model.train(was_training)


def evaluate(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray,
             batch_size: int = 1024) -> Evaluation:
    """(mean loss, accuracy) of ``model`` on (X, y) in evaluation mode."""
    with blas_threads(1):
        outputs = predict(model, X, batch_size)
    with np.errstate(over="ignore", invalid="ignore"):
        value = loss.forward(outputs, y)
    return Evaluation(value, loss.accuracy(outputs, y))


def global_norm(arrays: list[np.ndarray]) -> float:
    """‖(g_1, …, g_k)‖₂: the Euclidean norm of all arrays as one vector."""
    return math.sqrt(sum(float(np.vdot(g, g).real) for g in arrays))


def _check_data(model: Layer, X, y, name: str) -> tuple[np.ndarray, np.ndarray]:
    X = model._check_input(X, check_finite=True)
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"fit: {name} has {len(X)} samples (X shape {X.shape}) but "
                         f"{len(y)} targets (y shape {y.shape})")
    return X, y


def fit(model: Layer, loss: Loss, opt, X: np.ndarray, y: np.ndarray, epochs: int,
        batch_size: int, seed: int = 0, schedule=None, clip: float | None = None,
        eval_data: tuple[np.ndarray, np.ndarray] | None = None, *,
        schedule_every: str = "epoch", sharpness=None, shuffle: bool = True,
        progress: bool | None = None, verbose: bool = True, epoch_metrics: bool = True,
        blas_threads_limit: int | None = 1) -> History:
    """Train ``model`` on (X, y) for ``epochs`` epochs of minibatches; return a ``History``.

    opt: a ``coursekit.optim`` optimizer (``opt.step(params, grads)``, writable ``opt.lr``).
    seed: seeds the minibatch order (one permutation per epoch).
    schedule: a ``coursekit.optim.lr_scheduler`` scheduler, stepped after every epoch
        (``schedule_every="epoch"``, torch's convention) or every step ("step"); or a
        function t ↦ lr of the step index t, applied before each step.
    clip: clip the gradient to global norm ≤ clip before each step.
    eval_data: (X_eval, y_eval), evaluated after every epoch.
    sharpness: a ``coursekit.curvature.SharpnessTracker``; called every ``sharpness.every``
        steps, before the step.
    progress: a tqdm progress bar; None shows one only on a terminal for runs of ≥ 500 steps.
    verbose: print the message when training stops early.
    epoch_metrics: evaluate the training set (and eval_data) after every epoch; False leaves
        the epoch_* arrays empty and saves a forward pass per epoch (full-batch GD).
    blas_threads_limit: BLAS threads during training (None: the library default); see
        ``coursekit.nn.blas`` for why one is the default.
    """
    if int(epochs) < 0 or int(batch_size) < 1:
        raise ValueError(f"fit: epochs must be >= 0 and batch_size >= 1; got epochs={epochs}, "
                         f"batch_size={batch_size}")
    if schedule_every not in ("epoch", "step"):
        raise ValueError(f"fit: schedule_every must be 'epoch' or 'step'; got {schedule_every!r}")
    if clip is not None and not clip > 0:
        raise ValueError(f"fit: clip must be a positive norm; got {clip}")
    X, y = _check_data(model, X, y, "the training set")
    if eval_data is not None:
        eval_data = _check_data(model, *eval_data, "eval_data")
    scheduler = schedule if hasattr(schedule, "step") else None
    lr_of_step = schedule if scheduler is None and callable(schedule) else None

    rng = np.random.default_rng(seed)
    params, grads = model.params(), model.grads()
    n, epochs, batch_size = len(X), int(epochs), int(batch_size)
    history = History(steps_per_epoch=-(-n // batch_size))
    total = epochs * history.steps_per_epoch
    show = sys.stderr.isatty() and total >= 500 if progress is None else progress
    bar = _progress_bar(total) if show else None
    start, step = time.perf_counter(), 0
    model.train()
    try:
        with np.errstate(all="ignore"), \
                blas_threads(blas_threads_limit):
            for epoch in range(epochs):
                for idx in batch_indices(n, batch_size, rng, shuffle):
                    if lr_of_step is not None:
                        opt.lr = lr_of_step(step)
                    value = loss.forward(model.forward(X[idx]), y[idx])
                    model.backward(loss.backward())
                    norm = global_norm(grads)
                    lr = float(getattr(opt, "lr", math.nan))
                    reason = divergence(value, norm)
                    if reason is not None:
                        history.stopped = (
                            f"stopped at step {step} (epoch {epoch + 1}): the training {reason} "
                            f"with lr = {lr:g}; the run diverged (try a smaller learning rate "
                            "or gradient clipping)")
                        break
                    # Measured after the finiteness check (θ_t is still unchanged), so a
                    # diverged run stops with fit's message instead of failing inside Lanczos.
                    if sharpness is not None and step % sharpness.every == 0:
                        history.sharpness.append(sharpness(model, loss))
                        history.sharpness_step.append(step)
                    history.step_loss.append(value)
                    history.grad_norm.append(norm)
                    history.lr.append(lr)
                    take_step(opt, params, grads, clip)
                    step += 1
                    if scheduler is not None and schedule_every == "step":
                        scheduler.step()
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{value:.4f}", refresh=False)
                if history.stopped:
                    break
                if scheduler is not None and schedule_every == "epoch":
                    scheduler.step()
                history.epochs += 1
                if epoch_metrics:
                    _record_epoch(history, model, loss, X, y, eval_data)
    finally:
        if bar is not None:
            bar.close()
        model.train()
        history.seconds = time.perf_counter() - start
        history._finish()
    if history.stopped and verbose:
        print(history.stopped)
    return history


def _record_epoch(history: History, model: Layer, loss: Loss, X, y, eval_data) -> None:
    train = evaluate(model, loss, X, y)
    history.epoch_train_loss.append(train.loss)
    if train.accuracy is not None:
        history.epoch_train_accuracy.append(train.accuracy)
    if eval_data is not None:
        held_out = evaluate(model, loss, *eval_data)
        history.epoch_eval_loss.append(held_out.loss)
        if held_out.accuracy is not None:
            history.epoch_eval_accuracy.append(held_out.accuracy)


def _progress_bar(total: int):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="step", leave=False)
