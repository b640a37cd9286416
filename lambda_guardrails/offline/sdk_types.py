"""The shapes of a resource's outputs and of a data source's result, read from the installed provider SDK's classes
(`pulumi_aws` and any other bridged `pulumi_<package>`): their getters' wire names and return annotations.

Read at run time, for the types a program uses, so that they always match the SDK the program runs with.
"""

from __future__ import annotations

import collections.abc
import functools
import importlib
import importlib.util
import json
import re
import sys
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from .aws_mock import Shape

MAX_DEPTH: Final = 4
NUMBERS: Final = (int, float)


@functools.cache
def _resource_classes(package: str) -> Mapping[str, tuple[str, str]]:
    """Type token -> (module, class name), from the registry the SDK registers itself with."""
    spec = importlib.util.find_spec(f"pulumi_{package}") if package.isidentifier() else None
    if spec is None or spec.origin is None:
        return {}
    match = re.search(r'resource_modules="""(.*?)"""', Path(spec.origin).read_text(encoding="utf-8"), re.S)
    if match is None:
        return {}
    try:
        modules = json.loads(match.group(1))
    except ValueError:
        return {}
    return {token: (module["fqn"], name) for module in modules for token, name in module.get("classes", {}).items()}


def _token(cls: type) -> str:
    """The type token of an SDK resource class, or "" for any other class."""
    package = cls.__module__.split(".")[0]
    if not package.startswith("pulumi_") or not any(base.__name__ == "Resource" for base in cls.__mro__):
        return ""
    classes = _resource_classes(package.removeprefix("pulumi_"))
    return next((t for t, (fqn, name) in classes.items() if name == cls.__name__ and
                 cls.__module__.startswith(fqn + ".")), "")


def _python_module(package: str, module: str) -> str:
    module = module.split("/")[0]
    if module == "index":
        return f"pulumi_{package}"
    return f"pulumi_{package}.{module}_" if module in ("lambda", "global") else f"pulumi_{package}.{module}"


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _load(module: str, name: str) -> type | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except Exception:  # noqa: BLE001 a broken or missing SDK module means no shape, never a failed check
        return None
    return found if isinstance(found, type) else None


@functools.cache
def resource_outputs(type_: str) -> Mapping[str, Shape]:
    """The output properties the SDK declares for a resource type, by wire name; {} when the SDK has no such type."""
    package = type_.split(":")[0]
    location = _resource_classes(package).get(type_)
    cls = _load(*location) if location else None
    return _fields(cls, 0) if cls is not None else {}


@functools.cache
def invoke_result(token: str) -> Mapping[str, Shape]:
    """The result properties the SDK declares for a data source (`aws:ec2/getAmi:getAmi`), by wire name."""
    parts = token.split(":")
    if len(parts) != 3 or "/" not in parts[1]:
        return {}
    package, module, function = parts[0], parts[1], parts[2]
    base = _python_module(package, module)
    cls = _load(f"{base}.{_snake(function)}", f"{function[:1].upper()}{function[1:]}Result")
    return _fields(cls, 0) if cls is not None else {}


def _fields(cls: type, depth: int) -> dict[str, Shape]:
    namespace = vars(sys.modules.get(cls.__module__, types.ModuleType("empty")))
    fields: dict[str, Shape] = {}
    for attribute in vars(cls).values():
        getter = getattr(attribute, "fget", None)
        wire = getattr(getter, "_pulumi_name", None)
        if not wire:
            continue
        annotation = getattr(getter, "__annotations__", {}).get("return", Any)
        fields[wire] = _shape(annotation, namespace, depth)
    return fields


def _resolve(annotation: Any, namespace: Mapping[str, Any]) -> Any:
    text = annotation.__forward_arg__ if isinstance(annotation, typing.ForwardRef) else annotation
    if not isinstance(text, str):
        return annotation
    try:
        return eval(text, dict(namespace))  # the SDK's own annotation text, in its own module
    except Exception:  # noqa: BLE001
        return Any


def _shape(annotation: Any, namespace: Mapping[str, Any], depth: int) -> Shape:
    annotation = _resolve(annotation, namespace)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is not None and getattr(origin, "__name__", "") in ("Output", "Input") and args:
        return _shape(args[0], namespace, depth)
    if origin in (typing.Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        inner = _shape(present[0], namespace, depth) if len(present) == 1 else Shape("any")
        return Shape(inner.kind, len(present) < len(args), inner.item, inner.fields)
    if annotation is bool:
        return Shape("bool")
    if annotation is str:
        return Shape("str")
    if annotation in NUMBERS:
        return Shape("number")
    if origin in (collections.abc.Sequence, list) and args:
        return Shape("list", item=_shape(args[0], namespace, depth))
    if origin in (collections.abc.Mapping, dict) and len(args) == 2:
        return Shape("map", item=_shape(args[1], namespace, depth))
    if isinstance(annotation, type) and _token(annotation):
        return Shape("resource", token=_token(annotation))
    if isinstance(annotation, type) and depth < MAX_DEPTH:
        fields = _fields(annotation, depth + 1)
        if fields:
            return Shape("object", fields=tuple(sorted(fields.items())))
    return Shape("any")
