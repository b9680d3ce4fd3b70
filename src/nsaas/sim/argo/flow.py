"""Control flow between templates: DAG tasks, step groups, fan-out, ``when`` and retries.

* DAG: a task starts once all its ``dependencies`` (or ``depends: "a && b"``) have Succeeded or
  been Skipped; independent tasks run concurrently. With ``failFast`` (the default) no new task
  starts after a failure; otherwise tasks whose dependencies failed are recorded as Omitted.
* Steps: groups run one after another, the steps of a group concurrently.
* Fan-out: ``withParam`` (a JSON list after substitution) or ``withItems`` turn one task into a
  TaskGroup node with one child per item; ``{{item}}`` resolves in the task's fields.
* ``when`` is evaluated per item after substitution; false makes the node Skipped.
* ``retryStrategy``: ``limit``, ``retryPolicy`` (OnFailure, the default, retries Failed nodes;
  OnError and OnTransientError retry Error nodes; Always both), ``backoff`` ``duration`` /
  ``factor`` (default 1) / ``maxDuration``; every wait is multiplied by the run's time scale.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nsaas.sim.argo import expressions, nodes

if TYPE_CHECKING:
    from nsaas.sim.argo.run import WorkflowRun

Template = Mapping[str, Any]


def items_of(task: Mapping[str, Any], scope: Mapping[str, Any]) -> list[Any] | None:
    """The fan-out items of a task (``withParam`` JSON list or ``withItems``), or None."""
    if "withParam" in task:
        raw = expressions.substitute(str(task["withParam"]), scope)
        try:
            items = json.loads(raw)
        except ValueError as exc:
            raise expressions.ExpressionError(
                f"withParam value could not be parsed as a JSON list: {raw[:200]}"
            ) from exc
        if not isinstance(items, list):
            raise expressions.ExpressionError("withParam value is not a JSON list")
        return items
    if "withItems" in task:
        return list(task["withItems"] or [])
    return None


def _dependencies(task: Mapping[str, Any]) -> list[str]:
    if "depends" in task:
        names = []
        for term in str(task["depends"]).split("&&"):
            name = term.strip().removesuffix(".Succeeded")
            if not name or any(c in name for c in "|!().") or " " in name:
                raise expressions.ExpressionError(
                    f"only 'a && b' depends expressions are simulated: {task['depends']!r}"
                )
            names.append(name)
        return names
    return [str(d) for d in task.get("dependencies") or []]


async def run_task(
    run: WorkflowRun, task: Mapping[str, Any], node_name: str, scope: Mapping[str, Any], parent: nodes.Node
) -> nodes.Node:
    """One DAG task or step: expansion, ``when``, arguments, then the called template."""
    display = str(task.get("name"))
    template = run.template_for(task)
    try:
        items = items_of(task, scope)
    except expressions.ExpressionError as exc:
        return run.done(run.new_node(node_name, display, "Pod", template, parent), "Error", str(exc))
    if items is None:
        return await _call(run, task, template, node_name, display, scope, parent)
    group = run.new_node(node_name, display, "TaskGroup", template, parent)
    children = [
        _call(
            run,
            task,
            template,
            f"{node_name}({i}:{_label(item)})",
            f"{display}({i}:{_label(item)})",
            {**scope, "item": item},
            group,
        )
        for i, item in enumerate(items)
    ]
    results = await asyncio.gather(*children)
    failed = [r for r in results if not r.ok]
    return run.done(group, failed[0].phase if failed else "Succeeded", failed[0].message if failed else "")


def _label(item: Any) -> str:
    text = expressions.render(item)
    return text if len(text) <= 40 else text[:37] + "..."


async def _call(
    run: WorkflowRun,
    task: Mapping[str, Any],
    template: str,
    node_name: str,
    display: str,
    scope: Mapping[str, Any],
    parent: nodes.Node,
) -> nodes.Node:
    try:
        condition = task.get("when")
        if condition and not expressions.when(expressions.substitute(str(condition), scope)):
            node = run.new_node(node_name, display, "Skipped", template, parent)
            return run.done(node, "Skipped", f"when '{condition}' evaluated false")
        params = (task.get("arguments") or {}).get("parameters") or []
        args = {
            str(p["name"]): expressions.render(expressions.substitute_all(p.get("value", ""), scope)) for p in params
        }
    except expressions.ExpressionError as exc:
        return run.done(run.new_node(node_name, display, "Pod", template, parent), "Error", str(exc))
    return await run.execute(template, node_name, args=args, parent=parent, display=display)


async def dag(run: WorkflowRun, template: Template, node: nodes.Node, scope: Mapping[str, Any]) -> nodes.Node:
    spec = template["dag"] or {}
    tasks = {str(t.get("name")): t for t in spec.get("tasks") or []}
    fail_fast = spec.get("failFast", True) is not False
    try:
        needs = {name: _dependencies(task) for name, task in tasks.items()}
    except expressions.ExpressionError as exc:
        return run.done(node, "Error", str(exc))
    finished: dict[str, str] = {}
    reports: asyncio.Queue[tuple[str, nodes.Node]] = asyncio.Queue()
    started: set[str] = set()
    failed = False

    async def report(name: str) -> None:
        result = await run_task(run, tasks[name], f"{node.name}.{name}", scope, node)
        reports.put_nowait((name, result))

    async with asyncio.TaskGroup() as group:
        while True:
            for name in [n for n in tasks if n not in started and all(d in finished for d in needs[n])]:
                if failed and fail_fast:
                    break
                started.add(name)
                if all(finished[d] in nodes.OK for d in needs[name]):
                    group.create_task(report(name))
                else:
                    omitted = run.new_node(f"{node.name}.{name}", name, "Skipped", run.template_for(tasks[name]), node)
                    reports.put_nowait((name, run.done(omitted, "Omitted", "a dependency did not succeed")))
            if len(finished) == len(started):
                break
            name, result = await reports.get()
            finished[name] = result.phase
            failed = failed or result.phase not in nodes.OK
    missing = [n for n in tasks if n not in started]
    if missing and not failed:
        return run.done(node, "Error", f"tasks with unknown or circular dependencies: {', '.join(missing)}")
    return run.done(node, "Failed" if failed else "Succeeded", "")


async def steps(run: WorkflowRun, template: Template, node: nodes.Node, scope: Mapping[str, Any]) -> nodes.Node:
    for index, group_steps in enumerate(template["steps"] or []):
        group = run.new_node(f"{node.name}[{index}]", f"[{index}]", "StepGroup", str(template.get("name")), node)
        results = await asyncio.gather(
            *(run_task(run, step, f"{group.name}.{step.get('name')}", scope, group) for step in group_steps or [])
        )
        failed = [r for r in results if not r.ok]
        run.done(group, failed[0].phase if failed else "Succeeded", failed[0].message if failed else "")
        if failed:
            return run.done(node, "Failed", failed[0].message)
    return run.done(node, "Succeeded")


def _retryable(policy: str, phase: str) -> bool:
    if policy == "Always":
        return True
    if policy in ("OnError", "OnTransientError"):
        return phase == "Error"
    return phase == "Failed"


async def with_retries(
    run: WorkflowRun,
    template: Template,
    node_name: str,
    display: str,
    scope: dict[str, Any],
    parent: nodes.Node | None,
) -> nodes.Node:
    strategy = template["retryStrategy"] or {}
    node = run.new_node(node_name, display, "Retry", str(template.get("name")), parent)
    try:
        limit = int(expressions.substitute(str(strategy.get("limit", 0)), scope))
        backoff = strategy.get("backoff") or {}
        delay = expressions.duration_seconds(backoff["duration"]) if backoff.get("duration") else 0.0
        factor = float(backoff.get("factor", 1))
        cap = expressions.duration_seconds(backoff["maxDuration"]) if backoff.get("maxDuration") else None
    except (ValueError, expressions.ExpressionError) as exc:
        return run.done(node, "Error", f"invalid retryStrategy: {exc}")
    policy = str(strategy.get("retryPolicy", "OnFailure"))
    for attempt in range(limit + 1):
        child = await run.execute_once(template, f"{node_name}({attempt})", f"{display}({attempt})", scope, node)
        if child.ok:
            return run.done(node, child.phase)
        if not _retryable(policy, child.phase):
            return run.done(node, child.phase, child.message)
        if attempt == limit:
            return run.done(node, child.phase, f"No more retries left: {child.message}")
        wait = delay * factor**attempt
        await asyncio.sleep(min(wait, cap) * run.time_scale if cap is not None else wait * run.time_scale)
    return run.done(node, "Error", "retry loop ended unexpectedly")
