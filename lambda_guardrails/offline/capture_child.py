"""Runs one Pulumi program under mocks and writes every registration as JSON.

`python -m lambda_guardrails.offline.capture_child REQUEST.json RESULT.json`, started by `capture.py` in a fresh
process, because Pulumi's runtime settings are global to a process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import importlib.metadata
import inspect
import json
import logging
import os
import re
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi.runtime
from google.protobuf import struct_pb2
from pulumi.runtime import mocks, settings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_in_stack

from policypack.values import struct_dict

from . import aws_mock, sdk_types
from .capture import ROOT_STACK_TYPE
from .project import SECRET_PLACEHOLDER
from .sources import Sources
from .wire import UNKNOWN, Wire, downgrade_references, make_secret, plain_string

PROVIDER_PREFIX = "pulumi:providers:"
FALLBACK_PROVIDER_VERSIONS = {"aws": "7.0.0"}


class UnsupportedInvokeError(Exception):
    def __init__(self, token: str) -> None:
        super().__init__(f"the offline check has no answer for invoke '{token}'")
        self.token = token


class _NoMocks(mocks.Mocks):
    """The monitor below answers everything itself."""

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        raise UnsupportedInvokeError(args.token)

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        return "", {}


def _to_dict(struct: struct_pb2.Struct) -> dict[str, Wire]:
    # Not MessageToDict, which raises on the NaN or infinity a program may pass (the engine carries them).
    return cast(dict[str, Wire], struct_dict(struct))


def _to_struct(value: Mapping[str, Wire]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def _duration_seconds(text: str) -> float:
    total = 0.0
    for number, unit in re.findall(r"([0-9.]+)(h|ms|m|s)", text):
        total += float(number) * {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}[unit]
    return total


def _package_version(package: str) -> str:
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        return importlib.metadata.version(f"pulumi_{package}")
    return FALLBACK_PROVIDER_VERSIONS.get(package, "")


def autoname_rule(type_: str) -> aws_mock.Autoname | None:
    """How pulumi-aws names a resource of this type that the program names not."""
    return aws_mock.AUTONAMES.get(type_) or _sdk_autoname(type_)


@functools.cache
def _sdk_autoname(type_: str) -> aws_mock.Autoname | None:
    """pulumi-aws autonames every resource whose `name` input is optional in its SDK (`SetAutonaming`)."""
    package, module, cls = [*type_.split(":"), "", ""][:3]
    if package != "aws" or not module or not cls:
        return None
    mod_name = module.split("/")[0]
    mod_name = mod_name + "_" if mod_name in ("lambda", "index") else mod_name
    try:
        args_cls = getattr(importlib.import_module(f"pulumi_aws.{mod_name}"), f"{cls}Args")
        parameter = inspect.signature(args_cls.__init__).parameters.get("name")
    except (ImportError, AttributeError, ValueError, TypeError):
        return None
    if parameter is not None and parameter.default is None:
        return aws_mock.Autoname()
    return None


class CapturingMonitor(mocks.MockMonitor):
    """A mock monitor that plays the engine and the AWS provider, and hands each registration, as it happens, to
    `on_record` (under a lock, in registration order)."""

    def __init__(self, request: Mapping[str, Any], on_record: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(_NoMocks())
        self.on_record = on_record
        self.stack: str = request["stack"]
        self.project: str = request["project"]
        self.preview: bool = request["preview"]
        self.config: Mapping[str, str] = request["config"]
        self.secret_keys: frozenset[str] = frozenset(request["secretKeys"])
        self.stack_outputs: dict[str, dict[str, Wire]] = {}
        self.unsupported_invokes: list[str] = []
        self.generic_invokes: list[str] = []
        self.sources: Sources | None = None
        self.project_dir = Path(request.get("projectDir") or ".").resolve()
        self.remote_components: list[dict[str, str]] = []
        self._referenced: dict[str, tuple[str, aws_mock.Env]] = {}
        self._provider_inputs: dict[str, Mapping[str, Wire]] = {}
        self._parents: dict[str, str] = {}
        self._transform_tokens: dict[str, list[str]] = {}
        self._stack_transform_tokens: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._default_providers: dict[tuple[str, str], str] = {}
        self._lock = threading.RLock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        parent_type = parent.split("::")[2] if parent.count("::") >= 3 else ""
        qualified = type_ if parent_type in ("", ROOT_STACK_TYPE) else f"{parent_type}${type_}"
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"

    # --- resources ---------------------------------------------------------------------------------------

    def RegisterResource(self, request: Any) -> resource_pb2.RegisterResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = downgrade_references(_to_dict(self._transformed(request, urn)))
        with self._lock:
            provider_ref = self._provider_for(request)
            if request.custom and not request.type.startswith(PROVIDER_PREFIX):
                self._autoname(request.type, request.name, urn, inputs)
            if request.custom:
                env = self._env(provider_ref, inputs)
                shape = sdk_types.resource_outputs(request.type)
                resource_id, outputs = aws_mock.resource_state(
                    request.type, request.name, inputs, env, urn, self.preview, shape
                )
            elif request.remote:
                outputs = self._remote_component(request, urn, inputs, provider_ref)
                resource_id = ""
            else:
                resource_id, outputs = "", dict(inputs)
            if request.type.startswith(PROVIDER_PREFIX):
                self._provider_inputs[urn] = inputs
            self.on_record(
                {
                    **self._record(
                        request,
                        urn,
                        inputs,
                        downgrade_references(outputs) if request.remote else outputs,
                        self._id(request.custom, resource_id),
                        provider_ref,
                    ),
                    "options": _options(request),
                    # Python: the program's own frame; Node.js: the position its SDK reports (through source maps).
                    "source": self.sources.take(request.type, request.name) if self.sources else _source(
                        request, self.project_dir),
                }
            )
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=_to_struct(outputs))

    def _remote_component(self, request: Any, urn: str, inputs: dict[str, Wire], provider_ref: str) -> dict[str, Wire]:
        """A component only its provider can construct: its outputs from the SDK's types, its children unknown to
        the check but for the resources its outputs refer to, which `getResource` then answers."""
        self.remote_components.append({"type": request.type, "name": request.name, "urn": urn})
        shape = sdk_types.resource_outputs(request.type)
        env = self._env(provider_ref, inputs)
        _, outputs = aws_mock.resource_state(request.type, request.name, inputs, env, urn, self.preview, shape)
        outputs.pop("id", None)
        for prop, declared in shape.items():
            reference = outputs.get(prop)
            if declared.kind == "resource" and isinstance(reference, dict) and "urn" in reference:
                self._referenced[reference["urn"]] = (declared.token, env)
        return outputs

    def _get_resource(self, urn: str) -> resource_pb2.ResourceInvokeResponse:
        type_, env = self._referenced[urn]
        name = urn.rsplit("::", 1)[-1]
        shape = sdk_types.resource_outputs(type_)
        resource_id, state = aws_mock.resource_state(type_, name, {}, env, urn, self.preview, shape)
        result = {"urn": urn, "id": resource_id or UNKNOWN, "state": state}
        return resource_pb2.ResourceInvokeResponse(**{"return": _to_struct(result)})

    # --- transforms, which the engine runs and mocks don't --------------------------------------------------

    def RegisterStackTransform(self, request: Any) -> Any:
        self._stack_transform_tokens.append(request.token)
        return super().RegisterStackTransform(request)

    def _transformed(self, request: Any, urn: str) -> struct_pb2.Struct:
        """The inputs after the resource's own transforms, its ancestors', then the stack's, as the engine runs them."""
        with self._lock:
            self._parents[urn] = request.parent
            self._transform_tokens[urn] = [callback.token for callback in request.transforms]
            tokens = list(self._transform_tokens[urn])
            parent = request.parent
            while parent:
                tokens += self._transform_tokens.get(parent, [])
                parent = self._parents.get(parent, "")
            tokens += self._stack_transform_tokens
        functions = _transform_functions(tokens)
        if not functions or self.loop is None or request.type == ROOT_STACK_TYPE:
            return cast(struct_pb2.Struct, request.object)
        props = _unknowns_as_sentinel(pulumi.runtime.rpc.deserialize_properties(request.object, keep_unknowns=True))
        for function in functions:
            args = pulumi.ResourceTransformArgs(
                request.custom, request.type, request.name, props, pulumi.ResourceOptions()
            )
            result = function(args)
            if inspect.isawaitable(result):
                result = asyncio.run_coroutine_threadsafe(_awaited(result), self.loop).result()
            if result is not None:
                props = result.props
        serialized = pulumi.runtime.rpc.serialize_properties(props, {})
        return asyncio.run_coroutine_threadsafe(serialized, self.loop).result()

    def RegisterResourceOutputs(self, request: Any) -> Any:
        with self._lock:
            self.stack_outputs[request.urn] = downgrade_references(_to_dict(request.outputs))
        return super().RegisterResourceOutputs(request)

    def ReadResource(self, request: Any) -> resource_pb2.ReadResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = downgrade_references(_to_dict(request.properties))
        if request.type == "pulumi:pulumi:StackReference":
            outputs: dict[str, Wire] = {"name": request.id, "outputs": {}, "secretOutputNames": []}
        else:
            outputs = {**inputs, "id": request.id}
        with self._lock:
            self.on_record(
                {
                    **self._record(request, urn, inputs, outputs, request.id, request.provider),
                    "custom": True,
                    "external": True,
                    # Python: the program's own frame; Node.js: the position its SDK reports (through source maps).
                    "source": self.sources.take(request.type, request.name) if self.sources else _source(
                        request, self.project_dir),
                }
            )
        return resource_pb2.ReadResourceResponse(urn=urn, properties=_to_struct(outputs))

    def _record(
        self, request: Any, urn: str, inputs: dict[str, Wire], outputs: dict[str, Wire], id_: str, provider: str
    ) -> dict[str, Any]:
        property_dependencies = {}
        if hasattr(request, "propertyDependencies"):
            property_dependencies = {k: list(v.urns) for k, v in request.propertyDependencies.items() if v.urns}
        return {
            "urn": urn,
            "type": request.type,
            "name": request.name,
            "custom": bool(getattr(request, "custom", False)),
            "parent": request.parent,
            "provider": provider,
            "dependencies": list(getattr(request, "dependencies", [])),
            "propertyDependencies": property_dependencies,
            "inputs": inputs,
            "outputs": outputs,
            "id": id_,
            "external": False,
            "defaultProvider": False,
            "options": {},
            "source": _source(request, self.project_dir),
        }

    def _id(self, custom: bool, resource_id: str) -> str:
        if not custom:
            return ""
        return resource_id or UNKNOWN

    def _autoname(self, type_: str, logical_name: str, urn: str, inputs: dict[str, Wire]) -> None:
        rule = autoname_rule(type_)
        if rule is None:
            return
        name = aws_mock.autoname(rule, logical_name, inputs, urn)
        if name is not None:
            inputs[rule.prop] = name

    # --- providers ---------------------------------------------------------------------------------------

    def _provider_for(self, request: Any) -> str:
        if not request.custom or request.type.startswith(PROVIDER_PREFIX):
            return ""
        if request.provider:
            return cast(str, request.provider)
        package = request.type.split(":")[0]
        if package == "pulumi":
            return ""
        return self._default_provider(package, request.version or _package_version(package))

    def _default_provider(self, package: str, version: str) -> str:
        key = (package, version)
        if key in self._default_providers:
            return self._default_providers[key]
        name = "default_" + re.sub(r"[^0-9A-Za-z]", "_", version) if version else "default"
        urn = self.make_urn("", f"{PROVIDER_PREFIX}{package}", name)
        inputs: dict[str, Wire] = {}
        for key_, value in self.config.items():
            namespace, _, short = key_.partition(":")
            if namespace == package:
                inputs[short] = make_secret(value) if key_ in self.secret_keys else value
        if version:
            inputs["version"] = version
        provider_id = UNKNOWN if self.preview else aws_mock.fake_uuid(urn)
        ref = f"{urn}::{provider_id}"
        self._provider_inputs[urn] = inputs
        self.on_record(
            {
                "urn": urn,
                "type": f"{PROVIDER_PREFIX}{package}",
                "name": name,
                "custom": True,
                "parent": "",
                "provider": "",
                "dependencies": [],
                "propertyDependencies": {},
                "inputs": inputs,
                "outputs": dict(inputs),
                "id": provider_id,
                "external": False,
                "defaultProvider": True,
                "options": {},
            }
        )
        self._default_providers[key] = ref
        return ref

    def _env(self, provider_ref: str, inputs: Mapping[str, Wire] | None = None) -> aws_mock.Env:
        provider_inputs = self._provider_inputs.get(provider_ref.rsplit("::", 1)[0], {}) if provider_ref else {}
        if not provider_ref:
            provider_inputs = {k.partition(":")[2]: v for k, v in self.config.items() if k.startswith("aws:")}
        region = (
            plain_string((inputs or {}).get("region"))
            or plain_string(provider_inputs.get("region"))
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or aws_mock.DEFAULT_REGION
        )
        return aws_mock.Env(region=region, default_tags=aws_mock.provider_default_tags(provider_inputs))

    # --- invokes -----------------------------------------------------------------------------------------

    def Invoke(self, request: Any) -> resource_pb2.ResourceInvokeResponse:
        if request.tok == "pulumi:pulumi:getResource":
            urn = _to_dict(request.args).get("urn")
            if urn in self._referenced:
                return self._get_resource(urn)
            return cast(resource_pb2.ResourceInvokeResponse, super().Invoke(request))
        args = _to_dict(request.args)
        with self._lock:
            package = request.tok.split(":")[0]
            provider_ref = request.provider or self._default_provider(
                package, request.version or _package_version(package)
            )
            result = aws_mock.answer_invoke(
                request.tok, args, self._env(provider_ref), sdk_types.invoke_result(request.tok)
            )
            if result is None:
                self.unsupported_invokes.append(request.tok)
                raise UnsupportedInvokeError(request.tok)
            if request.tok not in aws_mock.INVOKES and request.tok not in self.generic_invokes:
                self.generic_invokes.append(request.tok)
        return resource_pb2.ResourceInvokeResponse(**{"return": _to_struct(result)})


