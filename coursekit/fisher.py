r"""The Fisher information of an MLP classifier, the natural gradient, and K-FAC.

The model is a chain of ``Linear`` layers and elementwise activations (``coursekit.nn.MLP``
without BatchNorm or Dropout) whose outputs are logits z = f_θ(x) ∈ ℝ^C, read through the
softmax p = softmax(z) and trained with softmax cross-entropy (``CrossEntropyLoss``).
θ is the flat parameter vector of ``coursekit.nn.parameters_to_vector`` (P entries).

**The Fisher.** With ℓ_c(θ) = log p_c(θ; x), the (true) Fisher information matrix is

    F = E_x Σ_c p_c ∇ℓ_c ∇ℓ_cᵀ  =  E_x [ J_θᵀ (diag(p) − ppᵀ) J_θ ]            (P, P)

where J_θ = ∂z/∂θ (C, P) is the Jacobian of one example's logits and E_x the mean over the
batch: the label c is drawn from the model's own prediction p, and the expectation over c is
taken exactly (no sampling). The two forms agree because ∇ℓ_c = J_θᵀ(e_c − p). It is also the
Gauss–Newton matrix of cross-entropy, whose Hessian in the logits is diag(p) − ppᵀ. F is the
Hessian of the mean KL divergence E_x KL(p_θ ‖ p_θ+δ) at δ = 0 (lesson 18 derives it).

**Natural gradient.** The damped natural-gradient direction is (F + λI)⁻¹ ∇L. Building F
costs one backward pass per class plus the product UᵀU of an (N·C, P) matrix, and solving
with it O(P³): it is meant for networks of up to a few thousand parameters.

**K-FAC** (Martens & Grosse, 2015). For a Linear layer s = W a + b, write ã = (a, 1) (the
input with a 1 for the bias) and W̃ = [W | b] (n_out, n_in + 1). The per-example gradient of
ℓ_c with respect to W̃ is g_c ãᵀ, where g_c = ∂ℓ_c/∂s, so the layer's block of F is

    F_layer = E_x [ (Σ_c p_c g_c g_cᵀ) ⊗ ã ãᵀ ]          (row-major vec(W̃) ordering)

K-FAC assumes that the output-gradient statistics g gᵀ and the input statistics ã ãᵀ are
uncorrelated over the data, and so replaces the expectation of the Kronecker product by the
product of the expectations

    F_layer ≈ G ⊗ A,    G = E_x Σ_c p_c g_c g_cᵀ  (n_out, n_out),   A = E_x ã ãᵀ  (n_in+1, n_in+1)

(G with the exact expectation over the model's classes, as in F). It also ignores the blocks
between layers. With one example the first approximation is exact (ã does not depend on c).
Since (G ⊗ A)⁻¹ vec(M) = vec(G⁻¹ M A⁻¹), the K-FAC step for the layer is G⁻¹ ∇W̃ A⁻¹: two
small inverses instead of one (P, P) one. Damping uses the factored Tikhonov rule with
Martens & Grosse's π correction: G + (√λ/π) I and A + π√λ I with
π = √((tr A / dim A) / (tr G / dim G)), so that (G + (√λ/π)I) ⊗ (A + π√λ I) = G ⊗ A + λI +
√λ (π G ⊗ I + I ⊗ A/π): close to, but not the same as, G ⊗ A + λI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .nn.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .nn.base import Layer
from .nn.blas import single_threaded
from .nn.linear import Linear
from .nn.sequential import Sequential
from .nn.vector import count_parameters

ELEMENTWISE = (ReLU, LeakyReLU, Sigmoid, Tanh, Identity)


def _leaves(model: Layer) -> list[Layer]:
    if isinstance(model, Sequential):
        return [leaf for child in model for leaf in _leaves(child)]
    return [model]


def _layers(model: Layer) -> list[Layer]:
    """The model's layers in order, checked: Linear layers and elementwise activations."""
    layers = _leaves(model)
    for layer in layers:
        if not isinstance(layer, (Linear, *ELEMENTWISE)):
            raise ValueError(f"the Fisher tools handle Linear layers and elementwise "
                             f"activations (an MLP without batchnorm or dropout); got {layer!r}")
    if not any(isinstance(layer, Linear) for layer in layers):
        raise ValueError("the model has no Linear layer, so no parameters")
    return layers


