"""Mutation testing of llm_core: plant one bug at a time and check that some test fails.

A test suite is only as good as the bugs it would notice. Each mutant below is one small change to one
llm_core file (a published number altered, a comparison flipped, a known bug put back); the script copies
the checkout's llm_core, tests, widgets, sitebuild and models into a temporary folder once, applies each
mutant there alone, runs the tests that import the mutated module (stopping at the first failure), and
puts the file back. A mutant the tests fail on is CAUGHT; one they all pass is SURVIVED: a gap. The
checkout itself is never written to.

    .venv/bin/python scripts/mutate.py                 # the named mutants (about a minute)
    .venv/bin/python scripts/mutate.py --tables        # + every number in the published tables
    .venv/bin/python scripts/mutate.py --compare serving sampling   # + each comparison flipped there
    .venv/bin/python scripts/mutate.py --list          # print the mutants, run nothing

Exits 1 if any mutant survived.
"""

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ["llm_core", "tests", "widgets", "sitebuild", "models", "texts", "chapters", "pyproject.toml"]


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str  # file in llm_core/, e.g. "configs.py"
    old: str  # exact text, found once in the file
    new: str


# Bugs a reader could plant, each once found surviving every test (issue 13, point 8), and the bugs fixed
# with them put back. Add one here when a bug slips past the tests.
NAMED = [
    Mutant(
        "Llama 3 70B rope_base 500000 -> 10000",
        "configs.py",
        '"llama-3-70b": _llama_like("Llama 3 70B", 8192, 80, 64, 8, 128, 28672, 128256, 8192, 500000.0,',
        '"llama-3-70b": _llama_like("Llama 3 70B", 8192, 80, 64, 8, 128, 28672, 128256, 8192, 10000.0,',
    ),
    Mutant(
        "Llama 2 13B n_ctx 4096 -> 2048",
        "configs.py",
        '"Llama 2 13B", 5120, 40, 40, 40, 128, 13824, 32000, 4096,',
        '"Llama 2 13B", 5120, 40, 40, 40, 128, 13824, 32000, 2048,',
    ),
    Mutant(
        "quantize_groups: codes from unrounded scales",
        "checkpoints.py",
        "q = quantize_with(groups, scales[..., None].astype(np.float32), qmax)",
        "q = quantize_with(groups, (np.max(np.abs(groups), axis=-1) / qmax)[..., None], qmax)",
    ),
    Mutant("analogy does not exclude a, b, c", "embeddings.py", "exclude=(a, b, c))", "exclude=())"),
    Mutant(
        "Llama 2 7B trained on 1e12 tokens, not 2e12",
        "scaling.py",
        'TrainedModel("Llama 2 7B", 7e9, 2e12,',
        'TrainedModel("Llama 2 7B", 7e9, 1e12,',
    ),
    Mutant(
        "A100 FLOP/s doubled",
        "serving.py",
        'Hardware("NVIDIA A100 80GB SXM", 2.039e12, 312e12,',
        'Hardware("NVIDIA A100 80GB SXM", 2.039e12, 624e12,',
    ),
    Mutant(
        "to_bf16 rounds NaN payloads into inf or -0",
        "quantization.py",
        "np.where(np.isnan(bits.view(np.float32)), quiet_nan, rounded)",
        "rounded",
    ),
    Mutant(
        "simulate counts the last sampled token in the KV cache",
        "serving.py",
        "kv_bytes_per_position * (n_prompt + n_out - 1) * batch",
        "kv_bytes_per_position * (n_prompt + n_out) * batch",
    ),
    Mutant(
        "top-p ties at the cut keep the lowest ids",
        "sampling.py",
        "keep[np.flatnonzero(probs == cut)[::-1][:",
        "keep[np.flatnonzero(probs == cut)[:",
    ),
    Mutant(
        "near_duplicates: an estimate equal to the threshold is not a near copy",
        "data_pipeline.py",
        "if est >= cfg.threshold:",
        "if est > cfg.threshold:",
    ),
    Mutant(
        "mixture_plan: weights not normalised",
        "data_pipeline.py",
        "tokens = w / w.sum() * total_tokens",
        "tokens = w * total_tokens",
    ),
]

# The published tables: every number literal in these top-level definitions is mutated (doubled).
TABLES = {
    "configs.py": ["_gpt2", "CONFIGS"],
    "scaling.py": ["CHINCHILLA", "TOKENS_PER_PARAM", "TRAINED_MODELS"],
    "serving.py": ["HARDWARE"],
    "data_pipeline.py": ["GOPHER_RULES"],
}
FLIPS = {ast.Lt: "<=", ast.LtE: "<", ast.Gt: ">=", ast.GtE: ">", ast.Eq: "!=", ast.NotEq: "=="}


