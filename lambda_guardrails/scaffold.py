"""`lambda-guardrails new-policy NAME --kind resource|stack --area AREA`: a new policy's rule stub with its metadata,
a good and a bad fixture, its contract row and guide material, in a checkout, so that the suite runs at once
(and the new policy's bad fixture fails until its check decides something). CONTRIBUTING.md walks through it."""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from policypack.registry import POLICIES

from . import layout

NAME: Final = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")
VERBS: Final = ("require", "disallow", "restrict", "enable", "configure", "match")
AREA: Final = re.compile(r"[a-z][a-z0-9_]*")
TYPE_TOKEN: Final = re.compile(r"aws:[a-zA-Z0-9]+/[a-zA-Z0-9]+:[A-Za-z0-9]+")
LEVELS: Final = ("advisory", "mandatory", "disabled")

FRAMEWORK_NAMES: Final = {
    "resource": ("EnforcementLevel", "Guide", "Meta", "ResourceContext", "Severity", "resource_policy"),
    "stack": ("EnforcementLevel", "Guide", "Meta", "Severity", "StackContext", "stack_policy"),
}
MODULE_HEADER: Final = '''"""{doc}"""

from __future__ import annotations

POLICIES = (
)
'''

RULE: Final = '''
# --- {name} {rule}

{const} = Meta(
    name="{name}",
    description="TODO: what it decides, in one sentence.",
    level=EnforcementLevel.{level},
    severity=Severity.LOW,
    tags=("lambda", "TODO"),
    types=({types}),
    remediation_steps="TODO: how to fix a violation, in Pulumi terms.",
    guide=Guide(
        why="TODO: why it matters, and what AWS does without it.",
        links=("https://docs.aws.amazon.com/lambda/latest/dg/",),
        failing='TODO = "a Pulumi Python snippet that fails"',
        compliant='TODO = "the same snippet, fixed"',{unknowns}
    ),
)


def check_{function}({context}) -> None:
    """TODO: decide. `{arg}.fail(message)` reports a violation; `{arg}.cannot_decide(reason)` says a value it needs
    is unknown at preview (never a silent pass)."""
'''


class ScaffoldError(Exception):
    """A request the scaffolder refuses; its message is the one line the command prints."""


def scaffold(name: str, kind: str, area: str, resource_type: str, level: str, root: Path) -> list[Path]:
    """Writes the new policy's files into the checkout at `root`; returns them."""
    _validate(name, area, resource_type, root)
    const = re.sub(r"\W", "_", name).upper()
    module = root / "policypack" / f"{area}.py"
    created = [] if module.exists() else [module]
    if created:
        module.write_text(MODULE_HEADER.format(doc=f"TODO: the rule area {area}."), encoding="utf-8")
        _register_area(root / "policypack" / "registry.py", area)
    _add_rule(module, name, kind, const, resource_type, level)
    fixtures = _write_fixtures(root / "tests" / "fixtures" / name, resource_type, level)
    _add_contract_row(root / "docs" / "policies.md", name, kind, level)
    return [*created, module, *fixtures, root / "docs" / "policies.md"]


def _validate(name: str, area: str, resource_type: str, root: Path) -> None:
    if not NAME.fullmatch(name) or not any(f"-{verb}-" in f"{name}-" for verb in VERBS):
        raise ScaffoldError(f"policy name '{name}': use lowercase words joined by '-' with one of the verbs "
                            f"{', '.join(VERBS)} (e.g. lambda-function-require-dlq)")
    if name in {policy.name for policy in POLICIES} or (root / "tests" / "fixtures" / name).exists():
        raise ScaffoldError(f"policy '{name}' exists already")
    if not AREA.fullmatch(area) or area in ("framework", "registry", "values", "aws", "patterns", "pack"):
        raise ScaffoldError(f"--area '{area}': name a rule module of policypack/ (e.g. function_settings) or a "
                            "new one, in snake_case")
    if not TYPE_TOKEN.fullmatch(resource_type):
        raise ScaffoldError(f"--type '{resource_type}': a pulumi-aws type token, e.g. aws:lambda/function:Function")


def _register_area(registry: Path, area: str) -> None:
    """Imports the new module in the registry and lists its policies last, keeping the registry's order."""
    text = registry.read_text(encoding="utf-8")
    imports = re.search(r"^from \. import \((.*?)\)", text, re.MULTILINE | re.DOTALL)
    listing = re.search(r"^POLICIES: .*? = \((.*?)\n\)", text, re.MULTILINE | re.DOTALL)
    if imports is None or listing is None:
        raise ScaffoldError(f"{registry}: no `from . import (...)` or POLICIES tuple to add {area} to")
    names = sorted({*re.findall(r"\w+", imports.group(1)), area})
    text = (text[:listing.end(1)] + f"\n    *{area}.POLICIES," + text[listing.end(1):])
    text = (text[:imports.start(1)] + "\n" + "".join(f"    {name},\n" for name in names) + text[imports.end(1):])
    registry.write_text(text, encoding="utf-8")


