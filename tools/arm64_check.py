"""`make arm64-check`: deploy/install.sh on an emulated arm64 Debian 12, as on a Raspberry Pi.

    sudo python3 tools/arm64_check.py [--work /var/tmp/booth-arm64-check] [--reuse-base]

1. Builds an arm64 Debian 12 (bookworm) root with debootstrap, run by qemu-user-static through
   binfmt_misc (both from Debian's packages, installed when missing). The Debian mirror is read
   from this machine's apt sources at run time (/etc/apt/sources.list and sources.list.d), so no
   host is written into the repository; the root gets the same bookworm entries.
2. Copies this source tree (its files known to git, committed or not) into the root, with a
   Raspberry Pi OS style /boot/firmware, and runs `deploy/install.sh --force --without-pi-archive`
   there: everything but the packages of the Raspberry Pi archive (python3-picamera2 and the
   libcamera it brings), which Debian does not have. install.sh says which ones it skipped.
3. Checks that the pygame in the installed venv loads an SDL with the KMSDRM video driver (the
   kiosk draws on the console through it), and imports every runtime dependency.
4. Runs the hardware-free tests under emulation with the installed venv (plus pytest), except
   the ones that need the development tools (ansible, shellcheck, the tus server's Node.js).

Each step runs in its own mount namespace (unshare), so /proc and /dev inside the root vanish
with it and nothing stays mounted on failure. /proc is mounted read-only: nothing run inside can
change this machine's kernel settings. Prints the time of each step and writes result.json in
the work directory. Heavy (minutes of emulated CPU): run it niced, outside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SUITE = "bookworm"
HOST_TOOLS = {"debootstrap": "debootstrap", "qemu-aarch64-static": "qemu-user-static"}
# In the base root besides minbase: what Raspberry Pi OS Lite has and install.sh relies on.
BASE_PACKAGES = ["systemd", "systemd-sysv", "ca-certificates", "python3", "sudo"]
SRC_IN_ROOT = "/opt/booth/src/arm64-check"
DOCTOR_TUS_TEST = (
    "tests/test_doctor_checks.py::test_the_server_accepts_the_right_token_and_refuses_a_wrong_one"
)
# Tests left out under emulation, each for a tool the booth does not have (dev extras only).
NOT_ON_A_BOOTH = {
    "tests/test_deploy.py": "shellcheck and systemd-analyze of the development machine",
    "tests/test_deploy_ansible.py": "ansible (dev extras)",
    "tests/test_deploy_hardware.py": "tests install.sh on a fake root, not the booth",
    "tests/test_tus_server.py": "the tus server runs on Node.js (dev extras)",
    "tests/test_deploy_fleet.py": "tests install.sh on a fake root, not the booth",
    "tests/test_ansible_codes.py": "ansible (dev extras)",
    "tests/test_prometheus_rules.py": "promtool and node_exporter of the development machine",
    "tests/test_receiver.py": "the receiver runs on Node.js with Swift (dev extras)",
    "tests/test_receiver_deploy.py": "the receiver's unit and npm pins (development machine)",
    "tests/test_stolen_card.py": "uploads to the tus server on Node.js (dev extras)",
    "tests/test_forget.py": "uploads to the tus server on Node.js (dev extras)",
    **{
        f"tests/{path.name}": "the upload tests' tus server runs on Node.js (dev extras)"
        for path in sorted((ROOT / "tests").glob("test_sync_*.py"))
    },
    "tests/test_demo.py": "the demo runs the tus server (Node.js, dev extras)",
    "tests/test_arm64_check.py": "tests this script on the host",
    "tests/test_constraints.py": "resolves the constraints with pip on the host",
    "tests/test_time_limits.py": "checks pytest-timeout's own behaviour, not the booth",
    "tests/test_seal_sandbox.py": "strace and systemd-analyze of the development machine",
    "tests/test_ui_i18n.py::test_compiled_catalog_is_up_to_date_with_its_source": (
        "msgfmt (gettext) of the development machine"
    ),
    DOCTOR_TUS_TEST: "the tus server runs on Node.js (dev extras)",
}


@dataclass(frozen=True)
class AptSource:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def _one_line_entries(text: str) -> list[AptSource]:
    """`deb [options] URI SUITE COMPONENT...` lines of a .list file (deb-src is skipped)."""
    found = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        line = re.sub(r"\[[^\]]*\]", " ", line)
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "deb":
            found.append(AptSource(parts[1].rstrip("/"), (parts[2],), tuple(parts[3:])))
    return found


def _deb822_entries(text: str) -> list[AptSource]:
    """The stanzas of a .sources file (deb822) of type deb and not disabled."""
    found = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = ""
        for raw in stanza.splitlines():
            if raw.startswith("#") or not raw.strip():
                continue
            if raw[0] in " \t" and key:
                fields[key] += " " + raw.strip()
            elif ":" in raw:
                key, value = raw.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(fields.get("suites", "").split())
        components = tuple(fields.get("components", "").split())
        for uri in fields.get("uris", "").split():
            found.append(AptSource(uri.rstrip("/"), suites, components))
    return found


def apt_sources(etc_apt: Path = Path("/etc/apt")) -> list[AptSource]:
    """Every `deb` source apt reads on this machine (files apt ignores are ignored)."""
    found = []
    main_list = etc_apt / "sources.list"
    if main_list.is_file():
        found += _one_line_entries(main_list.read_text(errors="replace"))
    parts = etc_apt / "sources.list.d"
    for path in sorted(parts.glob("*")) if parts.is_dir() else []:
        if path.suffix == ".list":
            found += _one_line_entries(path.read_text(errors="replace"))
        elif path.suffix == ".sources":
            found += _deb822_entries(path.read_text(errors="replace"))
    return found


def debian_sources(sources: list[AptSource], suite: str = SUITE) -> list[AptSource]:
    """The sources of Debian `suite` itself and its -updates/-security, main component only."""
    kept = []
    for source in sources:
        suites = tuple(s for s in source.suites if s == suite or s.startswith(f"{suite}-"))
        if suites and "main" in source.components:
            kept.append(AptSource(source.uri, suites, ("main",)))
    return kept


def mirror(sources: list[AptSource], suite: str = SUITE) -> str:
    """The URI debootstrap fetches `suite` from: the first source that carries it."""
    for source in debian_sources(sources, suite):
        if suite in source.suites:
            return source.uri
    raise SystemExit(
        f"arm64-check: no apt source of this machine carries Debian {suite} main "
        "(/etc/apt/sources.list, /etc/apt/sources.list.d): add one, or run it elsewhere."
    )


def sources_list(sources: list[AptSource]) -> str:
    """The root's /etc/apt/sources.list: the machine's own Debian entries, one per line."""
    lines = [f"deb {s.uri} {suite} {' '.join(s.components)}" for s in sources for suite in s.suites]
    return "# Written by tools/arm64_check.py from the building machine's apt sources.\n" + (
        "\n".join(lines) + "\n"
    )


# SDL's video drivers as the pygame in the venv loads them: the SDL library comes from the maps
# of this very process (the wheel's bundled copy or the system's libSDL2), asked through ctypes.
SDL_DRIVERS = r"""
import ctypes, json, re
import pygame
maps = open('/proc/self/maps').read()
paths = sorted({m.group(1) for m in re.finditer(r'(/\S*/libSDL2-2[^/\s]*)', maps)})
sdl = ctypes.CDLL(paths[0])
sdl.SDL_GetVideoDriver.restype = ctypes.c_char_p
drivers = [sdl.SDL_GetVideoDriver(i).decode() for i in range(sdl.SDL_GetNumVideoDrivers())]
print(json.dumps({"pygame": pygame.version.ver, "sdl": ".".join(map(str, pygame.get_sdl_version())),
                  "library": paths, "drivers": drivers}))
