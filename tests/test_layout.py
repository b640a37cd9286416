"""The project's two parts: the runtime pack (what the CLI starts and `pulumi policy publish` uploads) and the tools
around it; the wall between them, the published pack as published, and the installed command."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc as agrpc

from lambda_guardrails import layout
from policypack.registry import PACK_ROOT, POLICIES

REPO = PACK_ROOT
PACKAGE = REPO / "policypack"
TOOLS = REPO / "lambda_guardrails"
# The pack's own dependencies by what requirements.txt names, plus the two the pack is built on.
BASE_DISTRIBUTIONS = {"pulumi", "pulumi-policy"}
PIP_TIMEOUT = 900


def requirement_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(canonical(re.split(r"[\s<>=~!;\[]", line, maxsplit=1)[0]))
    return names


def canonical(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every absolute import in a module, wherever it sits (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def pack_modules() -> list[Path]:
    return [REPO / path for path in layout.module_files()]


def distribution_of(module: str) -> set[str]:
    return {canonical(name) for name in importlib.metadata.packages_distributions().get(module, [])}


def test_every_module_of_the_pack_imports_only_the_stdlib_pulumi_and_its_requirements() -> None:
    allowed = BASE_DISTRIBUTIONS | requirement_names((REPO / "requirements.txt").read_text(encoding="utf-8"))
    offenders = {}
    for path in pack_modules():
        for module in imported_modules(path):
            if module in sys.stdlib_module_names or module == "policypack":
                continue
            if not distribution_of(module) & allowed:
                offenders[f"{path.relative_to(REPO)}: {module}"] = sorted(distribution_of(module))
    assert offenders == {}


def test_the_wall_check_catches_an_import_the_pack_does_not_list(tmp_path: Path) -> None:
    module = tmp_path / "rule.py"
    module.write_text("import yaml\nfrom jsonschema import validate\ndef f():\n    import lambda_guardrails.offline\n")
    found = imported_modules(module)
    assert found == {"yaml", "jsonschema", "lambda_guardrails"}
    allowed = BASE_DISTRIBUTIONS | requirement_names((REPO / "requirements.txt").read_text(encoding="utf-8"))
    assert all(not distribution_of(name) & allowed for name in found)


def test_the_pack_never_imports_the_tools() -> None:
    for path in [*pack_modules(), REPO / "__main__.py"]:
        assert not imported_modules(path) & {"lambda_guardrails", "tests", "bench", "tools"}, path


def test_the_tools_import_the_pack_only_through_its_public_modules() -> None:
    # The tools lean on the pack; nothing of the pack leans on them (the test above), so this is the one direction.
    used = set()
    for path in TOOLS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used |= {node.module for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("policypack")}
    assert used and all((REPO / (module.replace(".", "/") + ".py")).exists() for module in used), used


def test_the_only_module_of_the_package_left_out_of_the_pack_is_the_command_line_shim() -> None:
    every = {path.relative_to(REPO) for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts}
    assert every - set(layout.module_files()) == {Path("policypack/__main__.py")}
    assert imported_modules(PACKAGE / "__main__.py") == {"__future__", "sys", "lambda_guardrails"}


def test_the_checkouts_pack_files_are_the_generated_ones() -> None:
    assert (REPO / "PulumiPolicy.yaml").read_text(encoding="utf-8") == layout.manifest(".venv")
    assert (REPO / "__main__.py").read_text(encoding="utf-8") == layout.ENTRY_POINT
    manifest = yaml.safe_load(layout.manifest(None))
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "pip"}}


def test_publish_dir_lays_out_the_runtime_pack_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "published"
    result = run_command([sys.executable, "-m", "policypack", "publish-dir", str(target)], cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{target}: {len(layout.module_files()) + 3} files; run `pulumi policy publish` there\n"
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    expected = ["PulumiPolicy.yaml", "__main__.py", "requirements.txt", *(p.as_posix() for p in layout.module_files())]
    assert files == sorted(expected)
    assert not [f for f in files if re.search(r"offline|guide|testing|catalogue|scaffold|tests/|bench|reference", f)]
    assert (target / "requirements.txt").read_bytes() == (REPO / "requirements.txt").read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["published"]


def test_publish_dir_refuses_a_directory_with_files_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    result = run_command([sys.executable, "-m", "policypack", "publish-dir", str(tmp_path / "taken")], cwd=REPO)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {tmp_path / 'taken'}: exists and is not an empty directory\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["notes.txt", "taken"]


def run_command(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(command, cwd=cwd, env={**clean, **(env or {})}, capture_output=True, text=True,
                          timeout=PIP_TIMEOUT, check=False, stdin=subprocess.DEVNULL)


def fresh_venv(directory: Path, *pip_args: str) -> Path:
    venv.EnvBuilder(with_pip=True).create(directory)
    python = directory / "bin" / "python"
    result = run_command([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *pip_args],
                         cwd=directory)
    assert result.returncode == 0, result.stderr[-3000:]
    return python


def analyzer_policies(python: Path, pack_dir: Path) -> list[str]:
    """Starts the pack as the CLI starts a Python pack and asks it, as the engine does, what it holds."""
    process = subprocess.Popen([str(python), "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(pack_dir)],
                               cwd=pack_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    try:
        port = process.stdout.readline().strip() if process.stdout else ""
        assert port.isdigit(), process.stderr.read() if process.stderr else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = agrpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
        return [policy.name for policy in info.policies]
    finally:
        process.kill()
        process.wait()


def test_the_published_pack_starts_from_a_fresh_environment_with_only_its_requirements(tmp_path: Path) -> None:
    target = tmp_path / "published"
    layout.publish(target)
    python = fresh_venv(tmp_path / "env", "-r", str(target / "requirements.txt"))
    installed = {canonical(d.metadata["Name"]) for d in importlib.metadata.distributions(path=[str(site(python))])}
    assert not installed & {"pulumi-aws", "pyyaml-include", "jsonschema", "boto3", "aws-lambda-guardrails"}
    assert analyzer_policies(python, target) == [policy.name for policy in POLICIES]


def site(python: Path) -> Path:
    return next((python.parent.parent / "lib").glob("python3*/site-packages"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh environment outside the checkout with `pip install <checkout>[check]` and the reference stack's
    own requirements (the check runs a program on the interpreter that has its dependencies)."""
    root = tmp_path_factory.mktemp("installed")
    yield fresh_venv(root / "env", f"{REPO}[check]", "-r", str(REPO / "reference_stack" / "requirements.txt"))
    shutil.rmtree(REPO / "build", ignore_errors=True)


