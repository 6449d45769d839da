r"""The curvature of a network's loss: Hessian-vector products, the Hessian, its top eigenvalues.

Everything here is about L(θ) = loss(model_θ(X), y) as a function of the flat parameter
vector θ (``coursekit.nn.parameters_to_vector``, P entries) on a fixed batch (X, y), at the
model's current θ.

**Hessian-vector products by the complex step.** Backprop computes g(θ) = ∇L(θ). Every
operation in our forward and backward passes (products, sums, exp, log, tanh, √, division) is
complex-analytic, and the branches (ReLU's mask, the shift in log-sum-exp) read only real
parts. Evaluated at a complex point, Taylor's theorem gives

    g(θ + i h v) = g(θ) + i h H v − (h²/2) ∇³L[v, v] + O(h³)

so  H v = Im g(θ + i h v) / h + O(h²). Unlike the central difference
(g(θ + εv) − g(θ − εv)) / 2ε there is no subtraction, hence no cancellation: h can be tiny
(1e-20 / max|v|), the O(h²) error falls far below round-off, and the result is exact to
float64 round-off, like torch's double-backward (R-op) Hessian-vector product. The real parts
are those of θ itself, so a ReLU kink is never crossed. One product costs one complex
forward and backward pass (≈ 4 real ones).

**Which function.** BatchNorm1d follows the model's mode (batch statistics of X in training
mode, running statistics in evaluation mode); Dropout is switched off (its expectation).
The model itself is never modified: a complex copy does the work.

**Eigenvalues.** ``top_eigenvalues`` runs Lanczos (algebraically largest eigenvalues, with full
reorthogonalization; in exact arithmetic P steps give all of them) or power/subspace iteration
(eigenvalues of largest magnitude). The *sharpness* is λ_max(H): gradient descent with step η
is stable on the local quadratic model only if η < 2/λ_max. ``SharpnessTracker`` measures it
during ``coursekit.train.fit``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import numpy as np

from .nn.base import Layer
from .nn.blas import blas_threads, single_threaded
from .nn.dropout import Dropout
from .nn.losses import Loss
from .nn.sequential import Sequential
from .nn.vector import count_parameters, grads_to_vector, parameters_to_vector, vector_to_parameters

COMPLEX_STEP = 1e-20


def _leaves(layer: Layer) -> Iterator[Layer]:
    if isinstance(layer, Sequential):
        for child in layer:
            yield from _leaves(child)
    else:
        yield layer


class HessianOperator:
    """v ↦ H v for L(θ) at the model's current θ, as a linear operator of shape (P, P).

    ``H @ v`` or ``H.matvec(v)`` for v of shape (P,); ``H.gradient()`` returns (L(θ), ∇L(θ)).
    θ is copied when the operator is built: later changes to the model do not affect it.
    """

    def __init__(self, model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray) -> None:
        self.theta = parameters_to_vector(model).astype(np.float64)
        self.dim = self.theta.size
        self.shape = (self.dim, self.dim)
        self._model = copy.deepcopy(model).astype(np.complex128)
        for layer in _leaves(self._model):
            if isinstance(layer, Dropout):
                layer.eval()
        self._loss = copy.deepcopy(loss)
        self._X = self._model._check_input(X, check_finite=True)
        self._y = np.asarray(y)
        self.matvecs = 0

    def _gradient_at(self, point: np.ndarray) -> tuple[float, np.ndarray]:
        vector_to_parameters(point, self._model)
        with blas_threads(1):
            value = self._loss.forward(self._model.forward(self._X), self._y)
            self._model.backward(self._loss.backward())
        return value, grads_to_vector(self._model)

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """H v = Im ∇L(θ + i h v) / h with h = 1e-20 / max|v| (exact to round-off)."""
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (self.dim,):
            raise ValueError(f"HessianOperator: v must have shape ({self.dim},) (one entry "
                             f"per parameter); got shape {v.shape}")
        scale = np.max(np.abs(v)) if v.size else 0.0
        if scale == 0:
            return np.zeros(self.dim)
        if not np.isfinite(scale):
            raise ValueError("HessianOperator: v contains NaN or inf")
        h = COMPLEX_STEP / scale
        self.matvecs += 1
        return self._gradient_at(self.theta + 1j * h * v)[1].imag / h

    def __matmul__(self, v: np.ndarray) -> np.ndarray:
        return self.matvec(v)

    def gradient(self) -> tuple[float, np.ndarray]:
        """(L(θ), ∇L(θ)) for the same function (one pass)."""
        value, grad = self._gradient_at(self.theta.astype(np.complex128))
        return value, grad.real

    @single_threaded
    def dense(self) -> np.ndarray:
        """The whole P×P Hessian, column by column (P products), symmetrized."""
        H = np.empty(self.shape)
        basis = np.zeros(self.dim)
        for j in range(self.dim):
            basis[j] = 1.0
            H[:, j] = self.matvec(basis)
            basis[j] = 0.0
        return (H + H.T) / 2


def hvp(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """H v, the Hessian of L(θ) = loss(model_θ(X), y) times v (shape (P,)), exact to round-off."""
    return HessianOperator(model, loss, X, y).matvec(v)


def hessian(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray,
            max_parameters: int = 3000) -> np.ndarray:
    """The dense P×P Hessian ∇²L(θ) (P Hessian-vector products), for small networks."""
    size = count_parameters(model)
    if size > max_parameters:
        raise ValueError(f"hessian: the model has P = {size} parameters, so the Hessian has "
                         f"{size}² = {size**2:,} entries; raise max_parameters (now "
                         f"{max_parameters}) or use top_eigenvalues / hvp")
    return HessianOperator(model, loss, X, y).dense()


@single_threaded
def lanczos(matvec, dim: int, k: int = 1, iters: int = 100, tol: float = 1e-8,
            rng: np.random.Generator | int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """The k algebraically largest eigenpairs of a symmetric operator by Lanczos.

    Builds an orthonormal Krylov basis V_m of span{q, Hq, …, H^(m−1) q} (each new vector
    reorthogonalized against all previous ones, twice) in which H is tridiagonal
    T_m = V_mᵀ H V_m; the eigenvalues of T_m (Ritz values) approach H's extreme eigenvalues.
    Stops when the residual ‖H x − θ x‖ = β_m |s_m| of each of the top k Ritz pairs is
    ≤ tol·|θ|, after ``iters`` steps, or when the Krylov space is invariant.
    Returns (values (k,) descending, vectors (dim, k)).
    """
    if not 1 <= k <= dim:
        raise ValueError(f"k must lie in [1, {dim}] (the number of parameters); got {k}")
    iters = min(max(int(iters), k), dim)
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    V = np.zeros((iters, dim))
    alphas, betas = [], []
    q = gen.standard_normal(dim)
    q /= np.linalg.norm(q)
    for j in range(iters):
        V[j] = q
        w = matvec(q)
        alphas.append(float(w @ q))
        for _ in range(2):
            w -= V[: j + 1].T @ (V[: j + 1] @ w)
        beta = float(np.linalg.norm(w))
        values, S = _ritz(alphas, betas)
        scale = max(np.max(np.abs(values)), np.finfo(float).tiny)
        if beta <= 1e-12 * scale:
            break
        if j + 1 >= k and np.all(beta * np.abs(S[-1, :k]) <= tol * np.abs(values[:k])):
            break
        betas.append(beta)
        q = w / beta
    values, S = _ritz(alphas, betas[: len(alphas) - 1])
    m = len(alphas)
    k = min(k, m)
    return values[:k], V[:m].T @ S[:, :k]


def _ritz(alphas: list[float], betas: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Eigenpairs of the tridiagonal T (diagonal alphas, off-diagonal betas), descending."""
    T = np.diag(alphas) + np.diag(betas[: len(alphas) - 1], 1) + \
        np.diag(betas[: len(alphas) - 1], -1)
    values, S = np.linalg.eigh(T)
    return values[::-1], S[:, ::-1]


