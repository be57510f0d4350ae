"""`booth doctor`'s upload server check: reachable, speaks tus, and accepts this booth's token.

Through the sync agent's own client (booth.sync.tus), so the check sees what uploads will see:
the same URL, token, CA file and timeout. OPTIONS shows the server answers tus (servers
answer it without a token, as browsers' CORS preflights carry none); then a request for
something that does not exist tests the token without creating anything: 404 means the
request got past authentication, 401 or 403 means the token is refused. With `[sync] proof =
"receipt"` that is the receipt of a session no booth has (the receiver answers only its upload
URLs and receipts); with `proof = "upload"` a HEAD of an upload that does not exist, and the
check warns: a plain tus server's word is all the booth deletes on.
"""

from __future__ import annotations

from booth.config.errors import ConfigError
from booth.config.settings import Settings
from booth.doctor.checks import FAIL, PASS, WARN, Check
from booth.sync.config import sync_settings
from booth.sync.receipts import RECEIPT, fetch_receipt, session_url
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
        if sync.proof == RECEIPT:
            url = session_url(sync.url, "receipts", settings.booth_id, PROBE_UPLOAD)
            fetch_receipt(client, url)  # None: past authentication, and no such receipt
        else:
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
    if sync.proof != RECEIPT:
        return Check(
            "server",
            WARN,
            f"{sync.url} answers tus ({tus}); {auth}; deletions are unproven: [sync] proof = "
            '"upload" deletes a session on the server\'s word that it has every byte',
            "upload to a receiver that writes receipts (deploy/receiver) and set [sync] proof = "
            '"receipt"',
        )
    return Check("server", PASS, f"{sync.url} answers tus ({tus}); {auth}; deletes on receipts")
