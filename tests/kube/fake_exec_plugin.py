"""A client-go exec credential plugin for tests: `python fake_exec_plugin.py STATE_DIR MODE [LIFETIME]`.

Each run increments STATE_DIR/runs and answers in the apiVersion that KUBERNETES_EXEC_INFO asks for:
- `token`: `exec-token-<run>` expiring LIFETIME seconds from now (fractional seconds allowed);
- `cert`:  the client certificate and key found in STATE_DIR/client.crt and client.key;
- `fail`:  a login error on stderr and exit status 1, as a real plugin does when logged out.
It always writes a line to stderr, which must never reach the terminal.
"""

import datetime
import json
import os
import sys
from pathlib import Path

state = Path(sys.argv[1])
mode = sys.argv[2]
lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 3600.0
counter = state / "runs"
run = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(run))
print(f"fake-exec-plugin: run {run} ({mode})", file=sys.stderr)
if mode == "fail":
    print("error: not logged in: run `sovereign login` first", file=sys.stderr)
    sys.exit(1)
api_version = json.loads(os.environ["KUBERNETES_EXEC_INFO"])["apiVersion"]
if mode == "token":
    expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=lifetime)
    status = {
        "token": f"exec-token-{run}",
        "expirationTimestamp": expiry.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
else:
    status = {
        "clientCertificateData": (state / "client.crt").read_text(),
        "clientKeyData": (state / "client.key").read_text(),
    }
print(json.dumps({"apiVersion": api_version, "kind": "ExecCredential", "status": status}))