def _add_rule(module: Path, name: str, kind: str, const: str, resource_type: str, level: str) -> None:
    text = _with_framework_imports(module, FRAMEWORK_NAMES[kind])
    tail = re.search(r"^POLICIES = \((.*?)\)\s*\Z", text, re.MULTILINE | re.DOTALL)
    if tail is None:
        raise ScaffoldError(f"{module}: it does not end with its POLICIES tuple")
    unknowns = ('\n        unknowns=(("TODO property", "what the policy does when it is unknown at preview."),),'
                if level == "mandatory" else "")
    function = const.lower()
    rule = RULE.format(name=name, rule="-" * max(3, 112 - len(name)), const=const, level=level.upper(),
                       types=f'"{resource_type}",' if kind == "resource" else "", unknowns=unknowns,
                       function=function, arg="r" if kind == "resource" else "s",
                       context="r: ResourceContext" if kind == "resource" else "s: StackContext")
    maker = "resource_policy" if kind == "resource" else "stack_policy"
    listed = "".join(f"    {line.strip()}\n" for line in tail.group(1).strip().splitlines() if line.strip())
    if listed and not listed.rstrip().endswith(","):
        listed = listed.rstrip() + ",\n"
    listed += f"    {maker}({const}, check_{function}),\n"
    head = text[:tail.start()].rstrip("\n")
    body = ast.parse(head).body
    # ruff's isort wants one blank line between the imports and a comment; pycodestyle wants two after code.
    gap = "\n" if body and isinstance(body[-1], ast.Import | ast.ImportFrom) else "\n\n"
    module.write_text(head + gap + rule + "\n\nPOLICIES = (\n" + listed + ")\n", encoding="utf-8")


def _with_framework_imports(module: Path, needed: tuple[str, ...]) -> str:
    """The module's text with `from .framework import ...` naming every one of `needed` as well."""
    text = module.read_text(encoding="utf-8")
    found = [node for node in ast.parse(text).body
             if isinstance(node, ast.ImportFrom) and node.module == "framework" and node.level == 1]
    names = sorted({*needed, *(alias.name for node in found for alias in node.names)}, key=_import_order)
    statement = "from .framework import " + ", ".join(names)
    if len(statement) > 120:
        statement = "from .framework import (\n" + "".join(f"    {name},\n" for name in names) + ")"
    lines = text.splitlines(keepends=True)
    if not found:
        return text.replace("from __future__ import annotations\n", f"from __future__ import annotations\n\n"
                            f"{statement}\n", 1)
    first, last = found[0].lineno - 1, (found[0].end_lineno or found[0].lineno)
    return "".join([*lines[:first], statement + "\n", *lines[last:]])


def _import_order(name: str) -> tuple[bool, str]:
    # ruff's isort order: constants and classes (capitalised) before functions.
    return (name[:1].islower(), name)


def _write_fixtures(folder: Path, resource_type: str, level: str) -> list[Path]:
    resource = {"type": resource_type, "name": "subject", "props": {}}
    good = {"description": "TODO: a compliant resource.", "resources": [resource]}
    bad = {"description": "TODO: the case the policy exists for.", "resources": [resource],
           "expect": [{"resource": "subject", "contains": ["TODO: words of the message"]}]}
    written = []
    for sub, case in (("good", good), ("bad", bad)):
        path = folder / sub / ("compliant.json" if sub == "good" else "violating.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(case, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    if level == "mandatory":
        path = folder / "unknown" / "property.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        row = {"description": "TODO: the bad fixture with one property it reads unknown at preview.",
               "fixture": "bad/violating.json", "resource": "subject", "property": "TODO",
               "expect": "not_applicable", "names": "TODO"}
        path.write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _add_contract_row(contract: Path, name: str, kind: str, level: str) -> None:
    text = contract.read_text(encoding="utf-8")
    rows = list(re.finditer(r"^\| (\d+) \| [a-z0-9-]+ \|.*$", text, re.MULTILINE))
    number = int(rows[-1].group(1)) + 1 if rows else 1
    row = f"| {number} | {name} | {kind} | {level} | low | TODO: what it decides, exactly. |"
    end = rows[-1].end() if rows else len(text)
    contract.write_text(text[:end] + "\n" + row + text[end:], encoding="utf-8")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="lambda-guardrails new-policy",
                                     description="Scaffold a new policy in this checkout (see CONTRIBUTING.md).")
    parser.add_argument("name", metavar="NAME", help="e.g. lambda-function-require-dlq")
    parser.add_argument("--kind", choices=("resource", "stack"), required=True)
    parser.add_argument("--area", required=True, help="the rule module of policypack/, existing or new")
    parser.add_argument("--type", dest="resource_type", default="aws:lambda/function:Function",
                        help="the type token it examines (default: aws:lambda/function:Function)")
    parser.add_argument("--level", choices=LEVELS, default="advisory", help="default level (default: advisory)")
    args = parser.parse_args(argv)
    root = layout.checkout()
    if root is None:
        print("error: new-policy works in a checkout of aws-lambda-guardrails, not an installed copy",
              file=sys.stderr)
        return 2
    try:
        files = scaffold(args.name, args.kind, args.area, args.resource_type, args.level, root)
    except ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in files:
        print(path.relative_to(root))
    docs = subprocess.run([sys.executable, "-m", "policypack", "docs", "--write"], cwd=root, check=False)
    print("docs/remediation.md and docs/catalogue.md regenerated" if docs.returncode == 0 else
          "error: `python -m policypack docs --write` failed; run it once the module imports")
    print("next: fill in the TODOs (CONTRIBUTING.md), run `python -m policypack docs --write` again, run the tests")
    return 0 if docs.returncode == 0 else 1