@single_threaded
def power_iteration(matvec, dim: int, k: int = 1, iters: int = 100, tol: float = 1e-8,
                    rng: np.random.Generator | int | None = 0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The k eigenpairs of largest |λ| by subspace (block power) iteration.

    Q ← orth(H Q) repeatedly; the Rayleigh–Ritz values of QᵀHQ converge at the rate
    |λ_{k+1}| / |λ_k|. Stops when every residual ‖H x − θ x‖ ≤ tol·|θ| or after ``iters``
    rounds (k products each). Returns (values (k,) by decreasing |λ|, vectors (dim, k)).
    """
    if not 1 <= k <= dim:
        raise ValueError(f"k must lie in [1, {dim}] (the number of parameters); got {k}")
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    Q, _ = np.linalg.qr(gen.standard_normal((dim, k)))
    for _ in range(max(int(iters), 1)):
        Z = np.column_stack([matvec(Q[:, i]) for i in range(k)])
        T = Q.T @ Z
        values, S = np.linalg.eigh((T + T.T) / 2)
        order = np.argsort(-np.abs(values))
        values, S = values[order], S[:, order]
        vectors, images = Q @ S, Z @ S
        residual = np.linalg.norm(images - vectors * values, axis=0)
        if np.all(residual <= tol * np.maximum(np.abs(values), np.finfo(float).tiny)):
            break
        Q, _ = np.linalg.qr(images)
    return values, vectors


def top_eigenvalues(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray, k: int = 1,
                    method: str = "lanczos", iters: int = 100, tol: float = 1e-8,
                    seed: int = 0, return_vectors: bool = False):
    """The k top eigenvalues of ∇²L(θ), descending (and their unit eigenvectors, (P, k)).

    method "lanczos": algebraically largest (the sharpness first); "power": largest |λ|
    (subspace iteration; may return a negative eigenvalue when it dominates in magnitude).
    """
    H = HessianOperator(model, loss, X, y)
    if method == "lanczos":
        values, vectors = lanczos(H.matvec, H.dim, k, iters, tol, seed)
    elif method == "power":
        values, vectors = power_iteration(H.matvec, H.dim, k, iters, tol, seed)
    else:
        raise ValueError(f"method must be 'lanczos' or 'power'; got {method!r}")
    return (values, vectors) if return_vectors else values


def sharpness(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray, iters: int = 30,
              tol: float = 1e-6, seed: int = 0) -> float:
    """λ_max(∇²L(θ)) by Lanczos: GD with step η is stable on the local quadratic iff
    η < 2/λ_max."""
    return float(top_eigenvalues(model, loss, X, y, 1, "lanczos", iters, tol, seed)[0])


class SharpnessTracker:
    """Measure the sharpness on a fixed batch (X, y) every ``every`` steps of ``fit``.

    ``fit(..., sharpness=SharpnessTracker(X[:512], y[:512], every=20))`` fills
    ``history.sharpness`` and ``history.sharpness_step`` (the step index t: the value is
    λ_max at the parameters θ_t before step t is taken).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, every: int = 10, iters: int = 30,
                 tol: float = 1e-6, seed: int = 0) -> None:
        if int(every) < 1:
            raise ValueError(f"SharpnessTracker: every must be >= 1; got {every}")
        self.X, self.y = X, y
        self.every, self.iters, self.tol, self.seed = int(every), int(iters), tol, seed

    def __call__(self, model: Layer, loss: Loss) -> float:
        return sharpness(model, loss, self.X, self.y, self.iters, self.tol, self.seed)


