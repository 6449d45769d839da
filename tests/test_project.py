"""The project's promises about itself: one environment described twice and kept equal, the
README's two commands, CI calling the README's test command, a light `import coursekit`."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in conda
    assert set(pip) == wanted, f"pyproject only: {wanted - set(pip)}; env only: {set(pip) - wanted}"
    assert "torch==2.13.0" in wanted


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"^```(?:sh|bash)?\n(.+?)\n```", text, flags=re.M | re.S)[:2]


def test_readme_opens_with_the_lab_and_the_test_command():
    assert readme_commands() == ["make lab", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in [line.strip() for line in ci]


def test_import_coursekit_and_its_numpy_layers_pull_in_neither_torch_nor_matplotlib():
    code = ("import sys, coursekit, coursekit.landscapes, coursekit.optim; "
            "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_lesson_runs_under_two_openblas_kernel_families(tmp_path):
    """conftest.py collects each lesson twice under --nbval; the second kernel really runs
    another OpenBLAS kernel family (a probe lesson records the family its kernel sees)."""
    import nbformat

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    record = tmp_path / "families"
    record.mkdir()
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    probe = nbformat.v4.new_notebook(metadata={"kernelspec": kernelspec})
    probe.cells.append(nbformat.v4.new_code_cell(
        "import numpy, pathlib, threadpoolctl\n"
        "family = [i['architecture'] for i in threadpoolctl.threadpool_info()\n"
        "          if i['internal_api'] == 'openblas'][0]\n"
        f"_ = (pathlib.Path({str(record)!r}) / family).write_text('')"))
    nbformat.write(probe, tmp_path / "notebooks" / "01_probe.ipynb")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_CORETYPE", "COURSEKIT_SECOND_BLAS")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval",
                          "-q", "notebooks", "-p", "no:xdist"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout, run.stdout
    assert len(list(record.iterdir())) == 2, sorted(p.name for p in record.iterdir())