@dataclass
class LayerCurvature:
    """What one Linear layer s = W a + b contributes, on a batch of N examples, C classes.

    inputs : (N, n_in + 1) ã = (a, 1), the layer's inputs with a 1 for the bias (just a
        when the layer has no bias);
    scores : (N, C, n_out) √p_c g_c with g_c = ∂ℓ_c/∂s = D_c − Σ_k p_k D_k, where
        D_c = ∂z_c/∂s comes from backpropagating e_c (one backward pass per class). The
        score of class c for the layer's parameters W̃ = [W | b] is g_c ãᵀ.
    """

    layer: Linear
    inputs: np.ndarray
    scores: np.ndarray


@single_threaded
def _curvature_pass(model: Layer, X: np.ndarray) -> list[LayerCurvature]:
    """Every Linear layer's ã and √p_c g_c, from one forward and C backward passes."""
    layers = _layers(model)
    a, inputs = np.asarray(X), []
    for layer in layers:
        if isinstance(layer, Linear):
            has_bias = "bias" in layer.param_names
            inputs.append(np.hstack([a, np.ones((len(a), 1))]) if has_bias else a)
        a = layer.forward(a)
    z = a - a.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n, classes = p.shape
    jacobians: list[list[np.ndarray]] = [[] for _ in inputs]  # D_c per layer
    for c in range(classes):
        grad = np.zeros((n, classes))
        grad[:, c] = 1.0  # ∂z_c/∂z = e_c, for every example at once
        k = len(inputs)
        for layer in reversed(layers):
            if isinstance(layer, Linear):
                k -= 1
                jacobians[k].append(grad)
            grad = layer.backward(grad)
    result = []
    linear = [layer for layer in layers if isinstance(layer, Linear)]
    for layer, inp, js in zip(linear, inputs, jacobians, strict=True):
        D = np.stack(js, axis=1)  # (N, C, n_out)
        g = D - np.einsum("nk,nko->no", p, D)[:, None, :]
        result.append(LayerCurvature(layer, inp, np.sqrt(p)[:, :, None] * g))
    return result


def _theta_order(layer: Linear) -> np.ndarray:
    """Index into vec(W̃) (W̃ = [W | b] row by row) of each of the layer's entries of θ
    (W.ravel(), then b)."""
    n_out, n_in = layer.weight.shape
    width = n_in + 1 if "bias" in layer.param_names else n_in
    grid = np.arange(n_out * width).reshape(n_out, width)
    return np.concatenate([grid[:, :n_in].ravel(), grid[:, n_in:].ravel()])


@single_threaded
def fisher(model: Layer, X: np.ndarray, max_parameters: int = 3000) -> np.ndarray:
    """The true Fisher F = E_x Σ_c p_c ∇ℓ_c ∇ℓ_cᵀ (P, P) of the softmax outputs on X (N, n_in).

    The rows √p_c ∇ℓ_c (one per example and class) are stacked in U (N·C, P), layer by layer
    √p_c g_c aᵀ (for W, row by row) and √p_c g_c (for b), and F = UᵀU / N.
    """
    size = count_parameters(model)
    if size > max_parameters:
        raise ValueError(f"fisher: the model has P = {size} parameters, so F has {size}² = "
                         f"{size**2:,} entries; raise max_parameters (now {max_parameters}) "
                         f"or use kfac_direction")
    layers = _curvature_pass(model, X)
    n, classes = layers[0].scores.shape[:2]
    U, start = np.empty((n, classes, size)), 0
    for lc in layers:
        n_out, n_in = lc.layer.weight.shape
        U[:, :, start:start + n_out * n_in] = (  # √p_c g_c aᵀ, row by row
            lc.scores[:, :, :, None] * lc.inputs[:, None, None, :n_in]).reshape(n, classes, -1)
        start += n_out * n_in
        if "bias" in lc.layer.param_names:
            U[:, :, start:start + n_out] = lc.scores
            start += n_out
    U = U.reshape(n * classes, size)
    F = U.T @ U / n
    return (F + F.T) / 2


