"""Offline, seeded datasets for the lessons (nothing is downloaded).

Classification sets come back as a ``Split`` with four arrays, which also unpacks like a tuple:

    data = load_digits()                       # or: X_train, y_train, X_test, y_test = ...
    data.X_train  # (n_train, n_features) float64     data.y_train  # (n_train,) int64
    data.X_test   # (n_test,  n_features) float64     data.y_test   # (n_test,)  int64

- ``load_digits()``: scikit-learn's bundled 8×8 handwritten digits (1797 images, 64 pixel
  features, 10 classes). A fixed stratified split (20 % of each class for testing, seed 0:
  1438 train / 359 test), then every feature standardized with the *training* mean and
  standard deviation (constant pixels get std 1, so they stay 0). The statistics are in
  ``data.mean`` and ``data.std``.
- ``two_moons()``: two interleaving half circles with Gaussian noise (2 features, 2 classes).
- ``spirals()``: K interleaved spiral arms (2 features, K classes), the cs231n toy set.

The badly scaled regression sets of lesson 04 come back as a ``Regression`` (X, y and the
true weights w, with y = X w + noise; it unpacks as ``X, y = ravine(...)``):

- ``ravine("scales")``: one feature in the hundreds beside one in the thousandths,
- ``ravine("offset")``: two features both near 1000 (uncentred).

``standardize`` centres and scales columns; ``batch_indices`` is the shuffled minibatch order
that ``coursekit.train.fit`` uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Split:
    """A train/test split: X_* (n, features) floats, y_* (n,) integer classes."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray | None = field(default=None, repr=False)
    std: np.ndarray | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)

    def __repr__(self) -> str:
        return (f"Split(X_train {self.X_train.shape}, y_train {self.y_train.shape}, "
                f"X_test {self.X_test.shape}, y_test {self.y_test.shape}, "
                f"{self.n_classes} classes)")


@dataclass
class Regression:
    """y = X w + noise: X (n, d), y (n,), the true weights w (d,). Unpacks as (X, y)."""

    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X, self.y))


def standardize(X: np.ndarray, mean: np.ndarray | None = None, std: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X − μ) / s per column; returns (Z, μ, s). μ and s default to X's column mean and
    standard deviation; a column with s = 0 is only centred (s is set to 1)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"standardize: X must have shape (n, features); got {X.shape}")
    mean = X.mean(axis=0) if mean is None else np.asarray(mean, dtype=np.float64)
    if std is None:
        std = X.std(axis=0)
        std = np.where(std > 0, std, 1.0)
    std = np.asarray(std, dtype=np.float64)
    if mean.shape != (X.shape[1],) or std.shape != (X.shape[1],):
        raise ValueError(f"standardize: mean and std must have shape ({X.shape[1]},); got "
                         f"{mean.shape} and {std.shape}")
    return (X - mean) / std, mean, std


def split_indices(y: np.ndarray, test_size: float, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """A stratified split of the rows: (training rows in shuffled order, test rows in
    order), each class contributing round(test_size · n_c) test rows. It depends on the
    labels alone, never on X."""
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must lie in (0, 1); got {test_size}")
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        test[members[:int(round(test_size * members.size))]] = True
    return rng.permutation(np.flatnonzero(~test)), np.flatnonzero(test)


def _split(X: np.ndarray, y: np.ndarray, test_size: float, rng: np.random.Generator
           ) -> tuple[np.ndarray, ...]:
    train_idx, test_idx = split_indices(y, test_size, rng)
    return X[train_idx], y[train_idx], X[test_idx], y[test_idx]


DIGITS_TEST_SIZE, DIGITS_SEED = 0.2, 0  # load_digits()'s split, held out by the grader


def load_digits(test_size: float = DIGITS_TEST_SIZE, seed: int = DIGITS_SEED, dtype=np.float64
                ) -> Split:
    """scikit-learn's digits, split (stratified) and standardized with training statistics."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    X, y = digits.data.astype(np.float64), digits.target.astype(np.int64)
    X_train, y_train, X_test, y_test = _split(X, y, test_size, np.random.default_rng(seed))
    X_train, mean, std = standardize(X_train)
    X_test, _, _ = standardize(X_test, mean, std)
    return Split(X_train.astype(dtype), y_train, X_test.astype(dtype), y_test, mean, std)


def two_moons(n_samples: int = 400, noise: float = 0.15, test_size: float = 0.25,
              seed: int = 0) -> Split:
    """Two interleaving half circles: class 0 on (cos t, sin t), class 1 on
    (1 − cos t, ½ − sin t), t ~ U(0, π), plus N(0, noise²) on each coordinate."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % 2
    t = rng.uniform(0, np.pi, n_samples)
    X = np.where(y[:, None] == 0, np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    X = X + noise * rng.standard_normal(X.shape)
    return Split(*_split(X, y.astype(np.int64), test_size, rng))


def spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2,
            test_size: float = 0.25, seed: int = 0) -> Split:
    """K spiral arms: class k at radius r ∈ [0, 1] and angle 4r + 2πk/K + N(0, noise²)."""
    if n_classes < 2:
        raise ValueError(f"spirals: n_classes must be >= 2; got {n_classes}")
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    r = rng.uniform(0, 1, n_samples)
    angle = 4 * r + 2 * np.pi * y / n_classes + noise * rng.standard_normal(n_samples)
    X = np.c_[r * np.sin(angle), r * np.cos(angle)]
    return Split(*_split(X, y.astype(np.int64), test_size, rng))


RAVINES = {
    # feature scales and offsets, true weights: each feature contributes O(1) to y
    "scales": (np.array([100.0, 0.001]), np.array([0.0, 0.0]), np.array([0.01, 1000.0])),
    "offset": (np.array([1.0, 1.0]), np.array([1000.0, 1000.0]), np.array([1.0, -1.0])),
}


def ravine(kind: str = "scales", n_samples: int = 200, noise: float = 0.1, seed: int = 0
           ) -> Regression:
    """Badly scaled least squares (lesson 04): x_j = offset_j + scale_j · N(0, 1),
    y = x·w + N(0, noise²). The Hessian of the mean squared error, (2/n) XᵀX, then has a huge
    condition number; standardizing the columns brings it near 1.

    kind "scales": scales (100, 0.001), offsets 0, w = (0.01, 1000).
    kind "offset": scales (1, 1), offsets (1000, 1000), w = (1, −1).
    """
    if kind not in RAVINES:
        raise ValueError(f"ravine: kind must be one of {sorted(RAVINES)}; got {kind!r}")
    scale, offset, w = RAVINES[kind]
    rng = np.random.default_rng(seed)
    X = offset + scale * rng.standard_normal((n_samples, 2))
    y = X @ w + noise * rng.standard_normal(n_samples)
    return Regression(X, y, w.copy())


def batch_indices(n: int, batch_size: int, rng: np.random.Generator, shuffle: bool = True
                  ) -> list[np.ndarray]:
    """One epoch's minibatches: a permutation of range(n) cut into chunks of ``batch_size``
    (the last one may be smaller), as torch's DataLoader(shuffle=True, drop_last=False)."""
    if n < 1 or batch_size < 1:
        raise ValueError(f"batch_indices: n and batch_size must be >= 1; got {n}, {batch_size}")
    order = rng.permutation(n) if shuffle else np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]
