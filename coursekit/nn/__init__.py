"""Neural-network building blocks with hand-written backward passes.

Every layer follows one protocol (see ``coursekit.nn.base``): ``forward(x)`` on a batch of
shape (batch, features), ``backward(grad_out) -> grad_in`` (which stores the parameter
gradients), ``params()`` / ``grads()`` (lists in the same order), ``train()`` / ``eval()``,
``astype(dtype)``.

Layers: Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, BatchNorm1d, Dropout, Sequential;
``MLP(sizes, activation, batchnorm, init, seed)`` builds a Sequential. Losses:
CrossEntropyLoss, MSELoss. Tools: gradcheck / numerical_gradient, initializers (he_normal,
glorot_uniform, …), the flat parameter vector (parameters_to_vector, vector_to_parameters,
count_parameters, loss_and_gradient), ``to_torch`` (imports torch when called) and
``blas_threads`` (the single-threaded BLAS context used by training and curvature).
"""

from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .base import Layer
from .batchnorm import BatchNorm1d
from .blas import blas_threads
from .dropout import Dropout
from .gradcheck import gradcheck, numerical_gradient, relative_error
from .init import (
    constant,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    normal,
    torch_default,
    zeros,
)
from .linear import Linear
from .losses import CrossEntropyLoss, Loss, MSELoss
from .mlp import MLP
from .sequential import Sequential
from .torch_bridge import to_torch
from .vector import (
    count_parameters,
    grads_to_vector,
    loss_and_gradient,
    parameters_to_vector,
    vector_to_parameters,
)

__all__ = [
    "Layer", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Identity", "BatchNorm1d",
    "Dropout", "Sequential", "MLP", "Loss", "CrossEntropyLoss", "MSELoss", "gradcheck",
    "numerical_gradient", "relative_error", "zeros", "constant", "normal", "he_normal",
    "he_uniform", "glorot_uniform", "glorot_normal", "torch_default", "count_parameters",
    "parameters_to_vector", "vector_to_parameters", "grads_to_vector", "loss_and_gradient",
    "to_torch", "blas_threads",
]
