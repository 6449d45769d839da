"""Lesson 21's shootout on the protocol of the AlgoPerf benchmark, at laptop scale.

- **Workloads** (:data:`WORKLOADS`): a problem, a fixed step budget and a validation target.
  The score of a run is the number of steps until the validation error first reaches the
  target (checked every ``eval_every`` steps), or ∞ if it never does within the budget.
- **Tuning** (:func:`search_space`): each optimizer gets the same budget of ``trials``
  learning rates, drawn log-uniformly from [LR_LOW, LR_HIGH] by a scrambled Halton sequence
  (quasirandom: evenly spread, unlike independent draws); its other hyperparameters keep their
  defaults. A *study* is one such search, with its own scrambling; the optimizer's score on a
  workload is the median over studies of the best trial's steps.
- **Performance profiles** (:func:`performance_profile`): ρ(τ) is the fraction of workloads on
  which an optimizer's score is within τ × the best optimizer's score on that workload.

A diverged run (a non-finite gradient) scores ∞, like one that misses the target. Schedule-Free
methods are evaluated at their average x (``eval``), as they are meant to be used.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from . import optim
from .data import load_digits, two_moons
from .nn import MLP, CrossEntropyLoss
from .optim.base import Optimizer
from .shootout import validation_split
from .train import evaluate

LR_LOW, LR_HIGH = 1e-4, 10.0


class MuonWithAdamW:
    """Muon for the matrices, AdamW for the vectors (biases), one ``lr`` for both: how Muon is
    used (it is defined for 2-D parameters only). ``adjust_lr_fn="match_rms_adamw"`` scales
    Muon's step to AdamW's typical size, so one lr suits both."""

    def __init__(self, lr: float) -> None:
        self.muon = optim.Muon(lr=lr, weight_decay=0.0, adjust_lr_fn="match_rms_adamw",
                               precision="float64")
        self.adamw = optim.AdamW(lr=lr, weight_decay=0.0)
        self.lr = lr

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        matrices = [i for i, p in enumerate(params) if p.ndim == 2]
        others = [i for i, p in enumerate(params) if p.ndim != 2]
        for opt, idx in ((self.muon, matrices), (self.adamw, others)):
            if idx:
                opt.step([params[i] for i in idx], [grads[i] for i in idx])


#: every optimizer of the course that takes one gradient per step (LBFGS, which runs a line
#: search of several evaluations per step, does not fit a step budget and is left out)
OPTIMIZERS: dict[str, Callable[[float], Optimizer | MuonWithAdamW]] = {
    "SGD": lambda lr: optim.SGD(lr=lr),
    "momentum": lambda lr: optim.SGD(lr=lr, momentum=0.9),
    "Nesterov": lambda lr: optim.SGD(lr=lr, momentum=0.9, nesterov=True),
    "Adagrad": lambda lr: optim.Adagrad(lr=lr),
    "RMSprop": lambda lr: optim.RMSprop(lr=lr),
    "Adadelta": lambda lr: optim.Adadelta(lr=lr),
    "Adam": lambda lr: optim.Adam(lr=lr),
    "AdamW": lambda lr: optim.AdamW(lr=lr),
    "NAdam": lambda lr: optim.NAdam(lr=lr),
    "RAdam": lambda lr: optim.RAdam(lr=lr),
    "Adamax": lambda lr: optim.Adamax(lr=lr),
    "Rprop": lambda lr: optim.Rprop(lr=lr),
    "ASGD": lambda lr: optim.ASGD(lr=lr),
    "Adafactor": lambda lr: optim.Adafactor(lr=lr),
    "Muon": MuonWithAdamW,
    "Lion": lambda lr: optim.Lion(lr=lr),
    "SGD-SF": lambda lr: optim.SGDScheduleFree(lr=lr),
    "AdamW-SF": lambda lr: optim.AdamWScheduleFree(lr=lr),
}


class Problem:
    """One seeded instance of a workload: ``params``, ``gradient(step)`` (minibatch, at the
    current params) and ``validation_error()`` (lower is better)."""

    params: list[np.ndarray]

    def gradient(self, step: int) -> list[np.ndarray]:
        raise NotImplementedError

    def validation_error(self) -> float:
        raise NotImplementedError


class Classifier(Problem):
    """An MLP trained with minibatches of softmax cross-entropy; error = 1 − val accuracy."""

    def __init__(self, X, y, X_val, y_val, sizes, batch_size: int, seed: int) -> None:
        self.model, self.loss = MLP(list(sizes), seed=seed), CrossEntropyLoss()
        self.X, self.y, self.val, self.batch_size = X, y, (X_val, y_val), batch_size
        self.rng = np.random.default_rng(seed)
        self.params, self.grads = self.model.params(), self.model.grads()

    def gradient(self, step: int) -> list[np.ndarray]:
        idx = self.rng.choice(len(self.X), self.batch_size, replace=False)
        self.loss.forward(self.model.forward(self.X[idx]), self.y[idx])
        self.model.backward(self.loss.backward())
        return self.grads

    def validation_error(self) -> float:
        return 1.0 - evaluate(self.model, self.loss, *self.val).accuracy


class RavineQuadratic(Problem):
    """f(W) = ½ Σᵢⱼ hᵢⱼ (Wᵢⱼ − W*ᵢⱼ)² on an 8×4 matrix, curvatures h log-spaced over [1, 1000]
    (condition number 1000), exact gradients; error = f(W) / f(W₀)."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.h = np.logspace(0, 3, 32).reshape(8, 4)
        self.target = rng.standard_normal((8, 4))
        self.params = [rng.standard_normal((8, 4))]
        self.f0 = self.value()

    def value(self) -> float:
        return 0.5 * float(np.sum(self.h * (self.params[0] - self.target) ** 2))

    def gradient(self, step: int) -> list[np.ndarray]:
        return [self.h * (self.params[0] - self.target)]

    def validation_error(self) -> float:
        return self.value() / self.f0