def test_the_installed_command_checks_the_reference_stack_from_anywhere(installed: Path, tmp_path: Path) -> None:
    command = installed.parent / "lambda-guardrails"
    as_command = run_command([str(command), "check", str(REPO / "reference_stack"), "--format", "json"], cwd=tmp_path)
    assert as_command.returncode == 0, as_command.stderr
    as_module = run_command([str(installed), "-m", "policypack", "check", str(REPO / "reference_stack"), "--format",
                             "json"], cwd=tmp_path)
    assert (as_module.returncode, as_module.stdout) == (0, as_command.stdout)
    report = json.loads(as_command.stdout)
    assert report["summary"] == {"mandatory": 0, "advisory": 0} and report["resources"] > 10
    where = run_command([str(installed), "-c", "import lambda_guardrails, policypack; "
                                           "print(lambda_guardrails.__file__, policypack.__file__)"], cwd=tmp_path)
    assert str(REPO) not in where.stdout and "site-packages" in where.stdout


def test_the_installed_pack_dir_starts_the_installed_pack(installed: Path, tmp_path: Path) -> None:
    result = run_command([str(installed.parent / "lambda-guardrails"), "pack-dir"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pack_dir = Path(result.stdout.strip())
    assert pack_dir == installed.parent.parent / "share" / "aws-lambda-guardrails" / "pack"
    assert sorted(p.name for p in pack_dir.iterdir()) == [".venv", "PulumiPolicy.yaml", "__main__.py",
                                                          "requirements.txt"]
    assert (pack_dir / ".venv").resolve() == installed.parent.parent.resolve()
    assert yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text())["runtime"]["options"]["virtualenv"] == ".venv"
    assert analyzer_policies(pack_dir / ".venv" / "bin" / "python", pack_dir) == [p.name for p in POLICIES]
    again = run_command([str(installed.parent / "lambda-guardrails"), "pack-dir"], cwd=tmp_path)
    assert again.stdout == result.stdout


def test_the_pre_commit_hook_runs_from_a_program_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    hook = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())[0]
    assert hook["language"] == "python"
    program = tmp_path / "infra"
    shutil.copytree(REPO / "reference_stack", program, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    entry = [str(installed.parent / hook["entry"].split()[0]), *hook["entry"].split()[1:]]
    passing = run_command([*entry, *hook.get("args", []), "infra"], cwd=tmp_path)
    assert passing.returncode == 0, passing.stderr
    main = program / "__main__.py"
    main.write_text(main.read_text() + "\nimport pulumi_aws as _aws\n_aws.kms.Key('unrotated-hook-key')\n")
    failing = run_command([*entry, *hook.get("args", []), "infra"], cwd=tmp_path)
    assert failing.returncode == 1, failing.stderr
    assert re.findall(r"\[mandatory\] +(\S+) +\(aws:kms/key:Key: unrotated-hook-key\)", failing.stdout) == [
        "aws-resource-require-tags", "kms-key-enable-rotation"]


def test_a_wheel_built_from_the_checkout_holds_both_parts_and_no_more(tmp_path: Path) -> None:
    result = run_command([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
                         cwd=tmp_path)
    shutil.rmtree(REPO / "build", ignore_errors=True)
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("aws_lambda_guardrails-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = {name.split("/")[0] for name in names if not name.startswith("aws_lambda_guardrails-")}
    assert tops == {"policypack", "lambda_guardrails"}
    assert {p.as_posix() for p in layout.module_files()} <= set(names)
    assert "lambda_guardrails/remediation-intro.md" in names and "lambda_guardrails/offline/capture_child.py" in names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        assert "lambda-guardrails = lambda_guardrails.cli:run" in archive.read(entry_points).decode()
        requires = [line for line in archive.read(metadata).decode().splitlines() if line.startswith("Requires-Dist")]
    assert {canonical(re.split(r"[\s<>=~!;(]", line.split(": ", 1)[1])[0]) for line in requires
            if "extra ==" not in line} == requirement_names((REPO / "requirements.txt").read_text())
    assert any("jsonschema" in line and 'extra == "check"' in line for line in requires)