def filter_normalized_direction(model: Layer, rng: np.random.Generator | int | None = 0
                                ) -> np.ndarray:
    """A random direction d in θ-space scaled filter by filter (Li et al., 2018).

    For every weight matrix, each row (the incoming weights of one unit) of a Gaussian
    direction is rescaled to the norm of the same row of the weights; vectors (biases,
    BatchNorm's γ and β) get d = 0. Slices L(θ + a d) then compare across networks whose
    weights differ in scale.
    """
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    parts = []
    for p in model.params():
        p = np.asarray(p, dtype=np.float64)
        if p.ndim < 2:
            parts.append(np.zeros(p.size))
            continue
        d = gen.standard_normal(p.shape)
        rows = np.linalg.norm(p, axis=1, keepdims=True)
        d *= rows / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), np.finfo(float).tiny)
        parts.append(d.reshape(-1))
    return np.concatenate(parts)


def loss_surface(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray,
                 directions: list[np.ndarray] | np.ndarray, coords: np.ndarray) -> np.ndarray:
    """L(θ + Σ_j a_j d_j) for each row a of ``coords`` (shape (n, len(directions))).

    One direction with coords of shape (n,) gives a 1-D slice. The model is evaluated on a
    copy in its current mode (with Dropout off) and is not modified.
    """
    directions = np.atleast_2d(np.asarray(directions, dtype=np.float64))
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim == 1:
        coords = coords[:, None]
    size = count_parameters(model)
    if directions.shape[1] != size or coords.shape[1] != directions.shape[0]:
        raise ValueError(f"loss_surface: directions must have shape (m, {size}) and coords "
                         f"(n, m); got {directions.shape} and {coords.shape}")
    clone = copy.deepcopy(model)
    for layer in _leaves(clone):
        if isinstance(layer, Dropout):
            layer.eval()
    theta = parameters_to_vector(model).astype(np.float64)
    values = np.empty(len(coords))
    with np.errstate(over="ignore", invalid="ignore"):
        for i, a in enumerate(coords):
            vector_to_parameters(theta + a @ directions, clone)
            values[i] = loss.forward(clone.forward(X), y)
    return values
