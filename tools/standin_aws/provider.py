"""A stand-in for the `aws` resource provider plugin, for the engine tier: it answers the Pulumi engine as pulumi-aws
would for what the pack judges, from the offline check's own AWS emulation
(`lambda_guardrails.offline.aws_mock`), so that a difference between the engine tier and the offline check points
at the engine, not at the provider.

Test infrastructure, not part of the published pack. The engine runs it through the `pulumi-resource-aws` shim
beside this file with its address as the first argument, and reads the port from the first line of stdout.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import json
import re
import sys
from collections.abc import Mapping
from concurrent import futures
from pathlib import Path
from typing import Any, Final

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import plugin_pb2
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto import provider_pb2_grpc as pbg

from lambda_guardrails.offline import aws_mock
from lambda_guardrails.offline.capture_child import autoname_rule
from lambda_guardrails.offline.wire import Wire, plain_string


def _dict(struct: struct_pb2.Struct) -> dict[str, Wire]:
    return dict(json_format.MessageToDict(struct))


def _struct(value: Mapping[str, Wire]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def _type_and_name(urn: str) -> tuple[str, str]:
    _, _, qualified, name = urn.split("::", 3)
    return qualified.rsplit("$", 1)[-1], name


def plugin_version() -> str:
    return importlib.metadata.version("pulumi_aws")


ANY: Final = {"$ref": "pulumi.json#/Any"}
# The modules whose resources the schema describes: what the engine tier's YAML programs use.
SCHEMA_MODULES: Final = ("cloudwatch", "dynamodb", "iam", "kms", "lambda", "s3", "sns", "sqs")


def _wire_names(cls: type) -> list[str]:
    names = (getattr(getattr(v, "fget", None), "_pulumi_name", None) for v in vars(cls).values())
    return sorted(n for n in names if n)


@functools.cache
def schema() -> str:
    """A package schema for Pulumi YAML to resolve tokens and property names against: every resource of
    `SCHEMA_MODULES` in the installed pulumi_aws, each property typed Any (the stand-in checks no types), and
    `getPolicyDocument`. The registry of modules is the one pulumi_aws registers itself with."""
    source = Path(importlib.util.find_spec("pulumi_aws").origin).read_text()  # type: ignore[union-attr, arg-type]
    modules = json.loads(re.search(r'resource_modules="""(.*?)"""', source, re.S).group(1))  # type: ignore[union-attr]
    resources: dict[str, Any] = {}
    for module in modules:
        if module["mod"].split("/")[0] not in SCHEMA_MODULES:
            continue
        python_module = importlib.import_module(module["fqn"])
        for token, class_name in module["classes"].items():
            cls = getattr(python_module, class_name)
            args = getattr(python_module, f"{class_name}Args", None)
            inputs = _wire_names(args) if args is not None else []
            resources[token] = {
                "inputProperties": {name: ANY for name in inputs},
                "properties": {name: ANY for name in sorted({*inputs, *_wire_names(cls)})},
            }
    document_args = ["overridePolicyDocuments", "policyId", "sourcePolicyDocuments", "statements", "version"]
    document_outputs = ["id", "json", "minifiedJson", *document_args]
    functions = {
        "aws:iam/getPolicyDocument:getPolicyDocument": {
            "inputs": {"properties": {name: ANY for name in document_args}},
            "outputs": {"properties": {name: ANY for name in document_outputs}},
        }
    }
    return json.dumps({"name": "aws", "version": plugin_version(), "resources": resources, "functions": functions})


class StandInAws(pbg.ResourceProviderServicer):
    def __init__(self) -> None:
        self.config: dict[str, Wire] = {}

    def GetPluginInfo(self, request: Any, context: Any) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=plugin_version())

    def Handshake(self, request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "no handshake")

    def CheckConfig(self, request: pb.CheckRequest, context: Any) -> pb.CheckResponse:
        return pb.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: pb.DiffRequest, context: Any) -> pb.DiffResponse:
        return pb.DiffResponse(changes=pb.DiffResponse.DIFF_NONE)

    def Configure(self, request: pb.ConfigureRequest, context: Any) -> pb.ConfigureResponse:
        config = {key.partition(":")[2] or key: value for key, value in request.variables.items()}
        config.update(_dict(request.args))
        self.config = config
        return pb.ConfigureResponse(acceptSecrets=True, supportsPreview=True, acceptResources=True)

    def _env(self, inputs: Mapping[str, Wire]) -> aws_mock.Env:
        region = plain_string(inputs.get("region")) or plain_string(self.config.get("region"))
        return aws_mock.Env(
            region=region or aws_mock.DEFAULT_REGION, default_tags=aws_mock.provider_default_tags(self.config)
        )

    def Check(self, request: pb.CheckRequest, context: Any) -> pb.CheckResponse:
        """The inputs with the physical name pulumi-aws would propose, seeded by the URN as the offline check does."""
        type_, name = _type_and_name(request.urn)
        inputs = _dict(request.news)
        rule = autoname_rule(type_)
        if rule is not None:
            physical = aws_mock.autoname(rule, name, inputs, request.urn)
            if physical is not None:
                inputs[rule.prop] = physical
        return pb.CheckResponse(inputs=_struct(inputs))

    def Diff(self, request: pb.DiffRequest, context: Any) -> pb.DiffResponse:
        same = _dict(request.news) == _dict(request.old_inputs or request.olds)
        return pb.DiffResponse(changes=pb.DiffResponse.DIFF_NONE if same else pb.DiffResponse.DIFF_SOME)

    def _state(self, urn: str, properties: struct_pb2.Struct, preview: bool) -> tuple[str, struct_pb2.Struct]:
        type_, name = _type_and_name(urn)
        inputs = _dict(properties)
        resource_id, outputs = aws_mock.resource_state(type_, name, inputs, self._env(inputs), urn, preview)
        return resource_id, _struct(outputs)

    def Create(self, request: pb.CreateRequest, context: Any) -> pb.CreateResponse:
        resource_id, outputs = self._state(request.urn, request.properties, request.preview)
        return pb.CreateResponse(id=resource_id, properties=outputs)

    def Update(self, request: pb.UpdateRequest, context: Any) -> pb.UpdateResponse:
        return pb.UpdateResponse(properties=self._state(request.urn, request.news, request.preview)[1])

    def Read(self, request: pb.ReadRequest, context: Any) -> pb.ReadResponse:
        return pb.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    def Delete(self, request: Any, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def Invoke(self, request: pb.InvokeRequest, context: grpc.ServicerContext) -> pb.InvokeResponse:
        args = _dict(request.args)
        result = aws_mock.answer_invoke(request.tok, args, self._env(args))
        if result is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"the stand-in aws provider has no answer for {request.tok}")
        return pb.InvokeResponse(**{"return": _struct(result)})

    def GetSchema(self, request: Any, context: Any) -> pb.GetSchemaResponse:
        return pb.GetSchemaResponse(schema=schema())

    def Cancel(self, request: Any, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def Attach(self, request: Any, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    pbg.add_ResourceProviderServicer_to_server(StandInAws(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    sys.exit(main())
