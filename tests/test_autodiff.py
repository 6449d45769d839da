"""coursekit.autodiff against torch.autograd in float64, and its drawing."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.autodiff import Value, draw_graph, topological_order

# Each op builds a node from one or two earlier nodes, written once and run on both
# coursekit Values and torch tensors (log, / and ** are applied to positive arguments).
UNARY = {
    "exp": lambda a: (a * 0.3).exp(),
    "log": lambda a: (a * a + 0.5).log(),
    "tanh": lambda a: a.tanh(),
    "relu": lambda a: a.relu(),
    "sigmoid": lambda a: a.sigmoid(),
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "rsqrt": lambda a: (a * a + 1.0) ** -0.5,
    "neg": lambda a: -a,
    "rsub": lambda a: 1.5 - a,
    "rdiv": lambda a: 2.0 / (a * a + 1.0),
    "radd_rmul": lambda a: 0.7 + 2.0 * a,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.25),
    "sub_const": lambda a, b: a * 0.5 - b,
}


def build(program, leaves):
    """Evaluate ``program`` (a list of (op, i, j) on the growing node list) from ``leaves``."""
    nodes = list(leaves)
    for name, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(UNARY[name](a) if name in UNARY else BINARY[name](a, b))
    out = nodes[-1]
    for node in nodes[len(leaves):-1]:  # every intermediate also feeds the output
        out = out + node * 0.1
    return out


programs = st.lists(
    st.tuples(st.sampled_from(sorted(UNARY) + sorted(BINARY)),
              st.integers(0, 50), st.integers(0, 50)),
    min_size=1, max_size=25,
)


def ours_and_torch(program, inputs):
    leaves = [Value(float(v), f"x{k}") for k, v in enumerate(inputs)]
    out = build(program, leaves)
    out.backward()
    tleaves = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in inputs]
    tout = build(program, tleaves)
    tout.backward()
    grads_torch = [0.0 if t.grad is None else t.grad.item() for t in tleaves]
    return out.data, [v.grad for v in leaves], tout.item(), grads_torch


@settings(deadline=None, max_examples=60)
@given(program=programs,
       inputs=st.lists(st.floats(-2.0, 2.0).filter(lambda v: abs(v) > 1e-3),
                       min_size=1, max_size=4))
def test_random_expressions_match_torch_autograd_value_and_gradient(program, inputs):
    value, grads, value_torch, grads_torch = ours_and_torch(program, inputs)
    assert value == pytest.approx(value_torch, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grads, grads_torch, rtol=1e-10, atol=1e-12)


def test_lecture_example_x_plus_y_times_z():
    x, y, z = Value(2.0, "x"), Value(3.0, "y"), Value(-2.0, "z")
    f = (x + y) * z
    f.backward()
    assert f.data == -10.0
    assert (x.grad, y.grad, z.grad) == (-2.0, -2.0, 5.0)
    tx, ty, tz = (torch.tensor(v, dtype=torch.float64, requires_grad=True)
                  for v in (2.0, 3.0, -2.0))
    ((tx + ty) * tz).backward()
    assert (tx.grad.item(), ty.grad.item(), tz.grad.item()) == (x.grad, y.grad, z.grad)


def test_reused_node_accumulates_gradient_from_every_path():
    a = Value(3.0)
    f = a * a + a  # df/da = 2a + 1
    f.backward()
    assert a.grad == 7.0


def test_backward_twice_gives_the_same_gradients():
    a, b = Value(0.3), Value(-1.1)
    f = (a * b).tanh() + a.exp()
    f.backward()
    first = (a.grad, b.grad)
    f.backward()
    assert (a.grad, b.grad) == first


def test_gradient_of_log_sum_exp_is_softmax():
    logits = np.array([1.0, -0.5, 2.0, 0.3])
    xs = [Value(v) for v in logits]
    total = xs[0].exp()
    for x in xs[1:]:
        total = total + x.exp()
    total.log().backward()
    softmax = torch.softmax(torch.tensor(logits), 0).numpy()
    np.testing.assert_allclose([x.grad for x in xs], softmax, rtol=1e-13)


def test_relu_gradient_at_zero_is_zero_as_in_torch():
    a = Value(0.0)
    a.relu().backward()
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.relu(t).backward()
    assert a.grad == t.grad.item() == 0.0


def test_topological_order_puts_inputs_before_outputs_and_handles_deep_graphs():
    x = Value(1.0)
    out = x
    for _ in range(5000):  # deeper than Python's recursion limit
        out = out * 1.0 + 0.0
    order = topological_order(out)
    assert order[0] is x and order[-1] is out
    position = {id(n): k for k, n in enumerate(order)}
    assert all(position[id(c)] < position[id(n)] for n in order for c in n.children)
    out.backward()
    assert x.grad == 1.0


@pytest.mark.parametrize("make, message", [
    (lambda: Value(-1.0).log(), "log"),
    (lambda: Value(0.0).log(), "log"),
    (lambda: Value(1.0) / Value(0.0), "division"),
    (lambda: Value(-2.0) ** 0.5, "exponent"),
    (lambda: Value(0.0) ** -1, "exponent"),
    (lambda: Value(2.0) ** Value(2.0), "exponent"),
    (lambda: Value("3"), "data"),
    (lambda: Value(np.array([1.0, 2.0])), "data"),
])
def test_bad_input_raises_value_error_naming_the_problem(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.filterwarnings("error")
def test_draw_graph_shows_every_node_with_value_and_grad():
    x, y, z = Value(2.0, "x"), Value(3.0, "y"), Value(-2.0, "z")
    f = (x + y) * z
    f.label = "f"
    f.backward()
    fig = draw_graph(f, title="(x + y) z")
    texts = [t.get_text() for t in fig.axes[0].texts]
    for expected in ["x = 2\ngrad -2", "y = 3\ngrad -2", "z = -2\ngrad 5", "f = -10\ngrad 1",
                     "+", "*"]:
        assert expected in texts
    assert sum("\n" in t for t in texts) == len(topological_order(f)) == 5


def test_importing_autodiff_pulls_in_neither_matplotlib_nor_torch():
    code = ("import sys, coursekit.autodiff; "
            "print('matplotlib' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]
