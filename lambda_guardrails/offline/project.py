"""Reading `Pulumi.yaml`, `Pulumi.<stack>.yaml` and `PulumiPolicy.yaml` the way the CLI does."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from .errors import CheckError

# What a program and a pack receive for a `secure:` value: the offline check has no key to decrypt it. It is
# neutral on purpose: no placeholder word, no brackets, nothing that looks like a credential.
SECRET_PLACEHOLDER: Final = "offline-check-secret-value"
PROJECT_CONFIG_KEYS: Final = frozenset({"type", "description", "default", "value", "secret", "items"})
# The CLI's rules for names (sdk/go/common/tokens/names.go, stack_name.go, project.go): a URN joins them with `::`.
NAME: Final = re.compile(r"[A-Za-z0-9_.-]+")
STACK_FILE: Final = re.compile(r"^Pulumi\.(.+)\.ya?ml$")
RUNTIMES: Final = ("python", "nodejs")


@dataclass(frozen=True)
class Program:
    directory: Path
    name: str
    main: Path
    description: str = ""
    project_config: Mapping[str, Any] = field(default_factory=dict)
    runtime: str = "python"
    runtime_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def main_file(self) -> Path:
        if not self.main.is_dir():
            return self.main
        if self.runtime == "nodejs":
            return node_entry(self.main, self.runtime_options.get("typescript") is not False)
        return self.main / "__main__.py"


def node_entry(directory: Path, typescript: bool) -> Path:
    """The file Node.js starts for a directory: package.json's `main`, else index.ts (when TypeScript is on) or
    index.js, as @pulumi/pulumi's run and Node.js resolve it (their `exports` forms are left to them)."""
    manifest = directory / "package.json"
    with contextlib.suppress(OSError, ValueError):
        main = json.loads(manifest.read_text(encoding="utf-8")).get("main") if manifest.is_file() else None
        if isinstance(main, str) and (directory / main).is_file():
            return directory / main
    index_ts = directory / "index.ts"
    return index_ts if typescript and index_ts.is_file() and not (directory / "index.js").is_file() else (
        directory / "index.js")


@dataclass(frozen=True)
class StackConfig:
    name: str
    values: Mapping[str, str]
    secret_keys: tuple[str, ...] = ()
    organization: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PackSpec:
    directory: Path
    version: str
    runtime: str
    main: Path
    options: Mapping[str, Any] = field(default_factory=dict)

    def command(self, engine_address: str) -> list[str]:
        if self.runtime == "python":
            return [self._python(), "-u", "-m", "pulumi.policy", engine_address, str(self.main)]
        if self.runtime == "nodejs":
            return self._node_command(engine_address)
        raise CheckError(f"policy pack {self.directory}: runtime '{self.runtime}' is not supported (python, nodejs)")

    def _python(self) -> str:
        virtualenv = self.options.get("virtualenv")
        if isinstance(virtualenv, str) and virtualenv:
            for candidate in ("bin/python", "Scripts/python.exe"):
                python = self.directory / virtualenv / candidate
                if python.exists():
                    return str(python)
        return sys.executable

    def _node_command(self, engine_address: str) -> list[str]:
        node = shutil.which("node")
        runner = self.directory / "node_modules" / "@pulumi" / "pulumi" / "cmd" / "run-policy-pack"
        if node is None:
            raise CheckError(f"policy pack {self.directory} is a Node.js pack and node is not installed")
        if not runner.exists():
            raise CheckError(f"policy pack {self.directory}: its dependencies are not installed; run npm install there")
        return [node, str(runner), engine_address, "."]