def table_mutants(module):  # -> [Mutant]
    """Each number in the module's published tables doubled (0 becomes 1), one mutant per literal."""
    source = (ROOT / "llm_core" / module).read_text()
    lines = source.splitlines(keepends=True)
    mutants = []
    for node in ast.parse(source).body:
        names = (
            [node.name]
            if isinstance(node, ast.FunctionDef)
            else [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        )
        if not set(names) & set(TABLES[module]):
            continue
        for const in ast.walk(node):
            if isinstance(const, ast.Constant) and type(const.value) in (int, float):
                mutants.append(
                    replace_at(
                        module,
                        lines,
                        const,
                        repr(const.value * 2 or 1),
                        f"{names[0]}: {ast.get_source_segment(source, const)} -> "
                        f"{const.value * 2 or 1} (line {const.lineno})",
                    )
                )
    return mutants


def compare_mutants(module):  # -> [Mutant]
    """Each comparison operator in the module flipped (< and <=, > and >=, == and !=), one at a time."""
    source = (ROOT / "llm_core" / module).read_text()
    lines = source.splitlines(keepends=True)
    mutants = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in FLIPS):
            continue
        left, right = node.left, node.comparators[0]
        if not left.end_lineno == right.lineno == node.lineno:
            continue  # an operator at a line break: left out
        line = lines[node.lineno - 1]
        between = line[left.end_col_offset : right.col_offset]  # " < ", ") <= (" ...
        flipped = re.sub(r"<=|>=|==|!=|<|>", FLIPS[type(node.ops[0])], between, count=1)
        new_line = line[: left.end_col_offset] + flipped + line[right.col_offset :]
        text = ast.get_source_segment(source, node)
        mutants.append(
            Mutant(f"line {node.lineno}: {text} ({between.strip()} -> {flipped.strip()})", module, line, new_line)
        )
    return mutants


def replace_at(module, lines, node, new_text, name):  # -> Mutant
    """A mutant replacing node's text (on one line); old and new are the whole line, so the change is unique."""
    line = lines[node.lineno - 1]
    return Mutant(name, module, line, line[: node.col_offset] + new_text + line[node.end_col_offset :])


def tests_for(module):  # -> [test file paths relative to the root]
    """The core tests that import the module (by name), its own test file first."""
    stem = module.removesuffix(".py")
    pattern = re.compile(rf"\bllm_core\.{stem}\b|from llm_core import [^\n]*\b{stem}\b")
    files = sorted(p for p in (ROOT / "tests" / "core").glob("test_*.py") if pattern.search(p.read_text()))
    own = ROOT / "tests" / "core" / f"test_{stem}.py"
    files.sort(key=lambda p: p != own)
    return [str(p.relative_to(ROOT)) for p in files]


def run_mutant(mutant, work, timeout):  # -> (caught: bool, detail: str)
    path = work / "llm_core" / mutant.module
    original = path.read_text()
    if original.count(mutant.old) != 1:
        return False, f"ERROR: the text to change is found {original.count(mutant.old)} times, not once"
    if mutant.old == mutant.new:
        return False, "ERROR: nothing to change"
    try:
        path.write_text(original.replace(mutant.old, mutant.new))
        shutil.rmtree(path.parent / "__pycache__", ignore_errors=True)
        env = {
            **os.environ,
            "GLASSBOX_DATA": os.environ.get("GLASSBOX_DATA", str(ROOT / "_build" / "data")),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "--no-header",
            *tests_for(mutant.module),
        ]
        try:
            done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return True, f"caught: the tests ran past {timeout} s"
        failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.M)
        if done.returncode == 0:
            return False, "survived every test"
        return True, f"caught by {failed[0] if failed else 'pytest exit ' + str(done.returncode)}"
    finally:
        path.write_text(original)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", action="store_true", help="also mutate every number in the published tables")
    parser.add_argument(
        "--compare",
        nargs="*",
        default=[],
        metavar="MODULE",
        help="also flip each comparison in these llm_core modules (e.g. serving sampling)",
    )
    parser.add_argument("--list", action="store_true", help="print the mutants and run nothing")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per mutant's test run")
    args = parser.parse_args()

    mutants = list(NAMED)
    if args.tables:
        mutants += [m for module in TABLES for m in table_mutants(module)]
    for module in args.compare:
        mutants += compare_mutants(module.removesuffix(".py") + ".py")
    if args.list:
        for m in mutants:
            print(f"{m.module}: {m.name}")
        return 0

    start, survived = time.monotonic(), []
    with tempfile.TemporaryDirectory(prefix="glassbox-mutate-") as tmp:
        work = Path(tmp)
        for name in COPIED:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
            else:
                shutil.copy2(src, work / name)
        for i, mutant in enumerate(mutants, 1):
            caught, detail = run_mutant(mutant, work, args.timeout)
            print(
                f"[{i}/{len(mutants)}] {'CAUGHT  ' if caught else 'SURVIVED'} {mutant.module}: {mutant.name}: {detail}",
                flush=True,
            )
            if not caught:
                survived.append(mutant)
    print(f"\n{len(mutants) - len(survived)} of {len(mutants)} mutants caught in {time.monotonic() - start:.0f} s")
    for m in survived:
        print(f"  survived: {m.module}: {m.name}")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