def _transform_functions(tokens: list[str]) -> list[Any]:
    from pulumi.runtime._callbacks import _CallbackServicer

    by_token = {token: fn for servicer in _CallbackServicer._servicers for fn, token in servicer._transforms.items()}
    return [by_token[token] for token in tokens if token in by_token]


async def _awaited(value: Any) -> Any:
    return await value


def _unknowns_as_sentinel(value: Any) -> Any:
    """Unknown inputs stay the wire's unknown string through a transform, rather than becoming None."""
    if isinstance(value, pulumi.output.Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _unknowns_as_sentinel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns_as_sentinel(v) for v in value]
    return value


def _source(request: Any, project_dir: Path) -> dict[str, Any] | None:
    """Where the program declared the resource as its SDK reports it, relative to the program directory."""
    if not hasattr(request, "sourcePosition") or not request.HasField("sourcePosition"):
        return None
    path = Path(request.sourcePosition.uri.removeprefix("file://"))
    if "node_modules" in path.parts:  # the SDK's own frame (the root stack's, say): not the program's
        return None
    with contextlib.suppress(ValueError):
        path = path.relative_to(project_dir)
    return {"path": path.as_posix(), "line": request.sourcePosition.line}


def _options(request: Any) -> dict[str, Any]:
    timeouts = request.customTimeouts
    return {
        "protect": bool(request.protect),
        "ignoreChanges": list(request.ignoreChanges),
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
        "deleteBeforeReplaceDefined": bool(request.deleteBeforeReplaceDefined),
        "additionalSecretOutputs": list(request.additionalSecretOutputs),
        "aliases": list(request.aliasURNs),
        "customTimeouts": {
            "create": _duration_seconds(timeouts.create),
            "update": _duration_seconds(timeouts.update),
            "delete": _duration_seconds(timeouts.delete),
        },
    }


