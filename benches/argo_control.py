"""Drives the control actions with the official Argo Workflows Python client
(`argo-workflows` on PyPI) against an Argo server, with `_check_return_type=False`, as
its users must against any real server: argo-server sends `"finishedAt": null` for a
running workflow, which the client's models refuse (argoproj/argo-workflows#9122, open).

    python argo_control.py URL TOKEN NAMESPACE

For each action it picks a workflow in a phase the action accepts, calls it, and prints
`<action> <workflow> <phase before> -> <phase after>`; a refused call is printed with the
server's status and message. Exits 1 when any call that should work raised.
"""

import sys

import argo_workflows
from argo_workflows.api import workflow_service_api
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_resubmit_request import (
    IoArgoprojWorkflowV1alpha1WorkflowResubmitRequest,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_resume_request import (
    IoArgoprojWorkflowV1alpha1WorkflowResumeRequest,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_retry_request import (
    IoArgoprojWorkflowV1alpha1WorkflowRetryRequest,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_stop_request import (
    IoArgoprojWorkflowV1alpha1WorkflowStopRequest,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_suspend_request import (
    IoArgoprojWorkflowV1alpha1WorkflowSuspendRequest,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_terminate_request import (
    IoArgoprojWorkflowV1alpha1WorkflowTerminateRequest,
)


def main() -> None:
    url, token, ns = sys.argv[1], sys.argv[2], sys.argv[3]
    config = argo_workflows.Configuration(
        host=url,
        api_key={"BearerToken": token},
        api_key_prefix={"BearerToken": "Bearer"},
    )
    failures = 0
    with argo_workflows.ApiClient(config) as client:
        api = workflow_service_api.WorkflowServiceApi(client)

        def workflows(phase, suspended=None):
            listed = api.list_workflows(ns, _check_return_type=False)
            out = []
            for wf in listed.items or []:
                status = wf.get("status") or {}
                spec = wf.get("spec") or {}
                if status.get("phase") != phase:
                    continue
                if suspended is not None and bool(spec.get("suspend")) != suspended:
                    continue
                out.append(wf["metadata"]["name"])
            return out

        def phase(name):
            wf = api.get_workflow(ns, name, _check_return_type=False)
            return (wf.get("status") or {}).get("phase")

        def act(action, name, call):
            nonlocal failures
            before = phase(name)
            try:
                result = call(name)
                print(f"{action} {name} {before} -> {phase(name)} (answer: {result['metadata']['name']})")
            except argo_workflows.ApiException as e:
                failures += 1
                print(f"{action} {name} {before}: refused {e.status} {e.body}")

        running = [n for n in workflows("Running", suspended=False)]
        act("suspend", running[0], lambda n: api.suspend_workflow(ns, n, IoArgoprojWorkflowV1alpha1WorkflowSuspendRequest(), _check_return_type=False))
        act("resume", running[0], lambda n: api.resume_workflow(ns, n, IoArgoprojWorkflowV1alpha1WorkflowResumeRequest(), _check_return_type=False))
        act("stop", running[0], lambda n: api.stop_workflow(ns, n, IoArgoprojWorkflowV1alpha1WorkflowStopRequest(message="stopped by the official client"), _check_return_type=False))
        if len(running) > 1:
            act("terminate", running[1], lambda n: api.terminate_workflow(ns, n, IoArgoprojWorkflowV1alpha1WorkflowTerminateRequest(), _check_return_type=False))
        failed = workflows("Failed") + workflows("Error")
        if failed:
            act("retry", failed[0], lambda n: api.retry_workflow(ns, n, IoArgoprojWorkflowV1alpha1WorkflowRetryRequest(), _check_return_type=False))
        done = workflows("Succeeded")
        act("resubmit", done[0], lambda n: api.resubmit_workflow(ns, n, IoArgoprojWorkflowV1alpha1WorkflowResubmitRequest(), _check_return_type=False))
        # A refusal is an ApiException with the server's words: retrying a running workflow.
        try:
            api.retry_workflow(ns, running[-1], IoArgoprojWorkflowV1alpha1WorkflowRetryRequest(), _check_return_type=False)
            print("retry of a running workflow was not refused")
            failures += 1
        except argo_workflows.ApiException as e:
            print(f"retry {running[-1]} Running: refused {e.status} {e.body.strip()}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