@dataclass(frozen=True)
class Workload:
    """A problem family, its validation target, step budget and evaluation interval."""

    name: str
    make: Callable[[int], Problem]
    target: float
    budget: int
    eval_every: int


def _digits(seed: int) -> Problem:
    X, y, X_val, y_val = validation_split(load_digits())
    return Classifier(X, y, X_val, y_val, (64, 32, 10), batch_size=32, seed=seed)


def _moons(seed: int) -> Problem:
    X, y, X_val, y_val = validation_split(two_moons(n_samples=400, noise=0.15))
    return Classifier(X, y, X_val, y_val, (2, 16, 16, 2), batch_size=32, seed=seed)


WORKLOADS = (
    Workload("ravine quadratic", RavineQuadratic, target=1e-3, budget=200, eval_every=5),
    Workload("two moons", _moons, target=0.04, budget=300, eval_every=10),
    Workload("digits MLP", _digits, target=0.05, budget=300, eval_every=10),
)


def search_space(trials: int, study: int) -> list[float]:
    """``trials`` learning rates, log-uniform on [LR_LOW, LR_HIGH], from a Halton sequence
    scrambled with seed ``study`` (the same points for every optimizer in a study)."""
    if trials < 1:
        raise ValueError(f"trials must be >= 1; got {trials}")
    u = qmc.Halton(d=1, scramble=True, seed=study).random(trials)[:, 0]
    return (LR_LOW * (LR_HIGH / LR_LOW) ** u).tolist()


