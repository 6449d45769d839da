"""Lesson 13's optimizer shootout: every coursekit optimizer trains the same MLP on digits.

One setup shared by the lesson, the learning-rate tuning and the tests:

- model: ``MLP([64, 64, 10])`` (ReLU, He init), seeded per run; softmax cross-entropy;
- data: ``coursekit.data.load_digits()`` (1438 training, 359 test images);
- training: ``EPOCHS`` epochs of minibatches of ``BATCH_SIZE`` with ``coursekit.train.fit``,
  the run's seed fixing both the initial weights and the minibatch order;
- optimizers: ``OPTIMIZERS`` maps a name to a factory lr ↦ optimizer; everything but the
  learning rate keeps torch's defaults (momentum 0.9 for the two momentum methods).

**Tuning, without touching the test set.** :func:`tune` trains every optimizer at every
learning rate of ``LR_GRID`` (half-decade steps from 1e-4 to 10) on 80 % of the training set,
for ``TUNING_SEEDS``, and scores it on the held-out 20 % (:func:`validation_split`):
:func:`best_learning_rates` picks the highest mean validation accuracy after the last epoch,
ties broken by the lower mean validation loss. ``TUNING_RESULTS`` stores that offline run
(``python -m coursekit.shootout`` reruns it, a few minutes of CPU, and prints the table) and
``TUNED_LR`` its choice; the tests check that the two agree and rerun one cell of the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .data import Split, load_digits
from .nn import MLP, CrossEntropyLoss
from .optim import SGD, Adadelta, Adagrad, Adam, AdamW, NAdam, RMSprop
from .optim.base import Optimizer
from .train import History, fit

SIZES = (64, 64, 10)
EPOCHS = 10
BATCH_SIZE = 64
LR_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0)
TUNING_SEEDS = (100, 101, 102)

OPTIMIZERS: dict[str, Callable[[float], Optimizer]] = {
    "SGD": lambda lr: SGD(lr=lr),
    "momentum": lambda lr: SGD(lr=lr, momentum=0.9),
    "Nesterov": lambda lr: SGD(lr=lr, momentum=0.9, nesterov=True),
    "Adagrad": lambda lr: Adagrad(lr=lr),
    "RMSprop": lambda lr: RMSprop(lr=lr),
    "Adadelta": lambda lr: Adadelta(lr=lr),
    "Adam": lambda lr: Adam(lr=lr),
    "AdamW": lambda lr: AdamW(lr=lr),
    "NAdam": lambda lr: NAdam(lr=lr),
}

# The offline tuning run (``python -m coursekit.shootout``): for each optimizer, one
# (mean validation accuracy, mean validation loss) per learning rate of LR_GRID. A huge
# loss with a finite value is a run that blew up without overflowing; nan: it overflowed.
TUNING_RESULTS: dict[str, tuple[tuple[float, float], ...]] = {
    "SGD": ((0.0856, 3.083), (0.1007, 2.956), (0.1470, 2.576), (0.3993, 1.855), (0.7789, 0.9023),
        (0.9097, 0.3763), (0.9537, 0.1595), (0.9676, 0.0961), (0.9745, 0.0752),
        (0.3750, 2.198e+38), (0.0301, 4.232e+270)),
    "momentum": ((0.1424, 2.598), (0.3877, 1.885), (0.7731, 0.9188), (0.9039, 0.38),
        (0.9560, 0.1589), (0.9745, 0.095), (0.9757, 0.0852), (0.9387, 2.032), (0.8125, 1.592e+13),
        (0.4502, 2.557e+63), (0.1100, 1.091e+256)),
    "Nesterov": ((0.1424, 2.595), (0.3889, 1.882), (0.7731, 0.9172), (0.9039, 0.3796),
        (0.9560, 0.1587), (0.9734, 0.0952), (0.9757, 0.087), (0.9479, 0.7495),
        (0.7488, 1.415e+16), (0.1331, 4.141e+152), (0.0000, float("nan"))),
    "Adagrad": ((0.0984, 2.986), (0.1516, 2.683), (0.3900, 1.854), (0.8229, 0.7646),
        (0.9514, 0.1907), (0.9757, 0.085), (0.9792, 0.071), (0.9630, 0.2155), (0.9549, 2.313),
        (0.9630, 14.95), (0.9560, 136.7)),
    "RMSprop": ((0.4387, 1.701), (0.8611, 0.6332), (0.9606, 0.1548), (0.9745, 0.0762),
        (0.9792, 0.0696), (0.9711, 0.229), (0.9618, 1.844), (0.9560, 16.04), (0.9525, 180.7),
        (0.9653, 1618), (0.9595, 1.722e+04)),
    "Adadelta": ((0.0822, 3.146), (0.0833, 3.138), (0.0833, 3.111), (0.0949, 3.035),
        (0.1273, 2.783), (0.2639, 2.186), (0.7384, 1.043), (0.9201, 0.3276), (0.9722, 0.1019),
        (0.9757, 0.0644), (0.9780, 0.0616)),
    "Adam": ((0.2731, 2.165), (0.7199, 1.093), (0.9282, 0.2943), (0.9734, 0.1054),
        (0.9780, 0.0698), (0.9757, 0.1034), (0.9606, 1.088), (0.9282, 16.07), (0.9641, 90.31),
        (0.9502, 1021), (0.9410, 1.189e+04)),
    "AdamW": ((0.2731, 2.165), (0.7199, 1.093), (0.9282, 0.2948), (0.9734, 0.1057),
        (0.9792, 0.0691), (0.9769, 0.093), (0.9514, 1.44), (0.9248, 9.478), (0.9259, 31.16),
        (0.8507, 270.2), (0.8333, 699.6)),
    "NAdam": ((0.2674, 2.185), (0.7060, 1.126), (0.9271, 0.3132), (0.9722, 0.1124),
        (0.9780, 0.0671), (0.9792, 0.0723), (0.9433, 1.717), (0.9444, 14.73), (0.9433, 145.9),
        (0.9456, 1064), (0.9444, 1.007e+04)),
}

TUNED_LR: dict[str, float] = {
    "SGD": 1.0, "momentum": 0.1, "Nesterov": 0.1, "Adagrad": 0.1, "RMSprop": 0.01,
    "Adadelta": 10.0, "Adam": 0.01, "AdamW": 0.01, "NAdam": 0.03,
}


def validation_split(data: Split, fraction: float = 0.2, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_fit, y_fit, X_val, y_val): a seeded random ``fraction`` of the *training* set held
    out for tuning; the test set is not used."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1); got {fraction}")
    n = len(data.X_train)
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(fraction * n))
    val, keep = order[:n_val], order[n_val:]
    return data.X_train[keep], data.y_train[keep], data.X_train[val], data.y_train[val]


def train(name: str, lr: float, seed: int, X: np.ndarray, y: np.ndarray,
          eval_data: tuple[np.ndarray, np.ndarray] | None = None, epochs: int = EPOCHS,
          batch_size: int = BATCH_SIZE) -> History:
    """Train a fresh ``MLP(SIZES, seed=seed)`` with optimizer ``name`` at learning rate ``lr``
    (minibatch order also from ``seed``); returns ``fit``'s History (per-epoch train and
    eval loss and accuracy, per-step loss)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"name must be one of {sorted(OPTIMIZERS)}; got {name!r}")
    model = MLP(list(SIZES), seed=seed)
    return fit(model, CrossEntropyLoss(), OPTIMIZERS[name](lr), X, y, epochs=epochs,
               batch_size=batch_size, seed=seed, eval_data=eval_data, verbose=False)


