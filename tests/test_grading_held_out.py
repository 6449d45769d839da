"""Held-out data (coursekit/grading/heldout.py): the sandbox of an exercise that declares
``"held_out": ["digits"]`` holds the digits without their test images, and training there is
the same as training outside. The hostile case is in tests/grading_cases/hostile_held_out.toml;
tests/test_grading.py grades it in the sandbox and, unsandboxed, shows that it would pass."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursekit.data import load_digits
from coursekit.grading import heldout, sandbox
from coursekit.grading.assignment import load_assignment, load_assignments

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def rows(data: bytes) -> np.ndarray:
    return np.loadtxt(gzip.decompress(data).decode().splitlines(), delimiter=",")


def test_exercise_13_holds_out_the_digits():
    assert load_assignments(SOLUTIONS)["13_shootout"].held_out == ["digits"]


def test_the_copy_blanks_exactly_the_test_images_and_keeps_every_class():
    (path, copy), = heldout.masked_files(["digits"]).items()
    real, masked = rows(path.read_bytes()), rows(copy)
    assert real.shape == masked.shape == (1797, 65)
    assert np.array_equal(real[:, -1], masked[:, -1])
    changed = np.flatnonzero(np.any(real != masked, axis=1))
    blank = np.flatnonzero(np.all(masked[:, :-1] == 0, axis=1))
    assert len(changed) == len(blank) == 359  # no digit of the real file is blank
    # The blanked rows are the test split's: the same labels, in the same order.
    assert np.array_equal(real[changed, -1], load_digits().y_test)
    # No image of the copy is a test image that is not also a training image.
    split = load_digits()
    train = {row.tobytes() for row in split.X_train}
    kept = (masked[:, :-1] - split.mean) / split.std
    tests = {row.tobytes() for row in split.X_test} - train
    assert not tests & {row.tobytes() for row in kept}


def test_unknown_or_malformed_held_out_names_are_refused(tmp_path):
    nb = nbformat.read(SOLUTIONS / "13_shootout.ipynb", as_version=4)
    for bad, message in [(["mnist"], "unknown dataset"), ("digits", "must be a list")]:
        nb.metadata.coursekit["held_out"] = bad
        nbformat.write(nb, tmp_path / "13_shootout.ipynb")
        with pytest.raises(ValueError, match=message):
            load_assignment(tmp_path / "13_shootout.ipynb")


PROBE = r'''
import hashlib, json
import numpy as np
import sklearn.datasets
from coursekit.data import load_digits
split = load_digits()
raw = sklearn.datasets.load_digits()
digest = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in
                                 (split.X_train, split.y_train, split.mean, split.std)))
print(json.dumps({"train": digest.hexdigest(), "y_test": split.y_test.tolist(),
                  "test_blank": bool(np.all(split.X_test == -split.mean / split.std)),
                  "raw_blank_rows": int(np.sum(np.all(raw.data == 0, axis=1)))}))
'''


def test_inside_the_sandbox_load_digits_trains_on_the_same_rows_and_sees_no_test_image():
    problem = sandbox.sandbox_problem()
    if problem is not None:
        pytest.skip(f"no sandbox ({problem})")
    split = load_digits()
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in
                                     (split.X_train, split.y_train, split.mean, split.std)))
    with tempfile.TemporaryDirectory() as scratch:
        masks = {}
        for real, data in heldout.masked_files(["digits"]).items():
            masks[real] = Path(scratch) / "digits.csv.gz"
            masks[real].write_bytes(data)
        command = sandbox._bwrap_args([], None, 64, {}, masks) + ["--", sys.executable, "-c",
                                                                  PROBE]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"train": digest.hexdigest(), "y_test": split.y_test.tolist(),
                    "test_blank": True, "raw_blank_rows": 359}
