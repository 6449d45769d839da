"""Held-out data kept out of the sandbox: a capstone graded on test accuracy must not be able
to train on the test images.

A notebook declares it in its metadata, ``"coursekit": {"held_out": ["digits"]}``. The
grader then computes the accuracy itself from test data it holds (``of="digits_test_accuracy"``
in :mod:`coursekit.grading.compare`), and the sandbox must not hold that data at all: the
student's ``train`` could otherwise call ``coursekit.data.load_digits()`` or
``sklearn.datasets.load_digits()`` in its body and fit the test images.

For each held-out dataset :func:`masked_files` returns, for every file that stores it, a copy
without the held-out rows; the sandbox bind-mounts that copy read-only over the real file (the
filesystem, as for forbidden modules in :mod:`coursekit.grading.forbid`, not a hook the
student's process could remove). The real file is not reachable inside.

``"digits"``: scikit-learn's ``datasets/data/digits.csv.gz`` (1797 rows: 64 pixels, then the
class) is the only copy of the digits in the sandbox (coursekit ships none; scikit-learn's
data home is the sandbox's empty ``$HOME``). In the copy, every row of
``coursekit.data.load_digits()``'s test split keeps its class but has all 64 pixels set to 0.
The split depends on the classes alone (:func:`coursekit.data.split_indices`), so inside the
sandbox ``load_digits()`` gives exactly the same training rows, in the same order, standardized
with the same mean and standard deviation: training there is training outside. Its test split
is 359 blank images.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import io
from pathlib import Path

import numpy as np

from coursekit.data import DIGITS_SEED, DIGITS_TEST_SIZE, split_indices


def digits_file() -> Path:
    """scikit-learn's digits data file (found without importing scikit-learn)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("held_out 'digits' needs scikit-learn installed")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"held_out 'digits': no {path}")
    return path


def digits_training_only(text: str) -> bytes:
    """The digits file ``text`` (CSV: 64 pixels, then the class) as gzip bytes, the rows of
    ``load_digits()``'s test split blanked (pixels 0, class kept)."""
    rows = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    if rows.shape[1] != 65:
        raise ValueError(f"held_out 'digits': expected 65 columns; got {rows.shape[1]}")
    _, test = split_indices(rows[:, -1], DIGITS_TEST_SIZE, np.random.default_rng(DIGITS_SEED))
    rows[test, :-1] = 0
    out = "".join(",".join(map(str, row)) + "\n" for row in rows.tolist())
    return gzip.compress(out.encode("ascii"), mtime=0)


@functools.lru_cache(maxsize=4)
def _masked(path: Path, mtime_ns: int, size: int) -> bytes:
    """The masked copy of ``path``, made once per version of the file (~0.3 s)."""
    return digits_training_only(gzip.decompress(path.read_bytes()).decode("ascii"))


def _digits() -> dict[Path, bytes]:
    path = digits_file()
    stat = path.stat()
    return {path: _masked(path, stat.st_mtime_ns, stat.st_size)}


DATASETS = {"digits": _digits}


def check_names(names: list[str]) -> None:
    """ValueError unless ``names`` is a list of known held-out datasets."""
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise ValueError(f"metadata coursekit.held_out must be a list of dataset names; got "
                         f"{names!r}")
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        raise ValueError(f"metadata coursekit.held_out: unknown dataset(s) {unknown}; known: "
                         f"{sorted(DATASETS)}")


def masked_files(names: list[str]) -> dict[Path, bytes]:
    """``{real file: the copy the sandbox sees instead}`` for the held-out datasets ``names``."""
    check_names(list(names))
    files: dict[Path, bytes] = {}
    for name in names:
        files |= DATASETS[name]()
    return files
