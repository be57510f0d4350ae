"""Invitation codes (`codes.csv`): who may record, and with which accommodations.

A recruiter writes the source form, in clear:

    code,candidate_ref,extra_time_percent,extra_takes
    123456,CAND-0001,,
    234567,CAND-0002,50,1

Installing an interview (`hash_codes`) replaces each code with a salted scrypt hash, one salt
per interview so a lookup costs one hash (about 20 ms on a PC, under 100 ms on a Pi 4):

    code_hash,candidate_ref,extra_time_percent,extra_takes,code_digits
    scrypt$8192$8$1$<salt>$<hash>,CAND-0001,0,0,6

`code_digits` keeps each code's length (not its digits), so the code screen can show as many
places as the codes have; a hashed file without it is still read, and its field shows none.

On a booth with `[privacy] recipients` the installed form names nobody either: each reference
is sealed (`SEALED_REF`: `age:<keyed hash>:<the reference encrypted to the recipients>`, made
by booth.privacy.refs). The booth never reads a sealed reference back: it goes into the
(encrypted) session manifest as it is, and its keyed hash finds the candidate's sessions and
invitation record; the organisation's identity opens it (`booth takes open`).

Every interview installed on one booth shares the booth's hash parameters (`CodeHash`: scrypt
N=8192, r=8, p=1 and one salt), so a code is hashed once per lookup whatever the number of
interviews, and two interviews that share a code can be told apart by their hashes alone
(`shared_code`). A pre-hashed file is accepted only with exactly those parameters.

Six-digit codes cannot resist an offline search of a stolen file; the hash keeps them out of
sight of anyone reading the booth's disk, and the code screen's lockout limits guessing.
No code, clear or hashed, is ever put in a message, a log or a repr.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import os
import re
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from booth.config.errors import ConfigError, ConfigProblem
from booth.session.invitation import (
    CODE,
    SALT_BYTES,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    CodeBook,
    CodeHash,
    Invitation,
)

CODE_RULE = "6 to 12 digits"
# A reference a spreadsheet would run as a formula (=HYPERLINK(...), +1, -1, @SUM) is refused:
# recruiters open the uploads' metadata in one.
CANDIDATE_REF = re.compile(r"[^\x00-\x1f\x7f-\x9f,;=+\-@][^\x00-\x1f\x7f-\x9f,;]{0,63}")
SEALED_REF = re.compile(r"age:([0-9a-f]{64}):[A-Za-z0-9_-]{100,8000}")
"""A reference sealed at install: its keyed hash, then the base64url of an age file of it."""
COLUMNS = ("candidate_ref", "extra_time_percent", "extra_takes")
DIGITS = "code_digits"  # the installed form's extra column: each code's length
DIGEST_BYTES = 32
HASH_RULE = f"scrypt N={SCRYPT_N}, r={SCRYPT_R}, p={SCRYPT_P}: the output of booth interviews add"
_HASH = re.compile(r"scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)")


def reference_identity(candidate_ref: str) -> str:
    """What tells two references apart: a sealed one's keyed hash, else the reference."""
    sealed = SEALED_REF.fullmatch(candidate_ref)
    return sealed.group(1) if sealed else candidate_ref


def names_in_clear(book: CodeBook) -> bool:
    """Whether installed invitations (hashed codes) hold a candidate reference not sealed. A
    recruiter's file, codes in clear, is not an installed one."""
    return book.code_hash is not None and not all(
        SEALED_REF.fullmatch(invitation.candidate_ref) for invitation in book.invitations
    )


def shared_code(a: CodeBook, b: CodeBook) -> bool | None:
    """Whether two interviews' code books have a code in common; None when that cannot be told
    (both hashed, with different salts). Costs one hash per clear code at most."""
    if not len(a) or not len(b):
        return False
    for one, other in ((a, b), (b, a)):
        if one.code_hash is not None:
            mine, theirs = set(one._entries), other._digests(one.code_hash)
            return None if theirs is None else bool(mine & theirs)
    return bool(set(a._clear) & set(b._clear))


def _other_salt(path: Path, line: int | None) -> ConfigProblem:
    return ConfigProblem(
        path,
        line,
        "code_hash",
        "is hashed with another salt than this booth's interviews",
        "the clear codes.csv, installed with booth interviews add",
    )


def booth_code_hash(books: list[CodeBook]) -> CodeHash:
    """The booth's code hash: that of its installed interviews (the most used one, should an
    old booth have several), or new parameters when none is installed hashed."""
    counts: dict[CodeHash, int] = {}
    for book in books:
        if book.code_hash is not None:
            counts[book.code_hash] = counts.get(book.code_hash, 0) + 1
    return max(counts, key=lambda h: counts[h]) if counts else CodeHash.new()


