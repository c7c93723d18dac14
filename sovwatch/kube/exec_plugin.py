"""Running a client-go exec credential plugin the way kubectl does, minus the terminal.

The `kubernetes` package's runner hands the plugin sovwatch's own stdin and tells it
`interactive: <stdout is a tty>`. Inside the TUI that lets a plugin that prompts (a password, an
MFA code, "press enter to open a browser") read the keystrokes meant for the UI, or hang waiting for
input that never comes. Here a plugin always runs non-interactively: stdin is /dev/null, it is
told `spec.interactive: false`, it runs in its own session (so it cannot open /dev/tty either), its
stdout and stderr are captured, and it is killed if it does not finish in time, with its whole
process group (children that keep its pipes open too), so it can neither hang sovwatch nor outlive
it. A plugin that declares `interactiveMode: Always` cannot work like that, so it is refused with advice instead.

`KUBERNETES_EXEC_INFO` carries the cluster (`spec.cluster`) when the kubeconfig sets
`provideClusterInfo: true`, exactly as client-go fills it in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass

from sovwatch import json_input

CLUSTER_CONFIG_EXTENSION = "client.authentication.k8s.io/exec"
"""The reserved cluster extension whose content client-go passes to the plugin as `spec.cluster.config`."""


class ExecPluginError(Exception):
    """The plugin could not give a credential; `str()` is the tail of one line ("was not found: …")."""


@dataclass(frozen=True, slots=True)
class ExecConfig:
    """`users[].user.exec` of a kubeconfig."""

    api_version: str
    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    interactive_mode: str = "IfAvailable"
    provide_cluster_info: bool = False
    install_hint: str = ""

    @classmethod
    def from_kubeconfig(cls, node: Mapping) -> ExecConfig:
        """From the kubeconfig's exec mapping; raises `ExecPluginError` if it is unusable."""
        command = node.get("command")
        api_version = node.get("apiVersion")
        if not command or not api_version:
            missing = "command" if not command else "apiVersion"
            raise ExecPluginError(f"is misconfigured: users[].user.exec has no {missing}")
        return cls(
            api_version=str(api_version),
            command=str(command),
            args=tuple(str(a) for a in node.get("args") or ()),
            env=tuple((str(e["name"]), str(e["value"])) for e in node.get("env") or ()),
            # Required for v1 by kubectl; v1beta1 defaults to IfAvailable, and so do we.
            interactive_mode=str(node.get("interactiveMode") or "IfAvailable"),
            provide_cluster_info=bool(node.get("provideClusterInfo")),
            install_hint=" ".join(str(node.get("installHint") or "").split()),
        )


def exec_info(config: ExecConfig, cluster: Mapping | None) -> dict:
    """The `KUBERNETES_EXEC_INFO` document: never interactive, the cluster only if asked for."""
    spec: dict = {"interactive": False}
    if config.provide_cluster_info and cluster is not None:
        spec["cluster"] = dict(cluster)
    return {"apiVersion": config.api_version, "kind": "ExecCredential", "spec": spec}


async def run(
    config: ExecConfig,
    *,
    cluster: Mapping | None,
    environ: Mapping[str, str],
    within: float,
) -> dict:
    """Run the plugin once and return its ExecCredential `status` (token or certificate).

    `cluster` is the `spec.cluster` content (used only with `provideClusterInfo: true`);
    `environ` is the environment the plugin inherits (the kubeconfig's `env` entries and
    `KUBERNETES_EXEC_INFO` are added to it). Raises `ExecPluginError`.
    """
    if config.interactive_mode == "Always":
        raise ExecPluginError(
            "needs an interactive terminal (interactiveMode: Always), which sovwatch cannot give "
            "it: run the plugin once in a shell (e.g. `kubectl get ns`) to cache credentials, "
            "then start sovwatch again"
        )
    env = {**environ, **dict(config.env)}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(exec_info(config, cluster))
    try:
        process = await asyncio.create_subprocess_exec(
            config.command,
            *config.args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            # No controlling terminal: a plugin cannot prompt on /dev/tty behind the TUI's back.
            start_new_session=True,
        )
    except FileNotFoundError as e:
        hint = config.install_hint or "install it or fix users[].user.exec"
        raise ExecPluginError(f"was not found: {hint}") from e
    except PermissionError as e:
        raise ExecPluginError("is not executable") from e
    try:
        async with asyncio.timeout(within):
            stdout, stderr = await process.communicate()
    except TimeoutError as e:
        raise ExecPluginError(
            f"did not finish within {within:g} s (is it waiting for a login, or did it leave a "
            "process holding its output open?): run it once in a shell to log in, then start "
            "sovwatch again"
        ) from e
    finally:
        await _end(process)
    if process.returncode != 0:
        said = " ".join(stderr.decode("utf-8", "replace").split())[:300]
        raise ExecPluginError(
            f"failed with exit status {process.returncode}"
            + (f": {said}" if said else "")
            + "; run it by hand to see why (are you logged in?)"
        )
    return _status(stdout, config.api_version)


REAP_WITHIN = 5.0
"""Seconds to wait for a killed plugin's pipes to close before giving up on them."""


async def _end(process: asyncio.subprocess.Process) -> None:
    """Leave nothing of the plugin behind: its process group (it leads its own session, so the
    group holds its children too, e.g. a `sleep 1000 &` holding the pipes open) is killed, if
    anything is left of it; the wait for the pipes to close is bounded."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        async with asyncio.timeout(REAP_WITHIN):
            for pipe in (process.stdout, process.stderr):
                if pipe is not None:
                    await pipe.read()  # to EOF: nothing holds the pipe any more
            await process.wait()
    except TimeoutError:
        # A child that left the plugin's session still holds the pipes: stop reading them (asyncio
        # has no public way; left open, they would be closed at exit on a closed event loop).
        process._transport.close()  # noqa: SLF001


def _status(stdout: bytes, api_version: str) -> dict:
    try:
        answer = json_input.loads(stdout)
    except ValueError as e:
        raise ExecPluginError(
            "printed something that is not an ExecCredential (not JSON); "
            "run it by hand to see what it prints"
        ) from e
    if not isinstance(answer, dict) or not isinstance(answer.get("status"), dict):
        raise ExecPluginError(
            "printed an ExecCredential without a status; run it by hand to see what it prints"
        )
    if answer.get("apiVersion") != api_version:
        raise ExecPluginError(
            f"answered in {answer.get('apiVersion')!r}, but the kubeconfig asks for "
            f"{api_version!r}: fix users[].user.exec.apiVersion"
        )
    status = answer["status"]
    if not status.get("token") and not (
        status.get("clientCertificateData") and status.get("clientKeyData")
    ):
        raise ExecPluginError("gave neither a token nor a client certificate and key")
    return status


def plugin_environment(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    """The environment a plugin inherits: the one given, else sovwatch's own (a plugin needs
    PATH, HOME and its cloud SDK's variables, as under kubectl)."""
    return os.environ if environ is None else environ
