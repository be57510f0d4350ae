"""make arm64-check's own parts that run without root: the apt sources it reads, the sources list
it writes into the root, and its refusal to work inside the source tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import arm64_check
from tools.arm64_check import AptSource, apt_sources, debian_sources, mirror, sources_list

pytestmark = pytest.mark.deploy

DEB822 = """\
Types: deb deb-src
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
"""


@pytest.fixture
def etc_apt(tmp_path: Path) -> Path:
    etc = tmp_path / "apt"
    (etc / "sources.list.d").mkdir(parents=True)
    (etc / "sources.list.d/debian.sources").write_text(DEB822)
    (etc / "sources.list.d/other.list").write_text(
        "# a comment\ndeb [arch=amd64 signed-by=/k.gpg] https://vendor.example/apt stable main\n"
        "deb-src http://src.example/debian bookworm main\n"
    )
    # Files apt does not read are not read here either.
    (etc / "sources.list.d/old.list.disabled").write_text("deb http://old.example bookworm main\n")
    return etc


def test_reads_one_line_and_deb822_sources_as_apt_does(etc_apt: Path) -> None:
    assert apt_sources(etc_apt) == [
        AptSource(
            "http://mirror.example/debian", ("bookworm", "bookworm-updates"), ("main", "contrib")
        ),
        AptSource("http://mirror.example/debian-security", ("bookworm-security",), ("main",)),
        AptSource("https://vendor.example/apt", ("stable",), ("main",)),
    ]


def test_the_root_gets_the_machines_bookworm_entries_and_nothing_else(etc_apt: Path) -> None:
    sources = debian_sources(apt_sources(etc_apt))
    assert mirror(sources) == "http://mirror.example/debian"
    assert sources_list(sources).splitlines()[1:] == [
        "deb http://mirror.example/debian bookworm main",
        "deb http://mirror.example/debian bookworm-updates main",
        "deb http://mirror.example/debian-security bookworm-security main",
    ]


def test_a_machine_without_a_bookworm_source_is_told_so(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text("deb http://mirror.example/debian trixie main\n")
    with pytest.raises(SystemExit, match="no apt source of this machine carries Debian bookworm"):
        mirror(debian_sources(apt_sources(tmp_path)))


def test_no_host_is_written_in_the_repository() -> None:
    text = Path(arm64_check.__file__).read_text()
    assert "deb.debian.org" not in text and "http://" not in text.replace('"http://"', "")


def test_refuses_a_work_directory_inside_the_source_tree(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(arm64_check.os, "geteuid", lambda: 0)
    assert arm64_check.main(["--work", str(arm64_check.ROOT / "out" / "arm64")]) == 2
    assert "outside the source tree" in capsys.readouterr().out