def _int_cell(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if text == "":
        return 0
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        return None
    return int(text)


def _parse_hash(text: str) -> tuple[CodeHash, bytes] | None:
    m = _HASH.fullmatch(text.strip())
    if not m:
        return None
    n, r, p = (int(g[:9]) for g in m.groups()[:3])
    # Exactly the booth's own parameters: a crafted file must not make a lookup take seconds
    # or gigabytes, nor a weaker hash pass.
    if (n, r, p) != (SCRYPT_N, SCRYPT_R, SCRYPT_P):
        return None
    try:
        salt = base64.b64decode(m.group(4), validate=True)
        digest = base64.b64decode(m.group(5), validate=True)
    except ValueError:
        return None
    if len(salt) != SALT_BYTES or len(digest) != DIGEST_BYTES:
        return None
    return CodeHash(n, r, p, salt), digest


class _CodesFile:
    """One pass over a codes.csv: its rows in either form, and every problem found."""

    def __init__(self, path: Path, text: str | None = None) -> None:
        self.path = path
        self.text = text
        self.problems: list[ConfigProblem] = []
        self.hashed = False
        self.scrypt: CodeHash | None = None
        self.scrypt_line = 0
        self.rows: list[tuple[str, Invitation]] = []  # (code or encoded hash, invitation)
        self.digits: list[int] = []  # each row's code length (0: not recorded), as `rows`
        self._seen: dict[bytes | str, int] = {}
        self._refs: dict[str, int] = {}
        self._read()

    def problem(self, line: int | None, key: str, message: str, expected: str) -> None:
        self.problems.append(ConfigProblem(self.path, line, key, message, expected))

    def _read(self) -> None:
        try:
            text = self.text if self.text is not None else self.path.read_text(encoding="utf-8-sig")
            text = text.removeprefix("\ufeff")
        except FileNotFoundError:
            self.problem(
                None, "codes.csv", "file not found", "a codes.csv with header code,candidate_ref"
            )
            return
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or "not UTF-8 text"
            self.problem(None, "codes.csv", f"cannot be read: {reason}", "a UTF-8 CSV file")
            return
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        # Spreadsheets in Swedish save CSV with semicolons.
        delimiter = ";" if ";" in first and "," not in first else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header: list[str] | None = None
        try:
            for cells in reader:
                if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                    continue
                if header is None:
                    header = [c.strip().lower() for c in cells]
                    if not self._header(header, reader.line_num):
                        return
                elif len(cells) != len(header):
                    self.problem(
                        reader.line_num,
                        "row",
                        f"has {len(cells)} fields, the header has {len(header)}",
                        "one value per column",
                    )
                else:
                    self._row(dict(zip(header, cells, strict=True)), reader.line_num)
        except csv.Error as err:
            self.problem(
                reader.line_num, "codes.csv", f"not valid CSV: {err}", "one invitation per line"
            )
        if header is None:
            self.problem(1, "header", "missing header", "a first line code,candidate_ref")
        elif not self.rows and not self.problems:
            expected = "one line per invitation: code,candidate_ref"
            self.problem(None, "codes.csv", "has no invitations", expected)

    def _header(self, header: list[str], line: int) -> bool:
        if header[0] not in ("code", "code_hash"):
            self.problem(
                line,
                "header",
                "missing header" if CODE.fullmatch(header[0]) else "first column is not code",
                "a first line code,candidate_ref[,extra_time_percent,extra_takes]",
            )
            return False
        self.hashed = header[0] == "code_hash"
        columns = COLUMNS + (DIGITS,) if self.hashed else COLUMNS
        for name in header[1:]:
            if name not in columns or header.count(name) > 1:
                self.problem(
                    line,
                    "header",
                    f"unknown or repeated column {name[:40]!r}",
                    "columns: code, " + ", ".join(columns),
                )
        if "candidate_ref" not in header:
            self.problem(line, "candidate_ref", "column missing", "a candidate_ref column")
        return not self.problems

    def _row(self, row: dict[str, str], line: int) -> None:
        secret = row["code_hash" if self.hashed else "code"].strip()
        key: bytes | str
        if self.hashed:
            parsed = _parse_hash(secret)
            if parsed is None:
                self.problem(
                    line, "code_hash", "is not a hash with this booth's parameters", HASH_RULE
                )
                return
            scrypt, key = parsed
            if self.scrypt is None:
                self.scrypt, self.scrypt_line = scrypt, line
            elif scrypt != self.scrypt:
                self.problem(
                    line,
                    "code_hash",
                    f"uses another salt than line {self.scrypt_line}",
                    "one salt per interview: hash the codes again",
                )
                return
        elif CODE.fullmatch(secret):
            key = secret
        else:
            self.problem(line, "code", "is not a code (value not shown)", CODE_RULE)
            return
        ref = row["candidate_ref"].strip()
        extra_time = _int_cell(row.get("extra_time_percent", ""), 0, 300)
        extra_takes = _int_cell(row.get("extra_takes", ""), 0, 20)
        digits = _int_cell(row.get(DIGITS, ""), 6, 12) if self.hashed else len(secret)
        ok = True
        if digits is None:
            self.problem(line, DIGITS, "is not a code length", f"{CODE_RULE}, or empty")
            ok = False
        sealed = SEALED_REF.fullmatch(ref) if self.hashed else None
        if sealed is None and not CANDIDATE_REF.fullmatch(ref):
            self.problem(
                line,
                "candidate_ref",
                "is empty or not a plain reference",
                "1 to 64 characters, no , ; or control characters, not starting with = + - @",
            )
            ok = False
        elif (same := reference_identity(ref)) in self._refs:
            self.problem(
                line,
                "candidate_ref",
                f"is the same reference as line {self._refs[same]}",
                "one invitation per candidate",
            )
            ok = False
        else:
            self._refs[same] = line
        if extra_time is None:
            self.problem(
                line,
                "extra_time_percent",
                "is not a whole percentage",
                "an integer from 0 to 300, or empty",
            )
            ok = False
        if extra_takes is None:
            self.problem(
                line,
                "extra_takes",
                "is not a whole number of takes",
                "an integer from 0 to 20, or empty",
            )
            ok = False
        if key in self._seen:
            self.problem(
                line,
                "code",
                f"is the same code as line {self._seen[key]}",
                "a different code on every line",
            )
            ok = False
        else:
            self._seen[key] = line
        if ok:
            self.rows.append((secret, Invitation(ref, extra_time or 0, extra_takes or 0)))
            self.digits.append(digits or 0)


def load_codes(path: Path, text: str | None = None) -> CodeBook:
    """Read `codes.csv` in either form (or `text`, reported as `path`); raises ConfigError
    naming line and column, never a code."""
    rows = _CodesFile(path, text)
    if rows.problems:
        raise ConfigError(rows.problems)
    if rows.hashed:
        scrypt = rows.scrypt
        entries = {}
        for encoded, invitation in rows.rows:
            parsed = _parse_hash(encoded)
            assert parsed is not None
            entries[parsed[1]] = invitation
        lengths = frozenset(n for n in rows.digits if n)
        digest = scrypt.digest if scrypt else (lambda code: b"")
        return CodeBook(entries, digest, scrypt, lengths=lengths)
    key = secrets.token_bytes(32)

    def keyed(code: str) -> bytes:
        return hmac.new(key, code.encode(), hashlib.sha256).digest()

    codes = tuple(code for code, _ in rows.rows)
    return CodeBook({keyed(code): inv for code, inv in rows.rows}, keyed, None, codes)


def hash_codes(
    src_csv: Path,
    dst_csv: Path,
    code_hash: CodeHash | None = None,
    text: str | None = None,
    seal_ref: Callable[[str], str] | None = None,
) -> None:
    """Write the installed form of `src_csv` (or of `text`) to `dst_csv` (atomically); codes
    become hashes under `code_hash` (the booth's; new parameters when None), and references
    in clear become `seal_ref(reference)` when it is given (a booth with recipients).

    Hashed codes and sealed references are copied as they are. Raises ConfigError on a
    broken file.
    """
    rows = _CodesFile(src_csv, text)
    if rows.problems:
        raise ConfigError(rows.problems)
    if rows.hashed and code_hash is not None and rows.scrypt != code_hash:
        raise ConfigError([_other_salt(src_csv, rows.scrypt_line)])
    scrypt = code_hash or CodeHash.new()
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("code_hash",) + COLUMNS + (DIGITS,))
    for (secret, inv), digits in zip(rows.rows, rows.digits, strict=True):
        encoded = secret if rows.hashed else scrypt.encode(scrypt.digest(secret))
        ref = inv.candidate_ref
        if seal_ref is not None and not SEALED_REF.fullmatch(ref):
            ref = seal_ref(ref)
        row = (encoded, ref, inv.extra_time_percent, inv.extra_takes)
        writer.writerow(row + (digits or "",))
    dst_csv.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".codes-", suffix=".tmp", dir=dst_csv.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(out.getvalue())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dst_csv)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
