"""The naive baseline for the memory benchmark: the plain `kubernetes` client listing whole
objects (pods, HelmReleases, Events) and keeping them, as a simple watcher script would.

    python -m bench.naive_client --kubeconfig K

Prints `listed <pods> <releases> <events>` when everything is in memory, then waits for SIGTERM
so the benchmark can read its peak RSS.
"""

from __future__ import annotations

import argparse
import signal

from kubernetes import client, config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kubeconfig", required=True)
    args = parser.parse_args()
    api = config.new_client_from_config(config_file=args.kubeconfig)
    core = client.CoreV1Api(api)
    custom = client.CustomObjectsApi(api)
    pods = core.list_pod_for_all_namespaces()
    events = core.list_event_for_all_namespaces()
    releases = custom.list_cluster_custom_object("helm.toolkit.fluxcd.io", "v2", "helmreleases")
    kept = (pods, events, releases)
    print(f"listed {len(pods.items)} {len(releases['items'])} {len(events.items)}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    del kept


if __name__ == "__main__":
    main()
