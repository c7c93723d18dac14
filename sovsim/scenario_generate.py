"""Synthetic releases for benchmark scenarios (`generate:` in a scenario file).

Deterministic: release i depends on up to two earlier releases chosen from its index, so the graph
has depth and fan-out like a real kit without a seed. Pods are spread over Deployments, one
StatefulSet with a volume per release, and nothing slow, so the load is the object count.
"""

from __future__ import annotations

from sovsim.scenario_schema import Container, Release, Repository, VolumeClaim, Workload


def generate_releases(
    *, count: int, pods_per_release: int, repository: Repository, first_index: int = 0
) -> list[Release]:
    releases = []
    for i in range(count):
        n = first_index + i
        name = f"bp-synthetic-{n:03d}"
        short = name.removeprefix("bp-")
        deps = sorted({(i * 7 + 3) % i, (i * 13 + 5) % i} if i > 1 else ({0} if i == 1 else set()))
        sts_replicas = min(3, pods_per_release)
        deploy_replicas = max(pods_per_release - sts_replicas, 0)
        image = f"ghcr.io/openova-io/{short}:1.0.0"
        workloads = [
            Workload(
                kind="StatefulSet",
                name=f"{short}-db",
                replicas=sts_replicas,
                containers=(Container(name="db", image=image, ready_after=8.0),),
                volume_claims=(VolumeClaim(name="data"),),
            )
        ]
        if deploy_replicas:
            workloads.append(
                Workload(
                    kind="Deployment",
                    name=short,
                    replicas=deploy_replicas,
                    containers=(Container(name="app", image=image),),
                )
            )
        releases.append(
            Release(
                name=name,
                namespace="flux-system",
                target_namespace=f"synthetic-{n % 40:02d}",
                release_name=short,
                chart=name,
                version="1.0.0",
                repository=Repository(
                    name=name,
                    type=repository.type,
                    url=repository.url,
                    secret_ref=repository.secret_ref,
                ),
                depends_on=tuple(
                    ("flux-system", f"bp-synthetic-{first_index + d:03d}") for d in deps
                ),
                workloads=tuple(workloads),
            )
        )
    return releases