class _ErrorLog(logging.Handler):
    """Keeps `pulumi.log.error` messages: the CLI fails a run that logged an error."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _program_logger() -> tuple[logging.Logger, _ErrorLog]:
    logger = logging.getLogger("lambda_guardrails.offline.program")
    errors = _ErrorLog()
    logger.addHandler(errors)
    logger.addHandler(logging.StreamHandler(sys.stderr))
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, errors


class _Scrubbing:
    """A text stream that writes known secrets as `[secret]` (the program's output shows with --verbose)."""

    def __init__(self, stream: Any, known: set[str]) -> None:
        self._stream, self._known = stream, known

    def write(self, text: str) -> int:
        return int(self._stream.write(scrub(text, self._known)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _wait_for_outputs_at_once() -> None:
    """The SDK's `wait_for_rpcs` waits for its outstanding outputs one completion at a time, adding a callback to
    every pending one each time: quadratic in the program's size (most of a 1,000-resource run). This waits for
    them all at once and raises the first failure, as the original does."""
    from pulumi.runtime import stack as sdk_stack

    original = sdk_stack.wait_for_rpcs
    outputs = settings.SETTINGS

    async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
        while True:
            await original(await_all_outstanding_tasks=False)
            if not await_all_outstanding_tasks:
                return
            with outputs.lock:
                pending = list(outputs.outputs)
                outputs.outputs.clear()
            if not pending:
                return
            done, not_done = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            with outputs.lock:
                outputs.outputs.update(not_done)
            for task in done:
                await task

    sdk_stack.wait_for_rpcs = wait_for_rpcs


def run(request: Mapping[str, Any], on_record: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Runs the program; each registration goes to `on_record` as it happens, the rest is returned at the end."""
    secrets = {SECRET_PLACEHOLDER}
    _record_secrets(secrets)
    sys.stdout = cast(Any, _Scrubbing(sys.stdout, secrets))
    sys.stderr = cast(Any, _Scrubbing(sys.stderr, secrets))
    monitor = CapturingMonitor(request, on_record)
    monitor.sources = Sources(Path(request["projectDir"]))
    monitor.sources.install()
    _wait_for_outputs_at_once()
    logger, errors = _program_logger()
    # A stand-in root keeps set_mocks from registering (and finishing) a stack of its own.
    settings.set_root_resource(cast(Any, object()))
    mocks.set_mocks(
        _NoMocks(),
        project=request["project"],
        stack=request["stack"],
        preview=request["preview"],
        logger=logger,
        monitor=monitor,
        organization=request["organization"],
    )
    settings.set_root_resource(cast(Any, None))
    pulumi.runtime.set_all_config(dict(request["config"]), list(request["secretKeys"]))
    main = request["main"]
    sys.path.insert(0, str(Path(main) if Path(main).is_dir() else Path(main).parent))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor.loop = loop
    error: dict[str, str] | None = None

    def program() -> None:
        runpy.run_path(main, run_name="__main__")

    try:
        loop.run_until_complete(run_in_stack(program))
    except BaseException as exc:  # noqa: BLE001 every failure of the program is reported to the parent
        error = _describe_failure(exc, monitor)
    if error is None and errors.messages:
        error = {"kind": "log", "type": "error", "message": one_line(errors.messages[0]), "traceback": ""}
    if error is not None:
        error = {key: scrub(value, secrets) for key, value in error.items()}
    return {"stackOutputs": monitor.stack_outputs, "error": error, "genericInvokes": monitor.generic_invokes,
            "remoteComponents": monitor.remote_components}


def _record_secrets(known: set[str]) -> None:
    """Every string the program passes to `Output.secret` (config's `require_secret` included) joins `known`, so
    that no error line repeats it."""
    original = pulumi.Output.secret

    def secret(value: Any) -> pulumi.Output[Any]:
        output = original(value)
        output.apply(lambda plain: known.add(plain) if isinstance(plain, str) and plain else None)
        return output

    pulumi.Output.secret = staticmethod(secret)  # type: ignore[method-assign,assignment]


def scrub(text: str, known: set[str]) -> str:
    for value in sorted(known, key=len, reverse=True):
        text = text.replace(value, "[secret]")
    return text


def one_line(message: str) -> str:
    """The first line of a message, without the property values the SDK appends to its type errors (they may
    hold secrets) and at most 240 characters; the whole text stays in the --verbose detail."""
    lines = message.strip().splitlines()
    line = re.split(r": [\[{]|\s\{'", lines[0], maxsplit=1)[0] if lines else ""
    return line if len(line) <= 240 else line[:237] + "..."


def _describe_failure(exc: BaseException, monitor: CapturingMonitor) -> dict[str, str]:
    if monitor.unsupported_invokes:
        token = monitor.unsupported_invokes[0]
        return {"kind": "invoke", "type": "", "message": token, "traceback": traceback.format_exc()}
    return {"kind": "program", "type": type(exc).__name__, "message": one_line(str(exc)),
            "traceback": traceback.format_exc()}


def main(argv: list[str]) -> int:
    """REQUEST.json RESULT.json RECORDS_FD: the registrations go to RECORDS_FD as JSON lines while the program runs
    (the check analyses them meanwhile), the rest to RESULT.json at the end."""
    request = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    records_fd = int(argv[2])
    os.set_inheritable(records_fd, False)  # a process the program starts must not hold the check's pipe open
    os.chdir(request["projectDir"])
    with os.fdopen(records_fd, "w", encoding="utf-8", buffering=1) as records:  # a line per registration

        def send(record: dict[str, Any]) -> None:
            records.write(json.dumps(record) + "\n")

        result = run(request, send)
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