@dataclass
class Score:
    """Mean final validation accuracy and loss over the tuning seeds (NaN loss: diverged)."""

    accuracy: float
    loss: float


def tune(names: Iterable[str] = tuple(OPTIMIZERS), grid: Sequence[float] = LR_GRID,
         seeds: Sequence[int] = TUNING_SEEDS, epochs: int = EPOCHS, data: Split | None = None
         ) -> dict[str, dict[float, Score]]:
    """Score every (optimizer, learning rate) on the validation split; see the module doc."""
    data = load_digits() if data is None else data
    X_fit, y_fit, X_val, y_val = validation_split(data)
    results: dict[str, dict[float, Score]] = {}
    for name in names:
        results[name] = {}
        for lr in grid:
            accuracies, losses = [], []
            for seed in seeds:
                history = train(name, lr, seed, X_fit, y_fit, (X_val, y_val), epochs)
                finished = history.stopped is None and len(history.epoch_eval_accuracy) == epochs
                accuracies.append(history.epoch_eval_accuracy[-1] if finished else 0.0)
                losses.append(history.epoch_eval_loss[-1] if finished else np.nan)
            results[name][lr] = Score(float(np.mean(accuracies)), float(np.mean(losses)))
    return results


def stored_results() -> dict[str, dict[float, Score]]:
    """``TUNING_RESULTS`` in the shape :func:`tune` returns: {name: {lr: Score}}."""
    return {name: {lr: Score(*cell) for lr, cell in zip(LR_GRID, cells, strict=True)}
            for name, cells in TUNING_RESULTS.items()}


def best_learning_rates(results: dict[str, dict[float, Score]]) -> dict[str, float]:
    """For each optimizer, the learning rate of highest mean validation accuracy; among equal
    accuracies, the lowest validation loss (diverged runs rank last)."""
    best = {}
    for name, scores in results.items():
        def rank(lr: float, scores=scores) -> tuple[float, float]:
            loss = scores[lr].loss
            return (-scores[lr].accuracy, loss if np.isfinite(loss) else np.inf)

        best[name] = min(scores, key=rank)
    return best


def main() -> None:  # pragma: no cover - the offline tuning run, minutes of CPU
    results = tune()
    best = best_learning_rates(results)
    print("validation accuracy (mean over seeds) per learning rate")
    print("            " + "".join(f"{lr:>8g}" for lr in LR_GRID))
    for name, scores in results.items():
        row = "".join(f"{scores[lr].accuracy:8.3f}" for lr in LR_GRID)
        print(f"{name:>10}  {row}   best lr = {best[name]:g}")
    print("TUNED_LR =", {name: best[name] for name in results})
    print("TUNING_RESULTS = {")
    for name, scores in results.items():
        cells = ", ".join(f"({scores[lr].accuracy:.4f}, {scores[lr].loss:.4g})" for lr in LR_GRID)
        print(f'    "{name}": ({cells}),')
    print("}")


if __name__ == "__main__":  # pragma: no cover
    main()
