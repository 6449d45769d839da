"""Losses: ``forward(outputs, targets) -> float`` and ``backward() -> ∂L/∂outputs``.

Cross-entropy on logits Z (N, C) with integer classes y (N,), averaged over the batch:

    L = (1/N) Σ_i [ log Σ_c exp(z_ic) − z_{i,y_i} ]
    ∂L/∂Z = (softmax(Z) − onehot(y)) / N

The log-sum-exp is computed as m + log Σ_c exp(z_ic − m) with m = max_c z_ic, so no exp
overflows (the identity holds for any shift m). Mean squared error over all entries:

    L = (1/(N·D)) Σ_ij (o_ij − t_ij)²,   ∂L/∂O = 2 (O − T) / (N·D)

Both match torch's ``CrossEntropyLoss()`` and ``MSELoss()`` (reduction="mean").
"""

from __future__ import annotations

import numpy as np


def _outputs(outputs, name: str) -> np.ndarray:
    outputs = np.asarray(outputs)
    if outputs.dtype.kind not in "fc":
        outputs = outputs.astype(np.float64)
    if outputs.ndim != 2:
        raise ValueError(f"{name}: outputs must have shape (batch, outputs); got shape "
                         f"{outputs.shape}")
    return outputs


class Loss:
    """Base class: a loss remembers what ``backward`` needs from its last ``forward``."""

    name = "Loss"

    def __call__(self, outputs, targets) -> float:
        return self.forward(outputs, targets)

    def forward(self, outputs, targets) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def accuracy(self, outputs, targets) -> float | None:
        """Fraction of correct predictions, or None for a loss without classes."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits, with integer class targets in [0, C)."""

    def forward(self, outputs, targets) -> float:
        logits = _outputs(outputs, "CrossEntropyLoss")
        targets = self._check_targets(logits, targets)
        n = logits.shape[0]
        shifted = logits - logits.real.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        self._probs = exp / total
        self._targets = targets
        rows = np.arange(n)
        value = np.mean(np.log(total[:, 0]) - shifted[rows, targets])
        # Complex values only occur inside coursekit.curvature's complex-step evaluations.
        return float(value.real)

    def backward(self) -> np.ndarray:
        """(softmax(Z) − onehot(y)) / N."""
        if not hasattr(self, "_probs"):
            raise ValueError("CrossEntropyLoss: backward called before forward")
        grad = self._probs.copy()
        n = grad.shape[0]
        grad[np.arange(n), self._targets] -= 1.0
        grad /= n
        return grad

    def accuracy(self, outputs, targets) -> float:
        """Fraction of rows whose largest logit is at the target class."""
        logits = _outputs(outputs, "CrossEntropyLoss")
        targets = self._check_targets(logits, targets)
        return float(np.mean(np.argmax(logits.real, axis=1) == targets))

    @staticmethod
    def _check_targets(logits: np.ndarray, targets) -> np.ndarray:
        targets = np.asarray(targets)
        n, c = logits.shape
        if targets.dtype.kind not in "iu":
            raise ValueError(f"CrossEntropyLoss: targets must be integer class indices; got "
                             f"dtype {targets.dtype} (shape {targets.shape})")
        if targets.shape != (n,):
            raise ValueError(f"CrossEntropyLoss: targets must have shape ({n},) to match "
                             f"logits of shape {logits.shape}; got shape {targets.shape}")
        if n and (targets.min() < 0 or targets.max() >= c):
            raise ValueError(f"CrossEntropyLoss: targets must lie in [0, {c}) for logits of "
                             f"shape {logits.shape}; got values in "
                             f"[{targets.min()}, {targets.max()}]")
        return targets


class MSELoss(Loss):
    """Mean squared error over all entries; outputs and targets of the same shape (N, D)."""

    def forward(self, outputs, targets) -> float:
        outputs = _outputs(outputs, "MSELoss")
        targets = np.asarray(targets)
        if targets.shape != outputs.shape:
            hint = " (reshape targets with .reshape(-1, 1))" if targets.shape == \
                outputs.shape[:1] else ""
            raise ValueError(f"MSELoss: targets of shape {targets.shape} do not match "
                             f"outputs of shape {outputs.shape}{hint}")
        self._diff = outputs - targets.astype(outputs.dtype, copy=False)
        value = np.mean(self._diff * self._diff)
        return float(value.real)

    def backward(self) -> np.ndarray:
        """2 (O − T) / (N·D)."""
        if not hasattr(self, "_diff"):
            raise ValueError("MSELoss: backward called before forward")
        return self._diff * (2.0 / self._diff.size)
