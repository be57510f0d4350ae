"""`booth doctor`'s upload server check: reachable, speaks tus, and accepts this booth's token.

Through the sync agent's own client (booth.sync.tus), so the check sees what uploads will see:
the same URL, token, CA file and timeout. OPTIONS shows the server answers tus (servers
answer it without a token, as browsers' CORS preflights carry none); a HEAD of an upload that
does not exist then tests the token without creating anything: 404 means the request got past
authentication, 401 or 403 means the token is refused.
"""

from __future__ import annotations

from booth.config.errors import ConfigError
from booth.config.settings import Settings
from booth.doctor.checks import FAIL, PASS, WARN, Check
from booth.sync.config import sync_settings
from booth.sync.tus import Gone, Refused, Rejected, TusClient, TusError

PROBE_UPLOAD = "booth-doctor-probe"
"""The upload id asked for: no server has it."""
TOKEN_FIX = (
    "put this booth's upload token in [sync] token_file (ask the server's admin for a new one)"
)


def server_check(settings: Settings, timeout_seconds: float | None = None) -> Check:
    """OPTIONS and a HEAD with the token to `[sync] url`; warn when uploads are not set up.

    timeout_seconds: the longest each request may take (default: `[sync] timeout_seconds`).
    """
    try:
        sync = sync_settings(settings)
        token = sync.read_token() if sync.url else None
    except ConfigError as error:
        problems = "; ".join(str(p) for p in error.problems)
        return Check("server", FAIL, problems, "fix the [sync] settings (booth config check)")
    if not sync.url:
        return Check(
            "server",
            WARN,
            "no [sync] url: takes stay on this booth",
            "set [sync] url and token_file in the booth settings",
        )
    client = TusClient(
        sync.url,
        token,
        timeout_seconds=timeout_seconds or sync.timeout_seconds,
        ca_file=sync.ca_file,
    )
    try:
        info = client.server_info()
        try:
            client.offset(sync.url.rstrip("/") + "/" + PROBE_UPLOAD)
        except Gone:
            pass  # the answer we hoped for: past authentication, and no such upload
    except Refused as error:
        return Check("server", FAIL, str(error), TOKEN_FIX)
    except Rejected as error:
        return Check(
            "server",
            WARN,
            f"{error}: reachable, but whether it accepts the token is unknown",
            "check [sync] url: it must be the tus endpoint (like https://example.org/files/)",
        )
    except TusError as error:
        return Check(
            "server",
            FAIL,
            str(error),
            "check the network (ping the server), [sync] url, and that the server runs",
        )
    finally:
        client.close()
    tus = ", ".join(sorted(info.extensions)) or "core only"
    auth = "token accepted" if token else "no token sent (no [sync] token_file)"
    return Check("server", PASS, f"{sync.url} answers tus ({tus}); {auth}")
