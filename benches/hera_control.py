"""Drives the control actions with Hera's WorkflowsService against an Argo server.

    python hera_control.py URL TOKEN NAMESPACE

Prints `<action> <workflow> <phase before> -> <phase after>`; exits 1 when a call that
should work raised.
"""

import sys

from hera.workflows import WorkflowsService
from hera.workflows.models import (
    WorkflowResubmitRequest,
    WorkflowResumeRequest,
    WorkflowRetryRequest,
    WorkflowStopRequest,
    WorkflowSuspendRequest,
    WorkflowTerminateRequest,
)


def main() -> None:
    url, token, ns = sys.argv[1], sys.argv[2], sys.argv[3]
    ws = WorkflowsService(host=url, token=token, namespace=ns)
    failures = 0

    def names(phase, suspended=None):
        out = []
        for wf in ws.list_workflows(namespace=ns).items or []:
            if wf.status is None or wf.status.phase != phase:
                continue
            if suspended is not None and bool(wf.spec.suspend) != suspended:
                continue
            out.append(wf.metadata.name)
        return out

    def phase(name):
        wf = ws.get_workflow(name=name, namespace=ns)
        return wf.status.phase if wf.status else None

    def act(action, name, call):
        nonlocal failures
        before = phase(name)
        try:
            answer = call(name)
            print(f"{action} {name} {before} -> {phase(name)} (answer: {answer.metadata.name})")
        except Exception as e:  # Hera raises its own exception types per status
            failures += 1
            print(f"{action} {name} {before}: raised {type(e).__name__}: {e}")

    running = names("Running", suspended=False)
    act("suspend", running[0], lambda n: ws.suspend_workflow(n, WorkflowSuspendRequest(), namespace=ns))
    act("resume", running[0], lambda n: ws.resume_workflow(n, WorkflowResumeRequest(), namespace=ns))
    act("stop", running[0], lambda n: ws.stop_workflow(n, WorkflowStopRequest(message="stopped by Hera"), namespace=ns))
    act("terminate", running[1], lambda n: ws.terminate_workflow(n, WorkflowTerminateRequest(), namespace=ns))
    failed = names("Failed") + names("Error")
    act("retry", failed[0], lambda n: ws.retry_workflow(n, WorkflowRetryRequest(), namespace=ns))
    act("resubmit", names("Succeeded")[0], lambda n: ws.resubmit_workflow(n, WorkflowResubmitRequest(), namespace=ns))
    try:
        ws.retry_workflow(running[-1], WorkflowRetryRequest(), namespace=ns)
        print("retry of a running workflow was not refused")
        failures += 1
    except Exception as e:
        print(f"retry {running[-1]} Running: refused: {e}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