"""

RUNTIME_IMPORTS = r"""
import importlib.metadata as md, json
import alsaaudio, av, gpiozero, numpy, pygame, systemd.daemon, systemd.journal
import booth.cli.main
names = ["av", "numpy", "pygame", "gpiozero", "pyalsaaudio", "systemd-python", "booth"]
found = {}
for name in names:
    try:
        found[name] = md.version(name)
    except md.PackageNotFoundError:
        found[name] = None
found["av_file"] = av.__file__
found["numpy_file"] = numpy.__file__
found["systemd_file"] = systemd.daemon.__file__
print(json.dumps(found))
"""


def last_json(out: str) -> dict[str, Any]:
    """The last line of a script's output that is a JSON object (warnings come on other lines)."""
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise StepFailed(f"no result in:\n{out[-2000:]}")
    return dict(json.loads(lines[-1]))


class Check:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.root = work / "root"
        self.base = work / "base.tar"
        self.steps: list[dict[str, object]] = []
        self.env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/root",
            "LANG": "C.UTF-8",
            "DEBIAN_FRONTEND": "noninteractive",
            # The host's certificate bundle, copied in: the registries are reached through
            # this machine's own certificate chain.
            "PIP_CERT": "/etc/booth-check/ca.crt",
            "SSL_CERT_FILE": "/etc/booth-check/ca.crt",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            # systemctl enables units offline and ignores daemon-reload and restarts, as in
            # an image being built (systemd's own switch for that).
            "SYSTEMD_OFFLINE": "1",
            "PYGAME_HIDE_SUPPORT_PROMPT": "1",
            "PIP_DEFAULT_TIMEOUT": os.environ.get("PIP_DEFAULT_TIMEOUT", "120"),
        }
        for name in ("PIP_INDEX_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            if os.environ.get(name):
                self.env[name] = os.environ[name]

    def step(self, name: str) -> _Step:
        return _Step(self, name)

    def inside(self, script: str, timeout: float = 7200, check: bool = True) -> str:
        """Runs a shell script in the root (own mount namespace, read-only /proc); its output."""
        root = str(self.root)
        mounts = (
            f"mount -t proc -o ro,nosuid,nodev,noexec proc {root}/proc && "
            f"mount --rbind /dev {root}/dev && "
            f"mount -t tmpfs -o mode=1777 tmpfs {root}/tmp && "
            f'exec chroot {root} /bin/bash -euo pipefail -c "$0"'
        )
        result = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", mounts, script],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        out = result.stdout + result.stderr
        log = self.work / "log.txt"
        with log.open("a") as f:
            f.write(f"\n$ {script}\n{out}\n[exit {result.returncode}]\n")
        if check and result.returncode != 0:
            tail = "\n".join(out.splitlines()[-40:])
            raise StepFailed(f"exit {result.returncode} in the root:\n{tail}")
        return out


class StepFailed(Exception):
    pass


class _Skip(Exception):
    """Leaves a step out (--installed): recorded as done by an earlier run."""


class _Step:
    def __init__(self, check: Check, name: str) -> None:
        self.check, self.name = check, name
        self.record: dict[str, object] = {"step": name}

    def __enter__(self) -> dict[str, object]:
        print(f"==> {self.name}", flush=True)
        self.start = time.monotonic()
        return self.record

    def __exit__(self, kind: object, error: object, tb: object) -> bool:
        if isinstance(error, _Skip):
            self.record["ok"] = True
            self.check.steps.append(self.record)
            print(f"    skipped: {self.record.get('reused')}", flush=True)
            return True
        seconds = round(time.monotonic() - self.start, 1)
        self.record["seconds"] = seconds
        self.record.setdefault("ok", error is None)
        if error is not None:
            self.record["error"] = str(error)
        self.check.steps.append(self.record)
        state = "ok" if self.record["ok"] else "FAILED"
        print(f"    {state} in {seconds:.0f} s", flush=True)
        return False


def host_setup() -> None:
    """debootstrap and qemu-user-static from Debian, and aarch64 binaries run through binfmt."""
    missing = [pkg for tool, pkg in HOST_TOOLS.items() if shutil.which(tool) is None]
    if missing:
        print(f"    apt-get install {' '.join(missing)} binfmt-support", flush=True)
        subprocess.run(["apt-get", "update", "-q"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
            + ["binfmt-support"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "register").exists():
        subprocess.run(["mount", "binfmt_misc", "-t", "binfmt_misc", str(binfmt)], check=True)
    if not (binfmt / "qemu-aarch64").exists():
        subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], check=True)


def unmount_under(root: Path) -> None:
    """Unmounts whatever an interrupted run (debootstrap's own /proc) left mounted in the root,
    deepest first, so that removing the root never reaches into this machine's /proc or /sys."""
    prefix = f"{root}/"
    mounted = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for point in sorted((m for m in mounted if m.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "--lazy", point], check=True)


def source_files() -> list[str]:
    """This source tree's files as git knows them (tracked and new, not ignored)."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def run(
    work: Path, reuse_base: bool, installed: bool = False, tests: tuple[str, ...] = ("tests",)
) -> dict[str, object]:
    check = Check(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / "log.txt").write_text("")
    started = time.monotonic()
    result: dict[str, object] = {"ok": False, "steps": check.steps}
    try:
        with check.step("host: debootstrap, qemu-user-static, binfmt_misc"):
            host_setup()
        sources = debian_sources(apt_sources())
        if installed and not (check.root / "opt/booth/current").is_symlink():
            raise StepFailed(f"--installed: no installed release in {check.root}")
        with check.step("arm64 Debian 12 root (debootstrap)") as rec:
            if installed:
                rec["reused"] = f"{check.root}, installed by an earlier run (--installed)"
                raise _Skip
            unmount_under(check.root)
            if check.root.exists():
                shutil.rmtree(check.root)
            if reuse_base and check.base.exists():
                rec["reused"] = str(check.base)
                check.root.mkdir()
                subprocess.run(["tar", "-xpf", str(check.base), "-C", str(check.root)], check=True)
            else:
                boot = subprocess.run(
                    [
                        "debootstrap",
                        "--arch=arm64",
                        "--variant=minbase",
                        f"--include={','.join(BASE_PACKAGES)}",
                        SUITE,
                        str(check.root),
                        mirror(sources),
                    ],
                    capture_output=True,
                    text=True,
                )
                (work / "debootstrap.log").write_text(boot.stdout + boot.stderr)
                if boot.returncode != 0:
                    raise StepFailed("debootstrap failed: see debootstrap.log")
                (check.root / "etc/apt/sources.list").write_text(sources_list(sources))
                subprocess.run(
                    ["tar", "-cpf", str(check.base), "-C", str(check.root), "."], check=True
                )
        with check.step("Raspberry Pi OS look-alike: boot files, certificates, source tree"):
            prepare_root(check)
        with check.step("deploy/install.sh --force --without-pi-archive") as rec:
            if installed:
                rec["reused"] = "the release an earlier run installed (--installed)"
                raise _Skip
            out = check.inside(f"{SRC_IN_ROOT}/deploy/install.sh --force --without-pi-archive")
            skipped = [line for line in out.splitlines() if "Raspberry Pi archive" in line]
            rec["skipped"] = skipped
            for line in skipped:
                print(f"    {line}")
        with check.step("runtime imports in the installed venv") as rec:
            out = check.inside("/opt/booth/current/bin/python /etc/booth-check/imports.py")
            rec["versions"] = last_json(out)
            print(f"    {rec['versions']}")
        with check.step("pygame's SDL has the KMSDRM video driver") as rec:
            out = check.inside("/opt/booth/current/bin/python /etc/booth-check/sdl.py")
            sdl = last_json(out)
            rec.update(sdl)
            rec["ok"] = "KMSDRM" in sdl["drivers"]
            print(f"    pygame {sdl['pygame']}, SDL {sdl['sdl']} ({', '.join(sdl['library'])})")
            print(f"    video drivers: {', '.join(sdl['drivers'])}")
        with check.step("hardware-free tests under emulation") as rec:
            rec["left_out"] = NOT_ON_A_BOOTH
            ignore = " ".join(
                f"--deselect={name}" if "::" in name else f"--ignore={name}"
                for name in NOT_ON_A_BOOTH
            )
            out = check.inside(
                "python3 -m venv --system-site-packages /var/tmp/test-venv && "
                # The tests' own tools, not the booth's: pytest and hypothesis, and Debian's
                # age (the privacy tests decrypt with the standard command).
                "/var/tmp/test-venv/bin/pip install -q pytest hypothesis && "
                "DEBIAN_FRONTEND=noninteractive apt-get install -y -q age >/dev/null && "
                # The installed release's packages, then pytest's venv on top, and the
                # release's own `booth` command beside that python (test_config_cli runs it).
                "echo /opt/booth/current/lib/python3.11/site-packages > "
                "/var/tmp/test-venv/lib/python3.11/site-packages/booth-release.pth && "
                "ln -sf /opt/booth/current/bin/booth /var/tmp/test-venv/bin/booth && "
                f"cd {SRC_IN_ROOT} && SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy "
                # No pytest-timeout: its limits are for a native machine (a whole simulated
                # session takes minutes under emulation); this step's own limit bounds it.
                "/var/tmp/test-venv/bin/python -m pytest -q -p no:cacheprovider -p no:timeout "
                f"{ignore} {' '.join(tests)}",
                check=False,
            )
            summary = [ln for ln in out.splitlines() if re.search(r"\d+ (passed|failed)", ln)]
            last = summary[-1] if summary else "\n".join(out.splitlines()[-20:])
            failures = [ln for ln in out.splitlines() if ln.startswith(("FAILED", "ERROR"))]
            rec.update(summary=last, failures=failures)
            rec["ok"] = bool(summary) and " failed" not in last and " error" not in last
            print(f"    {last}")
            for line in failures:
                print(f"    {line}")
        result["ok"] = all(step.get("ok") for step in check.steps)
    except StepFailed as error:
        print(f"arm64-check: {error}", file=sys.stderr)
    result["seconds"] = round(time.monotonic() - started, 1)
    (work / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    minutes, seconds = divmod(int(result["seconds"]), 60)  # type: ignore[call-overload]
    verdict = "PASSED" if result["ok"] else "FAILED"
    print(f"arm64-check {verdict} in {minutes} min {seconds} s (details: {work}/result.json)")
    return result


def prepare_root(check: Check) -> None:
    root = check.root
    # Raspberry Pi OS's boot partition as install.sh edits it (the root has no /proc/device-tree:
    # install.sh --force says it is not a Pi, which is true).
    firmware = root / "boot/firmware"
    firmware.mkdir(parents=True, exist_ok=True)
    (firmware / "config.txt").write_text("dtparam=audio=on\ncamera_auto_detect=1\n\n[all]\n")
    (firmware / "cmdline.txt").write_text("console=tty1 root=PARTUUID=1-02 rootwait\n")
    (root / "etc/booth-check").mkdir(exist_ok=True)
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", root / "etc/booth-check/ca.crt")
    (root / "etc/booth-check/imports.py").write_text(RUNTIME_IMPORTS)
    (root / "etc/booth-check/sdl.py").write_text(SDL_DRIVERS)
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf", follow_symlinks=True)
    src = Path(str(root) + SRC_IN_ROOT)
    if src.exists():
        shutil.rmtree(src)
    for name in source_files():
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/var/tmp/booth-arm64-check"))
    parser.add_argument(
        "--reuse-base",
        action="store_true",
        help="start from the debootstrapped root of an earlier run (work/base.tar) if there is one",
    )
    parser.add_argument(
        "--installed",
        action="store_true",
        help="reuse the root and the release an earlier run installed: only check and test",
    )
    parser.add_argument("tests", nargs="*", default=["tests"], help="test paths (default: all)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("arm64-check: run it as root (debootstrap and chroot): sudo make arm64-check")
        return 2
    work = args.work.resolve()
    if work == ROOT or ROOT in work.parents:
        print("arm64-check: --work must be outside the source tree")
        return 2
    result = run(work, args.reuse_base, args.installed, tuple(args.tests))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