def steps_to_target(workload: Workload, name: str, lr: float, seed: int = 0) -> float:
    """Steps until the validation error reaches the target (∞: missed or diverged)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"name must be one of {list(OPTIMIZERS)}; got {name!r}")
    problem, opt = workload.make(seed), OPTIMIZERS[name](lr)
    averaged = hasattr(opt, "eval_params")
    with np.errstate(all="ignore"):
        for step in range(1, workload.budget + 1):
            grads = problem.gradient(step)
            if not all(np.isfinite(g).all() for g in grads):
                return math.inf
            opt.step(problem.params, grads)
            if step % workload.eval_every == 0:
                if averaged:
                    opt.eval(problem.params)
                error = problem.validation_error()
                if averaged:
                    opt.train(problem.params)
                if error <= workload.target:
                    return float(step)
    return math.inf


def performance_profile(scores: dict[str, list[float]], taus) -> dict[str, list[float]]:
    """{optimizer: [ρ(τ) for τ in taus]}, ρ(τ) = fraction of workloads with score ≤ τ·best.

    scores: {optimizer: one score per workload (∞ = target never reached)}. A workload no
    optimizer solves counts as unsolved for all."""
    table = np.array(list(scores.values()), dtype=float)
    if table.ndim != 2 or table.size == 0:
        raise ValueError("scores must map each optimizer to one score per workload")
    best = table.min(axis=0)
    with np.errstate(invalid="ignore"):
        ratio = np.where(np.isfinite(table), table / best, np.inf)
    return {name: [float(np.mean(np.isfinite(row) & (row <= tau))) for tau in taus]
            for name, row in zip(scores, ratio, strict=True)}


#: the offline run (``python -m coursekit.algoperf``): steps to target of every trial,
#: {workload: {optimizer: (one tuple per study of the trials' steps)}}; INF: not reached
INF = math.inf
STUDIES, TRIALS = 5, 5
RESULTS: dict[str, dict[str, list[list[float]]]] = {
    'ravine quadratic': {
        'SGD': [
            [INF, INF, INF, INF, 130],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
        ],
        'momentum': [
            [65, INF, INF, INF, 55],
            [65, INF, INF, INF, 120],
            [INF, INF, 65, INF, 60],
            [INF, 100, INF, 60, INF],
            [INF, 75, INF, INF, INF],
        ],
        'Nesterov': [
            [55, INF, INF, INF, 35],
            [40, INF, INF, INF, 120],
            [INF, INF, 40, INF, INF],
            [INF, 100, INF, INF, INF],
            [INF, 60, INF, INF, INF],
        ],
        'Adagrad': [
            [INF, INF, INF, 5, INF],
            [INF, 185, INF, 5, INF],
            [INF, 5, INF, 180, INF],
            [INF, INF, 15, INF, 140],
            [INF, INF, 5, INF, 55],
        ],
        'RMSprop': [
            [INF, 10, INF, 5, INF],
            [INF, 5, INF, 5, INF],
            [INF, 5, INF, 5, INF],
            [30, INF, 5, INF, 5],
            [15, INF, 5, INF, 5],
        ],
        'Adadelta': [
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
        ],
        'Adam': [
            [INF, 65, INF, 60, INF],
            [INF, 60, INF, 75, INF],
            [INF, 75, INF, 60, INF],
            [80, INF, 60, INF, 55],
            [70, INF, 65, INF, 55],
        ],
        'AdamW': [
            [INF, 65, INF, 55, INF],
            [INF, 60, INF, 60, INF],
            [INF, 60, INF, 40, INF],
            [80, INF, 50, INF, 55],
            [65, INF, 50, INF, 55],
        ],
        'NAdam': [
            [INF, 50, INF, 10, INF],
            [INF, 45, INF, INF, INF],
            [INF, INF, INF, 45, INF],
            [100, INF, INF, INF, 40],
            [55, INF, 10, INF, 40],
        ],
        'RAdam': [
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
        ],
        'Adamax': [
            [INF, 55, INF, 55, INF],
            [INF, 60, INF, 65, INF],
            [INF, 70, INF, 55, INF],
            [130, INF, 50, INF, 55],
            [65, INF, 55, INF, 40],
        ],
        'Rprop': [
            [50, 20, 35, 20, 40],
            [40, 10, 30, 20, 55],
            [25, 20, 50, 20, 40],
            [20, 55, 15, 40, 15],
            [15, 45, 20, 30, 15],
        ],
        'ASGD': [
            [INF, INF, INF, INF, 130],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
        ],
        'Adafactor': [
            [INF, INF, INF, 65, INF],
            [INF, INF, INF, 65, INF],
            [INF, 65, INF, INF, INF],
            [INF, INF, 55, INF, 175],
            [INF, INF, 65, INF, 135],
        ],
        'Muon': [
            [INF, 170, INF, INF, INF],
            [INF, 145, INF, INF, INF],
            [INF, INF, INF, 115, INF],
            [INF, INF, INF, INF, 140],
            [180, INF, INF, INF, 130],
        ],
        'Lion': [
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [145, INF, INF, INF, INF],
            [75, INF, INF, INF, INF],
        ],
        'SGD-SF': [
            [INF, INF, 55, INF, INF],
            [INF, INF, 30, INF, INF],
            [30, INF, INF, INF, 120],
            [INF, INF, INF, 110, INF],
            [INF, INF, INF, 60, INF],
        ],
        'AdamW-SF': [
            [INF, 85, INF, 10, INF],
            [INF, 45, INF, 15, INF],
            [INF, 15, INF, 45, INF],
            [160, INF, 20, INF, 40],
            [90, INF, 10, INF, 50],
        ],
    },
    'two moons': {
        'SGD': [
            [INF, INF, INF, 70, INF],
            [INF, 210, INF, INF, INF],
            [INF, INF, INF, 200, INF],
            [INF, INF, 70, INF, 140],
            [INF, INF, 70, INF, 80],
        ],
        'momentum': [
            [INF, 50, INF, INF, INF],
            [INF, 40, INF, INF, INF],
            [INF, INF, INF, 40, INF],
            [80, INF, 230, INF, 70],
            [50, INF, INF, INF, 80],
        ],
        'Nesterov': [
            [INF, 50, INF, INF, INF],
            [INF, 40, INF, INF, INF],
            [INF, INF, INF, 60, INF],
            [70, INF, 150, INF, 40],
            [50, INF, INF, INF, 80],
        ],
        'Adagrad': [
            [INF, 60, INF, 40, INF],
            [INF, 60, INF, 20, INF],
            [INF, 220, INF, 60, INF],
            [80, INF, 70, INF, 30],
            [60, INF, 90, INF, 60],
        ],
        'RMSprop': [
            [INF, 60, 60, 20, INF],
            [INF, 30, 60, 60, INF],
            [60, 60, INF, 90, 190],
            [70, INF, 20, 160, 30],
            [70, INF, 20, 60, INF],
        ],
        'Adadelta': [
            [INF, INF, INF, 190, INF],
            [INF, INF, INF, 140, INF],
            [INF, 140, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, 190, INF, INF],
        ],
        'Adam': [
            [INF, 30, 160, INF, INF],
            [INF, 60, 110, INF, INF],
            [110, INF, INF, 40, INF],
            [40, INF, INF, 300, 110],
            [30, INF, INF, 200, 140],
        ],
        'AdamW': [
            [INF, 30, 160, INF, INF],
            [INF, 50, 110, 260, INF],
            [110, 70, INF, 70, INF],
            [40, INF, INF, 300, 70],
            [30, INF, INF, 200, 210],
        ],
        'NAdam': [
            [INF, 30, 160, INF, INF],
            [INF, 60, 100, INF, INF],
            [100, INF, INF, 60, 300],
            [60, INF, 100, 300, 20],
            [30, INF, INF, 160, 80],
        ],
        'RAdam': [
            [INF, 80, INF, 20, INF],
            [INF, 60, 300, 50, INF],
            [300, 30, INF, 60, INF],
            [140, INF, 50, INF, 60],
            [80, INF, 60, INF, 50],
        ],
        'Adamax': [
            [INF, 50, INF, 230, INF],
            [INF, 30, 300, 60, INF],
            [300, 120, INF, 50, INF],
            [40, INF, 60, INF, 40],
            [50, INF, 150, INF, 130],
        ],
        'Rprop': [
            [INF, 40, INF, 30, 220],
            [INF, 200, 80, 50, INF],
            [80, 50, INF, INF, INF],
            [20, 200, 20, INF, 220],
            [INF, INF, 30, INF, 30],
        ],
        'ASGD': [
            [INF, INF, INF, 60, INF],
            [INF, 210, INF, 220, INF],
            [INF, INF, INF, 200, INF],
            [INF, INF, 70, INF, 140],
            [INF, INF, 70, INF, 80],
        ],
        'Adafactor': [
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
        ],
        'Muon': [
            [INF, 30, 270, INF, INF],
            [INF, 70, 120, INF, INF],
            [120, INF, INF, 60, 210],
            [30, INF, INF, 190, 20],
            [40, INF, INF, 270, 20],
        ],
        'Lion': [
            [INF, 20, 80, INF, 240],
            [INF, INF, 60, INF, INF],
            [60, INF, INF, INF, 150],
            [20, INF, INF, 150, INF],
            [40, INF, INF, 80, INF],
        ],
        'SGD-SF': [
            [INF, INF, INF, 60, INF],
            [INF, INF, INF, 40, INF],
            [INF, 30, INF, INF, INF],
            [INF, INF, 80, INF, INF],
            [INF, INF, 60, INF, 230],
        ],
        'AdamW-SF': [
            [INF, 30, INF, INF, INF],
            [INF, 30, 220, 20, INF],
            [220, INF, INF, 30, INF],
            [50, INF, 30, INF, 30],
            [30, INF, INF, INF, 50],
        ],
    },
    'digits MLP': {
        'SGD': [
            [INF, 130, INF, INF, INF],
            [INF, 70, INF, INF, INF],
            [INF, INF, INF, 70, INF],
            [INF, INF, 110, INF, 60],
            [130, INF, INF, INF, 50],
        ],
        'momentum': [
            [INF, 60, INF, INF, INF],
            [INF, INF, 140, INF, INF],
            [140, INF, INF, 140, INF],
            [40, INF, INF, INF, INF],
            [60, INF, INF, INF, INF],
        ],
        'Nesterov': [
            [INF, 30, INF, INF, INF],
            [INF, 170, 130, INF, INF],
            [130, INF, INF, 140, INF],
            [40, INF, INF, INF, INF],
            [30, INF, INF, INF, INF],
        ],
        'Adagrad': [
            [INF, 40, INF, 60, INF],
            [INF, 60, INF, 150, INF],
            [INF, 50, INF, 40, INF],
            [40, INF, 60, INF, 50],
            [40, INF, 60, INF, 80],
        ],
        'RMSprop': [
            [INF, 70, 40, 110, 220],
            [INF, 90, 50, 90, INF],
            [60, 140, INF, 90, 60],
            [60, INF, 120, 60, 110],
            [70, INF, 110, 40, 60],
        ],
        'Adadelta': [
            [INF, INF, INF, 120, INF],
            [INF, INF, INF, 60, INF],
            [INF, 60, INF, INF, INF],
            [INF, INF, 220, INF, INF],
            [INF, INF, 130, INF, INF],
        ],
        'Adam': [
            [INF, 230, 70, 280, INF],
            [INF, 280, 60, 180, INF],
            [60, 170, INF, 140, 260],
            [70, INF, 170, 150, 170],
            [110, INF, 230, 70, 210],
        ],
        'AdamW': [
            [INF, 220, 70, INF, INF],
            [INF, INF, 60, INF, INF],
            [60, INF, INF, 190, 260],
            [120, INF, INF, 150, 150],
            [190, INF, INF, 70, 180],
        ],
        'NAdam': [
            [INF, 150, 70, INF, INF],
            [INF, 220, 50, 240, INF],
            [50, 140, INF, 120, 240],
            [110, INF, 170, 150, 280],
            [120, INF, 200, 80, INF],
        ],
        'RAdam': [
            [INF, 60, INF, 220, INF],
            [INF, 50, 280, INF, INF],
            [280, INF, INF, 50, INF],
            [60, INF, INF, INF, 40],
            [60, INF, 290, INF, 50],
        ],
        'Adamax': [
            [INF, 50, INF, 90, INF],
            [INF, 90, 130, 60, INF],
            [130, 60, INF, 60, INF],
            [50, INF, 80, INF, 80],
            [50, INF, 80, INF, 110],
        ],
        'Rprop': [
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
            [INF, INF, INF, INF, INF],
        ],
        'ASGD': [
            [INF, 130, INF, INF, INF],
            [INF, 70, INF, INF, INF],
            [INF, INF, INF, 70, INF],
            [INF, INF, 60, INF, 60],
            [130, INF, INF, INF, 50],
        ],
        'Adafactor': [
            [INF, 60, INF, 150, INF],
            [INF, 70, 170, 150, INF],
            [170, 150, INF, 80, INF],
            [50, INF, 130, INF, 60],
            [60, INF, 150, INF, 60],
        ],
        'Muon': [
            [INF, 200, 170, INF, INF],
            [INF, 280, 90, INF, INF],
            [80, 220, INF, 160, INF],
            [80, INF, 240, 300, INF],
            [170, INF, 200, 170, INF],
        ],
        'Lion': [
            [INF, INF, 70, INF, 190],
            [INF, INF, 70, INF, INF],
            [50, INF, INF, INF, 110],
            [150, INF, INF, 90, 120],
            [INF, INF, INF, 70, INF],
        ],
        'SGD-SF': [
            [INF, 250, INF, 60, INF],
            [INF, 140, INF, 230, INF],
            [INF, INF, INF, 140, INF],
            [INF, INF, 40, INF, 130],
            [270, INF, 40, INF, 70],
        ],
        'AdamW-SF': [
            [INF, 40, 170, 100, INF],
            [INF, 60, 80, 190, INF],
            [80, 60, INF, 150, INF],
            [50, INF, 170, INF, 70],
            [40, INF, 60, 180, 150],
        ],
    },
}


def all_trials(studies: int = STUDIES, trials: int = TRIALS, workloads=WORKLOADS,
               names=tuple(OPTIMIZERS)) -> dict[str, dict[str, list[list[float]]]]:
    """{workload: {optimizer: [[steps of each trial] for each study]}}."""
    return {w.name: {name: [[steps_to_target(w, name, lr) for lr in search_space(trials, s)]
                            for s in range(studies)] for name in names} for w in workloads}


def scores_from(trials: dict[str, dict[str, list[list[float]]]]) -> dict[str, list[float]]:
    """{optimizer: [median over studies of the best trial, one per workload]}."""
    names = next(iter(trials.values()))
    return {name: [float(np.median([min(study) for study in per[name]]))
                   for per in trials.values()] for name in names}


def main() -> None:  # pragma: no cover - the offline run, minutes of CPU
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        results = all_trials()
    print("RESULTS = {")
    for w, per in results.items():
        print(f"    {w!r}: {{")
        for name, studies in per.items():
            cells = ", ".join("(" + ", ".join("INF" if math.isinf(v) else str(int(v))
                                              for v in study) + ")" for study in studies)
            print(f"        {name!r}: ({cells}),")
        print("    },")
    print("}")


if __name__ == "__main__":  # pragma: no cover
    main()
