"""Run a Pulumi Python program under mocks in this process and print what it registered as JSON.

Usage: python run_program.py PROGRAM_DIR PROJECT STACK CONFIG_JSON [--preview]

Pulumi's runtime settings are global, so each program runs in its own process (see the tests). Every
RegisterResource request is captured as the engine would send it to a policy pack: `inputs` is the request's
`object` Struct in wire form (camelCase names, numbers as floats, unknowns as the unknown sentinel). In a
preview the mocks return no computed outputs, so everything a provider would compute stays unknown.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import runpy
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ACCOUNT = "123456789012"


def _fake_id(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


class Mocks(pulumi_mocks.Mocks):
    def __init__(self, region: str, preview: bool) -> None:
        self.region = region
        self.preview = preview

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/deployer",
                "id": ACCOUNT,
                "userId": "AIDAEXAMPLEUSERID",
            }
        if args.token == "aws:index/getRegion:getRegion":
            return {
                "region": self.region,
                "name": self.region,
                "id": self.region,
                "description": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
            }
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "id": "aws",
                "reverseDnsPrefix": "com.amazonaws",
            }
        raise NotImplementedError(f"no mock for invoke {args.token}")

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if self.preview:
            return None, state
        region, prefix = self.region, f"arn:aws:{{}}:{self.region}:{ACCOUNT}"
        name = state.get("name") or f"{args.name}-{_fake_id(args.name)[:7]}"
        typ = args.typ
        rid = name
        if typ == "aws:kms/key:Key":
            rid = _fake_id(args.name)
            state.update(keyId=rid, arn=f"{prefix.format('kms')}:key/{rid}")
        elif typ == "aws:kms/alias:Alias":
            state.update(arn=f"{prefix.format('kms')}:{name}", targetKeyArn=f"{prefix.format('kms')}:key/x")
        elif typ == "aws:iam/role:Role":
            state.update(name=name, arn=f"arn:aws:iam::{ACCOUNT}:role/{name}", uniqueId="AROAEXAMPLE")
        elif typ in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
            rid = f"{state.get('role')}:{name}"
        elif typ == "aws:dynamodb/table:Table":
            state.update(name=name, arn=f"{prefix.format('dynamodb')}:table/{name}")
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            state.update(name=name, arn=f"{prefix.format('logs')}:log-group:{name}")
        elif typ == "aws:lambda/function:Function":
            arn = f"{prefix.format('lambda')}:function:{name}"
            version = "1" if state.get("publish") else "$LATEST"
            state.update(
                name=name,
                arn=arn,
                version=version,
                qualifiedArn=f"{arn}:{version}",
                invokeArn=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
            )
        elif typ == "aws:lambda/alias:Alias":
            function_arn = f"{prefix.format('lambda')}:function:{state.get('functionName')}"
            state.update(arn=f"{function_arn}:{name}")
        elif typ == "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig":
            rid = f"{state.get('functionName')},{state.get('qualifier')}"
        return rid, state


class CapturingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            record = {
                "type": request.type,
                "name": request.name,
                "urn": response.urn,
                "custom": request.custom,
                "parent": request.parent,
                "inputs": json_format.MessageToDict(request.object),
                "dependencies": sorted(request.dependencies),
                "propertyDependencies": {key: sorted(deps.urns) for key, deps in request.propertyDependencies.items()},
            }
            with self.lock:
                self.requests.append(record)
        return response


async def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    if not await output.is_known():
        return UNKNOWN
    return await output.future()


def main() -> int:
    program_dir, project, stack, config_json = sys.argv[1:5]
    preview = "--preview" in sys.argv[5:]
    config: dict[str, str] = json.loads(config_json)
    program_dir_path = Path(program_dir).resolve()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = Mocks(config.get("aws:region", "us-east-1"), preview)
    monitor = CapturingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(config)

    os.chdir(program_dir_path)
    sys.path.insert(0, str(program_dir_path))
    sys.dont_write_bytecode = True
    result: dict[str, Any] = {"project": project, "stack": stack, "preview": preview}
    try:

        def program() -> None:
            runpy.run_path(str(program_dir_path / "__main__.py"), run_name="__main__")

        loop.run_until_complete(run_pulumi_func(program))
        root = get_root_resource()
        outputs = getattr(root, "outputs", {}) or {}
        result["outputs"] = {key: loop.run_until_complete(_resolve(value)) for key, value in sorted(outputs.items())}
    except Exception as exc:  # noqa: BLE001 - reported to the caller as JSON
        result["error"] = {
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": traceback.format_exc(),
        }
    finally:
        loop.close()
    result["resources"] = sorted(monitor.requests, key=lambda r: (r["type"], r["name"]))
    sys.stdout.write(json.dumps(result, sort_keys=True, default=str) + "\n")
    return 2 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
