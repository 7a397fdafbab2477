"""Lists every workflow of a namespace with the official Argo Workflows Python client
(`argo-workflows` on PyPI), for `benches/argo_list.rs` to compare with flightdeck.

    python argo_list.py URL TOKEN NAMESPACE RUNS

Prints one line per run: `<seconds> <workflows>`. Both ways a user would call it are timed
by the caller: this script lists whole workflows, as `list_workflows` does by default.
"""

import sys
import time

import argo_workflows
from argo_workflows.api import workflow_service_api


def main() -> None:
    url, token, namespace, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    config = argo_workflows.Configuration(
        host=url,
        api_key={"BearerToken": token},
        api_key_prefix={"BearerToken": "Bearer"},
    )
    for _ in range(runs):
        started = time.perf_counter()
        with argo_workflows.ApiClient(config) as client:
            api = workflow_service_api.WorkflowServiceApi(client)
            listed = api.list_workflows(namespace, _check_return_type=False)
        elapsed = time.perf_counter() - started
        print(f"{elapsed:.4f} {len(listed.items or [])}", flush=True)


if __name__ == "__main__":
    main()
