"""Fuzzing interview folders (issue 11.10): whatever interview.toml and codes.csv hold,
checking them gives clear `FILE:LINE` problems, never a traceback, and never shows a code.

`python tests/test_interview_fuzz.py N` runs N cases and prints the counts for the closing
note: cases tried, clear errors, accepted, tracebacks.
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_config_interview import MINIMAL  # noqa: E402

from booth.config.check import check_config  # noqa: E402
from booth.install.interviews import inspect_interview  # noqa: E402

pytestmark = pytest.mark.slow

SECRET = "31415926"  # a code in every fuzzed codes.csv: it must never show in a problem

nasty_text = st.text(
    alphabet=st.sampled_from(
        list("abcåäö =+-@,;\"'#[]{}\\\n\r\t\x00\x1b\x7f\x85\u202e\ufeff0123456789") + ["\x01"]
    ),
    max_size=40,
)
toml_value = st.one_of(
    nasty_text.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    nasty_text,  # not TOML at all
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(
        [
            "true",
            "[]",
            "{}",
            '["x.mp4"]',
            "2025-01-01",
            "1e400",
            "inf",
            '{ sv = "" }',
            '{ sv = "a", en = "b", de = "c" }',
            '"../../etc/passwd"',
            '"/dev/zero"',
            "nan",
        ]
    ),  # fmt: skip
)
KEYS = ["id", "employer", "title", "languages", "valid_from", "deadline", "intro_clips",
        "replay_allowed", "text", "answer_seconds", "think_seconds", "max_takes", "review",
        "clip", "audio", "extra"]  # fmt: skip


@st.composite
def interview_toml(draw) -> str:
    lines = MINIMAL.splitlines()
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        choice = draw(st.integers(0, 3))
        if choice == 0:
            lines[i] = f"{draw(st.sampled_from(KEYS))} = {draw(toml_value)}"
        elif choice == 1:
            del lines[i]
        elif choice == 2:
            lines.insert(i, draw(st.sampled_from(["[[questions]]", "[practice]", "[x]", "[["])))
        else:
            lines[i] = draw(nasty_text)
    return "\n".join(lines) + "\n"


cell = st.one_of(
    nasty_text,
    st.text(alphabet="0123456789", min_size=0, max_size=14),
    st.sampled_from(["scrypt$8192$8$1$AAAA$BBBB", "scrypt$1048576$8$1$YWJj$ZGVm", "=1+1", "-5"]),
)


@st.composite
def codes_csv(draw) -> str:
    header = draw(
        st.sampled_from(["code,candidate_ref,extra_time_percent,extra_takes", "code;candidate_ref",
                         "code_hash,candidate_ref", "code,candidate_ref", "", "\ufeffcode,x"])
    )  # fmt: skip
    rows = [f"{SECRET},CAND-SECRET"]
    for _ in range(draw(st.integers(0, 5))):
        rows.append(",".join(draw(st.lists(cell, min_size=1, max_size=5))))
    return "\n".join([header, *draw(st.permutations(rows))]) + "\n"


def check_folder(toml: str, codes: str) -> tuple[str, list[str]]:
    """("accepted" | "refused", problems) for one interview folder; raises if anything else
    than a clear problem comes out."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "interviews"
        folder = root / "fuzz"
        folder.mkdir(parents=True)
        (folder / "interview.toml").write_text(toml, encoding="utf-8", errors="surrogatepass")
        (folder / "codes.csv").write_text(codes, encoding="utf-8", errors="surrogatepass")
        inspection = inspect_interview(folder)
        report = check_config(Path(tmp) / "none.toml", root)
        problems = [str(p) for p in inspection.problems + report.problems]
        for problem in problems:
            assert "\n" not in problem and "\r" not in problem, problem
            assert SECRET not in problem, problem
        return ("accepted" if inspection.ok else "refused"), problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(interview_toml(), codes_csv())
def test_no_interview_folder_makes_a_check_raise_or_show_a_code(toml, codes):
    check_folder(toml, codes)


def fuzz_counts(n: int) -> Counter[str]:
    """Run `n` random folders; count the outcomes (a traceback is counted, not raised)."""
    counts: Counter[str] = Counter()

    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(interview_toml(), codes_csv())
    def one(toml: str, codes: str) -> None:
        counts["cases tried"] += 1
        try:
            outcome, _ = check_folder(toml, codes)
            counts["clear errors" if outcome == "refused" else "accepted"] += 1
        except Exception:
            counts["tracebacks"] += 1
            traceback.print_exc()

    one()
    return counts


if __name__ == "__main__":
    print(dict(fuzz_counts(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