def natural_gradient(F: np.ndarray, grad: np.ndarray, damping: float) -> np.ndarray:
    """The damped natural-gradient direction (F + λI)⁻¹ ∇L, λ = ``damping`` > 0.

    F (P, P) is positive semi-definite and singular for softmax outputs (adding a vector to
    every class's logit leaves p unchanged), so λ > 0 is required.
    """
    F, grad = np.asarray(F, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    if F.ndim != 2 or F.shape[0] != F.shape[1] or grad.shape != F.shape[:1]:
        raise ValueError(f"natural_gradient: F must be (P, P) and grad (P,); got {F.shape} "
                         f"and {grad.shape}")
    if not (np.isfinite(damping) and damping > 0):
        raise ValueError(f"natural_gradient: damping must be a finite number > 0 (F is "
                         f"singular); got {damping}")
    return np.linalg.solve(F + damping * np.eye(len(F)), grad)


@dataclass
class KroneckerFactors:
    """K-FAC's factors of one Linear layer: F_layer ≈ G ⊗ A (in W̃ = [W | b] row-major order).

    A : (n_in + 1, n_in + 1) E_x ã ãᵀ (n_in without a bias);  G : (n_out, n_out)
    E_x Σ_c p_c g_c g_cᵀ with g_c = ∂ℓ_c/∂s.
    """

    layer: Linear
    A: np.ndarray
    G: np.ndarray

    def block(self) -> np.ndarray:
        """G ⊗ A rearranged to the order of θ (W row by row, then b), for comparisons."""
        order = _theta_order(self.layer)
        return np.kron(self.G, self.A)[np.ix_(order, order)]


def kfac_factors(model: Layer, X: np.ndarray) -> list[KroneckerFactors]:
    """A = E_x ã ãᵀ and G = E_x Σ_c p_c g_c g_cᵀ for every Linear layer, on the batch X.

    g_c = ∂ℓ_c/∂s (n_out,) for each class c: the expectation over the model's classes is
    taken exactly, Σ_c p_c g_c g_cᵀ = Dᵀ(diag(p) − ppᵀ)D with D = ∂z/∂s (C, n_out).
    """
    factors = []
    for lc in _curvature_pass(model, X):
        n, _, n_out = lc.scores.shape
        S = lc.scores.reshape(-1, n_out)
        factors.append(KroneckerFactors(lc.layer, lc.inputs.T @ lc.inputs / n, S.T @ S / n))
    return factors


def kfac_direction(model: Layer, X: np.ndarray, grad: np.ndarray, damping: float
                   ) -> np.ndarray:
    """K-FAC's direction (P,) for the gradient ``grad`` (P,), layer by layer in θ's order:

        π = √((tr A / dim A) / (tr G / dim G)),
        Δ̃ = (G + (√λ/π) I)⁻¹ ∇W̃ (A + π√λ I)⁻¹       (W̃ = [W | b], λ = ``damping`` > 0)

    Layers are treated independently (the cross-layer blocks of F are dropped).
    """
    grad = np.asarray(grad, dtype=np.float64)
    size = count_parameters(model)
    if grad.shape != (size,):
        raise ValueError(f"kfac_direction: grad must have shape ({size},) (one entry per "
                         f"parameter); got {grad.shape}")
    if not (np.isfinite(damping) and damping > 0):
        raise ValueError(f"kfac_direction: damping must be a finite number > 0; got {damping}")
    direction, start = np.empty(size), 0
    for f in kfac_factors(model, X):
        order = _theta_order(f.layer)
        n_out, width = len(f.G), len(f.A)
        mean_a, mean_g = np.trace(f.A) / width, np.trace(f.G) / n_out
        # G = 0 when every prediction is exactly one-hot: then split λ evenly (π = 1)
        pi = np.sqrt(mean_a / mean_g) if mean_a > 0 and mean_g > 0 else 1.0
        g_tilde = np.empty(n_out * width)
        g_tilde[order] = grad[start:start + order.size]
        step = np.linalg.solve(f.G + np.sqrt(damping) / pi * np.eye(n_out),
                               g_tilde.reshape(n_out, width))
        step = np.linalg.solve(f.A + pi * np.sqrt(damping) * np.eye(width), step.T).T
        direction[start:start + order.size] = step.ravel()[order]
        start += order.size
    return direction
