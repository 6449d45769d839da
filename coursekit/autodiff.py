"""Scalar reverse-mode automatic differentiation, small enough to read in one sitting.

Every arithmetic operation on :class:`Value` objects records its inputs and a *local*
backward rule. ``f.backward()`` then visits the graph from the output back to the inputs in
reverse topological order and applies the chain rule

    ∂f/∂u = Σ_{v : u is an input of v} ∂f/∂v · ∂v/∂u,

so each node's ``grad`` ends up holding ∂f/∂(node). The example of the lectures:

>>> x, y, z = Value(2.0, "x"), Value(3.0, "y"), Value(-2.0, "z")
>>> f = (x + y) * z
>>> f.backward()
>>> x.grad, y.grad, z.grad
(-2.0, -2.0, 5.0)

After the design of karpathy/micrograd. The operations and their local derivatives:

    a + b  -> (1, 1)            a * b  -> (b, a)          a ** p  -> p a^(p-1)
    exp(a) -> exp(a)            log(a) -> 1/a             tanh(a) -> 1 - tanh(a)²
    relu(a) -> [a > 0]          sigmoid(a) -> σ(a)(1 - σ(a))
    -a = a * (-1),  a - b = a + (-b),  a / b = a * b**(-1)

:func:`draw_graph` draws a graph with matplotlib (imported only when called).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported only when a graph is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

__all__ = ["Value", "topological_order", "draw_graph"]


class Value:
    """A scalar node in a computational graph: its value ``data`` and ∂(output)/∂(it) ``grad``.

    ``label`` names the node in drawings; ``op`` is the operation that produced it ("" for an
    input).
    """

    def __init__(self, data: float, label: str = "", _children: tuple[Value, ...] = (),
                 _op: str = "") -> None:
        if isinstance(data, bool) or not isinstance(data, Real):
            raise ValueError(f"Value: data must be a real number; got {data!r}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = _op
        self.children = _children
        self._backward: Callable[[], None] = lambda: None

    # -- the primitive operations: each sets how its output's grad flows to its inputs --

    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other)
        out = Value(self.data + other.data, _children=(self, other), _op="+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other)
        out = Value(self.data * other.data, _children=(self, other), _op="*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise ValueError(f"Value ** p: the exponent p must be a real number (not a Value); "
                             f"got {exponent!r}")
        p = float(exponent)
        if self.data == 0 and p < 0:
            raise ValueError(f"Value ** p: base 0 with negative exponent p={p} (division by 0)")
        if self.data < 0 and not p.is_integer():
            raise ValueError(f"Value ** p: negative base {self.data} with non-integer "
                             f"exponent p={p} has no real value")
        out = Value(self.data ** p, _children=(self,), _op=f"**{exponent:g}")

        if p == 0:
            local = 0.0
        elif self.data == 0 and p < 1:
            local = math.inf  # d/da a^p at a = 0 for 0 < p < 1, as torch reports it
        else:
            local = p * self.data ** (p - 1)

        def _backward() -> None:
            self.grad += local * out.grad
        out._backward = _backward
        return out

    def exp(self) -> Value:
        out = Value(math.exp(self.data), _children=(self,), _op="exp")

        def _backward() -> None:
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"Value.log: the argument must be > 0; got {self.data}")
        out = Value(math.log(self.data), _children=(self,), _op="log")

        def _backward() -> None:
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), _children=(self,), _op="tanh")

        def _backward() -> None:
            self.grad += (1.0 - out.data**2) * out.grad
        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), _children=(self,), _op="relu")

        def _backward() -> None:
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        s = 0.5 * (1.0 + math.tanh(0.5 * self.data))  # σ(a), without overflow for large |a|
        out = Value(s, _children=(self,), _op="sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad
        out._backward = _backward
        return out

    # -- the rest is built from the primitives --

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-_as_value(other))

    def __truediv__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other.data == 0:
            raise ValueError(f"Value / b: division by b = 0 (numerator {self.data})")
        return self * other**-1

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return _as_value(other) - self

    def __rtruediv__(self, other: float) -> Value:
        return _as_value(other) / self

    def backward(self) -> None:
        """Fill ``grad`` of every node in this graph with ∂self/∂node (reverse mode).

        Grads are reset to 0 first and the output's own grad set to 1, so calling backward
        twice gives the same numbers (torch instead accumulates into its leaves).
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, each after all of its inputs (root last)."""
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:  # iterative depth-first search, so deep graphs don't hit the recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children)
                         if id(child) not in seen)
    return order


def _layers(order: list[Value]) -> dict[int, int]:
    """Column of each node: the length of the longest path from an input to it; unnamed
    constants move right, next to the first operation that uses them."""
    depth: dict[int, int] = {}
    for node in order:
        depth[id(node)] = 1 + max((depth[id(c)] for c in node.children), default=-1)
    users: dict[int, list[int]] = {}
    for node in order:
        for child in node.children:
            users.setdefault(id(child), []).append(depth[id(node)])
    for node in order:
        if not node.children and not node.label and id(node) in users:
            depth[id(node)] = min(users[id(node)]) - 1
    return depth


def draw_graph(root: Value, ax: Axes | None = None, show_grad: bool = True,
               title: str | None = None) -> Figure:
    """Draw the graph that computes ``root``, left (inputs) to right (output).

    Each value is a box with its label, ``data`` and ``grad``; the operation that produced it
    sits in a circle just left of it, with arrows from its inputs. Nodes are placed in columns
    by their longest distance from an input, and within a column by the mean height of their
    inputs. Returns the matplotlib Figure.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    order = topological_order(root)
    depth = _layers(order)
    columns: dict[int, list[Value]] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    y: dict[int, float] = {}
    for col in sorted(columns):
        nodes = columns[col]
        if col > 0:
            nodes.sort(key=lambda n: -sum(y[id(c)] for c in n.children) / max(len(n.children), 1))
        for i, node in enumerate(nodes):
            y[id(node)] = (len(nodes) - 1) / 2 - i
    n_cols, n_rows = max(columns) + 1, max(len(v) for v in columns.values())
    dx, box_w, box_h, op_r = 3.0, 1.5, 0.62, 0.27
    if ax is None:
        width, height = dx * (n_cols - 1) + box_w + 0.6, n_rows + 0.2
        fig = Figure(figsize=(0.8 * width, 0.8 * height + (0.4 if title else 0.0)))
        ax = fig.add_subplot()
    fig = ax.figure

    for node in order:
        x0, y0 = dx * depth[id(node)], y[id(node)]
        ax.add_patch(FancyBboxPatch((x0 - box_w / 2, y0 - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.03", fc="#eef3fb", ec="#345"))
        text = (f"{node.label} = " if node.label else "") + f"{node.data:.4g}"
        if show_grad:
            text += f"\ngrad {node.grad:.4g}"
        ax.text(x0, y0, text, ha="center", va="center", fontsize=9)
        if node.op:
            ox = x0 - box_w / 2 - 0.55
            ax.add_patch(_circle((ox, y0), op_r))
            ax.text(ox, y0, node.op, ha="center", va="center", fontsize=8)
            ax.annotate("", (x0 - box_w / 2, y0), (ox + op_r, y0),
                        arrowprops={"arrowstyle": "->", "color": "#345"})
            for child in node.children:
                cx, cy = dx * depth[id(child)] + box_w / 2, y[id(child)]
                # an edge that skips columns bows away from the boxes between its ends
                bend = 0.0 if depth[id(node)] - depth[id(child)] <= 1 else \
                    (-0.25 if cy >= y0 else 0.25)
                ax.annotate("", (ox - op_r * 0.9, y0), (cx, cy),
                            arrowprops={"arrowstyle": "->", "color": "#789",
                                        "shrinkA": 0, "shrinkB": 0,
                                        "connectionstyle": f"arc3,rad={bend}"})
    ax.set_xlim(-box_w / 2 - 0.3, dx * (n_cols - 1) + box_w / 2 + 0.3)
    ax.set_ylim(-n_rows / 2 + 0.1, n_rows / 2 - 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig


def _circle(center: tuple[float, float], radius: float) -> Circle:
    from matplotlib.patches import Circle

    return Circle(center, radius, fc="#fff4dc", ec="#a60")