def read_text(path: Path, what: str = "") -> str:
    """A file's UTF-8 text, or a CheckError naming the file (and `what` it is) when it cannot be read."""
    label = f"{what} {path}" if what else str(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CheckError(f"{label}: cannot be read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CheckError(f"{label}: cannot be read: not UTF-8 (byte {exc.start})") from exc


def _read_yaml(path: Path, loader: type[yaml.SafeLoader] | type[yaml.BaseLoader] = yaml.SafeLoader) -> Any:
    text = read_text(path)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise CheckError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from exc
    except RecursionError as exc:
        raise CheckError(f"{path}: invalid YAML: nested too deeply") from exc


def load_program(directory: Path) -> Program:
    path = directory / "Pulumi.yaml"
    if not path.is_file():
        alternative = directory / "Pulumi.yml"
        if not alternative.is_file():
            raise CheckError(f"{path}: not found; PROGRAM_DIR must hold a Pulumi project")
        path = alternative
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise CheckError(f"{path}: must be a YAML mapping with 'name' and 'runtime'")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise CheckError(f"{path}: 'name' is missing")
    if len(name) > 100 or not NAME.fullmatch(name):
        raise CheckError(f"{path}: name {json.dumps(name)}: project names may only contain alphanumerics, hyphens, "
                         "underscores, and periods, at most 100 characters")
    runtime = _runtime_name(data.get("runtime"))
    if runtime not in RUNTIMES:
        raise CheckError(f"{path}: runtime '{runtime}' is not supported by the offline check ({', '.join(RUNTIMES)})")
    main = directory / str(data.get("main") or ".")
    if not main.exists():
        raise CheckError(f"{path}: main '{data.get('main')}' does not exist")
    options = data["runtime"].get("options") if isinstance(data["runtime"], Mapping) else None
    program = Program(directory, name, main, str(data.get("description") or ""), data.get("config") or {}, runtime,
                      options if isinstance(options, Mapping) else {})
    if not program.main_file.is_file():
        raise CheckError(f"{path}: the program {program.main_file} does not exist")
    if runtime == "nodejs":
        _require_node_modules(program)
    return program


def _require_node_modules(program: Program) -> None:
    """Node.js looks for @pulumi/pulumi in node_modules here and in every directory above."""
    for directory in (program.directory.resolve(), *program.directory.resolve().parents):
        if (directory / "node_modules" / "@pulumi" / "pulumi" / "package.json").is_file():
            return
    raise CheckError(f"{program.directory}: no node_modules with @pulumi/pulumi for this nodejs program; run npm "
                     f"install in {program.directory}")


def _runtime_name(runtime: Any) -> str:
    if isinstance(runtime, Mapping):
        runtime = runtime.get("name")
    return str(runtime or "")


def stack_names(program: Program) -> list[str]:
    return sorted(m.group(1) for p in program.directory.iterdir() if (m := STACK_FILE.match(p.name)))


def default_stack(program: Program) -> str:
    names = stack_names(program)
    return names[0] if len(names) == 1 else "dev"


def parse_stack(reference: str, program: Program) -> tuple[str, str]:
    """(organization, stack) from `stack`, `org/stack` or `org/project/stack`, refused where the CLI refuses."""
    parts = reference.split("/")
    if len(parts) > 3 or not all(parts):
        raise CheckError(f"--stack {json.dumps(reference)}: a stack is named stack, org/stack or org/project/stack")
    if len(parts) == 3 and parts[1] != program.name:
        raise CheckError(f"--stack {json.dumps(reference)}: project '{parts[1]}' is not this program's project "
                         f"'{program.name}'")
    for part in parts:
        bad = next((i for i, c in enumerate(part) if not NAME.fullmatch(c)), None)
        if bad is not None or len(part) > 100:
            where = f": invalid character {json.dumps(part[bad])} at position {bad}" if bad is not None else ""
            raise CheckError(f"--stack {json.dumps(reference)}: a stack name may only contain alphanumeric, "
                             f"hyphens, underscores, or periods, at most 100 characters{where}")
    return (parts[0] if len(parts) > 1 else ""), parts[-1]


def load_stack_config(program: Program, reference: str) -> StackConfig:
    organization, stack = parse_stack(reference, program)
    values: dict[str, str] = {}
    secrets: set[str] = set()
    for key, value in (program.project_config or {}).items():
        literal = _project_value(value)
        if literal is not None:
            _set(values, secrets, _namespaced(str(key), program.name), literal, literal)
    candidates = (program.directory / f"Pulumi.{stack}.{ext}" for ext in ("yaml", "yml"))
    path = next((p for p in candidates if p.exists()), None)
    warnings: tuple[str, ...] = ()
    if path is None:
        others = sorted(p.name for p in program.directory.iterdir() if STACK_FILE.match(p.name))
        if others:
            raise CheckError(f"--stack {reference}: no Pulumi.{stack}.yaml in {program.directory}; its stack files "
                             f"are {', '.join(others)}")
        warnings = (f"no Pulumi.{stack}.yaml in {program.directory}: the program runs with no stack config",)
    else:
        typed = _read_yaml(path) or {}
        raw = _read_yaml(path, yaml.BaseLoader) or {}
        if not isinstance(typed, Mapping) or not isinstance(typed.get("config") or {}, Mapping):
            raise CheckError(f"{path}: 'config' must be a mapping")
        raw_config = raw.get("config") or {} if isinstance(raw, Mapping) else {}
        for key, value in (typed.get("config") or {}).items():
            _set(values, secrets, _namespaced(str(key), program.name), value, raw_config.get(key))
    return StackConfig(stack, values, tuple(sorted(secrets)), organization, warnings)


def _project_value(value: Any) -> Any:
    if isinstance(value, Mapping) and value and set(value) <= PROJECT_CONFIG_KEYS:
        return value.get("value", value.get("default"))
    return value


def _namespaced(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _set(values: dict[str, str], secrets: set[str], key: str, typed: Any, raw: Any) -> None:
    """Config as the CLI hands it over: strings as written, everything else JSON, secrets replaced."""
    plain, secret = _strip_secure(typed)
    if isinstance(raw, str) and not secret:
        values[key] = raw
    elif isinstance(plain, str):
        values[key] = plain
    else:
        values[key] = json.dumps(plain, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if secret:
        secrets.add(key)
    else:
        secrets.discard(key)


def _strip_secure(value: Any) -> tuple[Any, bool]:
    if isinstance(value, Mapping):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        items = {k: _strip_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(value, list):
        items_ = [_strip_secure(v) for v in value]
        return [v for v, _ in items_], any(s for _, s in items_)
    if value is None:
        return "", False
    return value, False


def load_pack(directory: Path) -> PackSpec:
    path = directory / "PulumiPolicy.yaml"
    if not path.is_file():
        raise CheckError(f"policy pack {directory}: PulumiPolicy.yaml not found")
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise CheckError(f"{path}: must be a YAML mapping with 'runtime'")
    runtime = data.get("runtime")
    options = runtime.get("options") or {} if isinstance(runtime, Mapping) else {}
    name = _runtime_name(runtime)
    if not name:
        raise CheckError(f"{path}: 'runtime' is missing")
    main = directory / str(data.get("main") or ".")
    return PackSpec(directory, str(data.get("version") or ""), name, main.resolve(), options)
