r"""Reparameterization: the same function, a different parameterization, a different GD path.

**Linear reparameterization.** Write the parameters as w = A w̃ with A invertible (d×d) and run
gradient descent on f̃(w̃) = f(A w̃). Since ∇f̃(w̃) = Aᵀ∇f(A w̃),

    w̃ ← w̃ − α Aᵀ∇f(A w̃)     ⟺     w ← w − α AAᵀ ∇f(w)     (multiply by A)

so plain GD in the new coordinates *is* preconditioned GD with P = AAᵀ in the old ones.
With AAᵀ = H⁻¹ on a quadratic, that is Newton's method. :class:`Reparameterized` is f̃ as a
landscape (value, gradient Aᵀ∇f, Hessian AᵀHA) and :func:`preconditioned_gradient` gives
w ↦ P∇f(w) for ``coursekit.optim.run(..., grad=...)``.

**ReLU rescaling.** ReLU is positively homogeneous: relu(c z) = c relu(z) for c > 0. Scaling
hidden unit i's incoming weights and bias by c and its outgoing weights by 1/c leaves the
network's function unchanged, but its gradients change (∂L/∂w_in ÷ c, ∂L/∂w_out × c), so
gradient descent takes a different path, and the Hessian's eigenvalues change too: the
sharpness of a minimum is not a property of the function alone. Path-SGD (Neyshabur et al.,
2015) instead uses a geometry invariant to these rescalings, built from the *path norm*
(:func:`path_norm`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from .landscapes import Landscape
from .nn.activations import Identity, LeakyReLU, ReLU
from .nn.linear import Linear
from .nn.sequential import Sequential

HOMOGENEOUS = (ReLU, LeakyReLU, Identity)


def _invertible(A: np.ndarray, dim: int, name: str = "A") -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.shape != (dim, dim):
        raise ValueError(f"{name} must have shape ({dim}, {dim}) for a {dim}-dimensional "
                         f"landscape; got {A.shape}")
    if not np.all(np.isfinite(A)) or np.linalg.cond(A) > 1e12:
        raise ValueError(f"{name} must be finite and invertible; its condition number is "
                         f"{np.linalg.cond(A):.3g}")
    return A


class Reparameterized(Landscape):
    """f̃(w̃) = f(A w̃): value f(Aw̃), gradient Aᵀ∇f(Aw̃), Hessian Aᵀ∇²f(Aw̃)A.

    ``to_original(w̃)`` maps points (..., d) back to w = A w̃, ``from_original(w)`` solves
    A w̃ = w.
    """

    def __init__(self, f: Landscape, A: np.ndarray) -> None:
        super().__init__()
        self.f, self.dim = f, f.dim
        self.A = _invertible(A, f.dim)
        self.name = f"{f.name} under w = Aw̃"
        self.critical_points = {kind: self.from_original(points)
                                for kind, points in f.critical_points.items()}

    def to_original(self, w_tilde: np.ndarray) -> np.ndarray:
        """w = A w̃ for points of shape (..., d)."""
        return np.asarray(w_tilde, dtype=np.float64) @ self.A.T

    def from_original(self, w: np.ndarray) -> np.ndarray:
        """w̃ = A⁻¹ w for points of shape (..., d)."""
        w = np.asarray(w, dtype=np.float64)
        return np.linalg.solve(self.A, w.reshape(-1, self.dim).T).T.reshape(w.shape)

    def _value(self, x):
        return self.f(self.to_original(x))

    def _grad(self, x):
        return self.f.grad(self.to_original(x)) @ self.A

    def _hessian(self, x):
        return self.A.T @ self.f.hessian(self.to_original(x)) @ self.A

    def __repr__(self) -> str:
        return f"Reparameterized({self.f!r}, A={np.array2string(self.A, precision=3)})"


def preconditioned_gradient(f: Landscape, P: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """w ↦ P ∇f(w), so ``run(SGD(lr), f, w0, steps, grad=preconditioned_gradient(f, P))`` is
    preconditioned gradient descent w ← w − α P∇f(w)."""
    P = np.asarray(P, dtype=np.float64)
    if P.shape != (f.dim, f.dim):
        raise ValueError(f"P must have shape ({f.dim}, {f.dim}); got {P.shape}")
    return lambda w: f.grad(w) @ P.T


def _linear_pairs(model: Sequential) -> list[tuple[int, int]]:
    """(index of a Linear, index of the next Linear) for consecutive Linear layers."""
    linears = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
    return list(zip(linears[:-1], linears[1:], strict=False))


def rescale_hidden_units(model: Sequential, layer: int, scale: float | np.ndarray,
                         units: int | list[int] | None = None) -> Sequential:
    """A copy of ``model`` computing the same function, with hidden units rescaled.

    ``layer`` counts the model's Linear layers (0 = the first); for each unit i of its output
    in ``units`` (default all), row i of its weight and its bias i are multiplied by ``scale``
    (c > 0, or one c per unit) and column i of the next Linear's weight is divided by it.
    Everything in between must be positively homogeneous (ReLU, LeakyReLU, Identity).
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"rescale_hidden_units needs a Sequential; got {type(model).__name__}")
    pairs = _linear_pairs(model)
    if not 0 <= layer < len(pairs):
        raise ValueError(f"layer must index a Linear followed by another Linear, 0 <= layer < "
                         f"{len(pairs)}; got {layer}")
    first, second = pairs[layer]
    for between in model.layers[first + 1:second]:
        if not isinstance(between, HOMOGENEOUS):
            raise ValueError(f"rescaling changes the function unless the layers between the "
                             f"two Linear layers are ReLU, LeakyReLU or Identity; found "
                             f"{between!r}")
    n = model.layers[first].out_features
    idx = np.arange(n) if units is None else np.atleast_1d(np.asarray(units))
    if idx.size == 0 or idx.min() < 0 or idx.max() >= n:
        raise ValueError(f"units must lie in [0, {n}); got {units}")
    c = np.broadcast_to(np.asarray(scale, dtype=np.float64), idx.shape)
    if not np.all(np.isfinite(c) & (c > 0)):
        raise ValueError(f"scale must be finite and > 0 (relu(cz) = c relu(z) needs c > 0); "
                         f"got {scale}")
    clone = copy.deepcopy(model)
    incoming, outgoing = clone.layers[first], clone.layers[second]
    incoming.weight[idx] *= c[:, None]
    if "bias" in incoming.param_names:
        incoming.bias[idx] *= c
    outgoing.weight[:, idx] /= c
    return clone


def path_norm(model: Sequential) -> float:
    """‖θ‖_path = (Σ over input-to-output paths of Π w²)^½, biases counted as paths that start
    at a bias. Invariant under :func:`rescale_hidden_units`; computed layer by layer as
    v ← (W ⊙ W) v + b ⊙ b from v = 1."""
    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    if not linears:
        raise ValueError("path_norm needs a model with Linear layers")
    v = np.ones(linears[0].in_features)
    for lin in linears:
        v = (lin.weight.real**2) @ v
        if "bias" in lin.param_names:
            v = v + lin.bias.real**2
    return float(np.sqrt(v.sum()))
