"""One offline check: run the program and start the packs side by side, analyse each resource as the program
registers it, AnalyzeStack once it is done, then report."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .capture import ORGANIZATION, Capture, CaptureProcess, capture_process
from .errors import CheckError
from .pack_process import PackProcess, RunContext
from .project import Program, StackConfig, default_stack, load_pack, load_program, load_stack_config
from .report import Location, Report, sort_violations

if TYPE_CHECKING:
    from . import config as pconfig
    from .engine import Analysis, Findings, PackSession

MODES: Final = ("preview", "update")
ConfigSource = Path | Mapping[str, Any]


@dataclass(frozen=True)
class CheckOptions:
    program_dir: Path = Path(".")
    stack: str | None = None
    mode: str = "preview"
    policy_packs: Sequence[Path] = ()
    policy_configs: Sequence[ConfigSource] = ()
    sarif_root: Path | None = None


@dataclass
class CheckRun:
    """What a run produced besides the report: the program's output, the packs' stderr, their process ids."""

    report: Report
    program_output: str = ""
    pack_stderr: dict[str, str] = field(default_factory=dict)
    pack_pids: list[int] = field(default_factory=list)


def default_pack_dir() -> Path:
    """This pack: the checkout it runs from, or the pack directory of the installation (`lambda-guardrails
    pack-dir`)."""
    from .. import layout

    try:
        return layout.pack_dir()
    except layout.LayoutError as exc:
        raise CheckError(f"no default policy pack: {exc}; pass --policy-pack") from exc


def _layer(source: ConfigSource | None) -> tuple[pconfig.Layer, str]:
    from . import config as pconfig

    if source is None:
        return {}, ""
    if isinstance(source, Mapping):
        return pconfig.parse(source, "policy config"), "policy config"
    return pconfig.load_file(Path(source)), str(source)


def _context(program: Program, stack: StackConfig, preview: bool) -> RunContext:
    tags = {"pulumi:project": program.name, "pulumi:runtime": program.runtime}
    if program.description:
        tags["pulumi:description"] = program.description
    organization = stack.organization or ORGANIZATION
    return RunContext(program.name, stack.name, organization, preview, stack.values, stack.secret_keys, tags)


def run_check(options: CheckOptions, pids: list[int] | None = None) -> CheckRun:
    if options.mode not in MODES:
        raise CheckError(f"--mode must be one of {', '.join(MODES)}, not '{options.mode}'")
    program = load_program(options.program_dir)
    root = sarif_root(options, program)
    stack = load_stack_config(program, options.stack or default_stack(program))
    run = CheckRun(Report(program.name, stack.name, options.mode, (), 0, ()))
    run.pack_pids = pids if pids is not None else []
    with contextlib.ExitStack() as cleanup:
        # The program, on the critical path, starts first; then the packs; the imports below (grpc, jsonschema,
        # the pack's registry) overlap with both.
        context = _context(program, stack, options.mode == "preview")
        capture = capture_process(program, stack, context.preview)
        cleanup.callback(capture.stop)
        capture.start()
        specs = [load_pack(Path(d)) for d in (options.policy_packs or [default_pack_dir()])]
        if len(options.policy_configs) > len(specs):
            raise CheckError(
                f"{len(options.policy_configs)} policy pack configs for {len(specs)} policy packs; "
                "each --policy-pack-config pairs with a --policy-pack, in order"
            )
        processes = [PackProcess(spec, context) for spec in specs]
        for process in processes:
            cleanup.callback(_keep_stderr, run, process)
            cleanup.callback(process.stop)
            process.start()
            if process.pid is not None:
                run.pack_pids.append(process.pid)
        from .engine import open_session

        configs = [*options.policy_configs, *[None] * (len(specs) - len(options.policy_configs))]
        layers = [_layer(source) for source in configs]
        pool = ThreadPoolExecutor(max_workers=len(specs) + 2)
        cleanup.callback(pool.shutdown, wait=False, cancel_futures=True)
        futures = [
            pool.submit(open_session, process, context, layer, source)
            for process, (layer, source) in zip(processes, layers, strict=True)
        ]
        cleanup.callback(_close_sessions, futures)
        captured_future = pool.submit(capture.result)
        analysis_future = pool.submit(_analyze_as_registered, capture, futures)
        _first_failure([captured_future, analysis_future, *futures])
        captured, run.program_output = captured_future.result()
        sessions = [f.result() for f in futures]
        findings = analysis_future.result().finish(captured)
        run.report = _report(program, stack, options.mode, sessions, findings, captured)
        run.report = replace(run.report, locations=locations(captured, program.directory, root))
    return run


def _analyze_as_registered(capture: CaptureProcess, sessions: Sequence[Future[PackSession]]) -> Analysis:
    """Analyses each resource as the program registers it, once the packs are configured, as the engine does."""
    from .engine import Analysis

    analysis = Analysis([f.result() for f in sessions])
    while (resource := capture.registered.get()) is not None:
        analysis.add(resource)
    return analysis


def _first_failure(futures: Sequence[Future[Any]]) -> None:
    """Raises the first failure as soon as it happens, so that a broken pack does not wait for the program."""
    pending: Sequence[Future[Any]] = futures
    while pending:
        # Short waits: a signal caught by another thread runs its handler only when this thread wakes up.
        done, not_done = wait(pending, timeout=0.1, return_when=FIRST_EXCEPTION)
        if any(f.exception() is not None for f in done):
            break
        pending = list(not_done)
    for future in futures:
        if future.done() and future.exception() is not None:
            future.result()


def _close_sessions(futures: Sequence[Future[PackSession]]) -> None:
    for future in futures:
        if future.done() and not future.cancelled() and future.exception() is None:
            future.result().close()


def _keep_stderr(run: CheckRun, process: PackProcess) -> None:
    run.pack_stderr[str(process.spec.directory)] = process.stderr()


def _report(
    program: Program, stack: StackConfig, mode: str, sessions: list[PackSession], found: Findings, captured: Capture
) -> Report:
    resources = [r for r in found.resources if not r.default_provider and not r.external]
    return Report(
        project=program.name,
        stack=stack.name,
        mode=mode,
        packs=tuple(s.pack_info() for s in sessions),
        resources=len(resources),
        violations=sort_violations(found.violations),
        not_applicable=tuple(sorted(found.not_applicable, key=lambda n: (n.urn, n.policy, n.policy_pack, n.reason))),
        remediations=tuple(sorted(found.remediations, key=lambda r: (r.urn, r.policy, r.policy_pack))),
        program_file=_relative(program.main_file),
        warnings=(
            *stack.warnings,
            *(w for s in sessions for w in s.warnings),
            *(f"invoke '{token}' was answered with values the check invented from the SDK's result type; a "
              "verdict that depends on them may differ from a real deployment's" for token in captured.generic_invokes),
            *(f"{type_} '{name}' is a remote component: only its provider can create its children, so the check "
              "did not look inside it" for type_, name, _ in captured.remote_components),
        ),
        generic_invokes=captured.generic_invokes,
        remote_components=captured.remote_components,
    )


def sarif_root(options: CheckOptions, program: Program) -> Path:
    """--sarif-root, else the repository the program is in (the nearest directory above it with a .git), else the
    working directory."""
    if options.sarif_root is not None:
        if not options.sarif_root.is_dir():
            raise CheckError(f"--sarif-root {options.sarif_root}: not a directory")
        return options.sarif_root.resolve()
    directory = program.directory.resolve()
    return next((d for d in (directory, *directory.parents) if (d / ".git").exists()), Path.cwd().resolve())


def locations(captured: Capture, program_dir: Path, root: Path) -> dict[str, tuple[Location, ...]]:
    """Each resource's declaration, then those of the components it is in, innermost first."""
    by_urn = captured.by_urn()

    def location(urn: str) -> Location | None:
        source = by_urn[urn].source
        if source is None:
            return None
        path = (program_dir / source[0]).resolve()
        try:
            uri = path.relative_to(root).as_posix()
        except ValueError:
            uri = path.as_posix()
        return Location(source[0], source[1], uri, urn)

    found: dict[str, tuple[Location, ...]] = {}
    for resource in captured.resources:
        own = location(resource.urn)
        if own is None:
            continue
        chain = [own]
        parent = resource.parent
        while parent in by_urn and len(chain) < len(by_urn):
            declared = location(parent)
            if declared is not None:
                chain.append(declared)
            parent = by_urn[parent].parent
        found[resource.urn] = tuple(chain)
    return found


def _relative(path: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()
