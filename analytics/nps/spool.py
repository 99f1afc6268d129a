"""A local JSON Lines spool for survey answers the database could not take, replayed later.

Writers append one line per answer under an exclusive ``flock``. A flush moves the spool aside (a
``*.replaying`` file, so new answers keep arriving in a fresh spool), replays it, and puts back in front of
the spool whatever could not be stored yet. A crash mid-flush leaves the ``*.replaying`` file, which the
next flush picks up; replay is idempotent, so answers may be replayed twice but are stored once.
Records that can never be stored (invalid, corrupt line) go to ``*.rejected`` for a human, never dropped.
POSIX only (``fcntl``), like the rest of the deployment.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analytics.storage.db import PROJECT_ROOT
from analytics.text_safety import clean_json
from analytics.timeutil import iso_utc, utcnow

SPOOL_ENV = "CXQA_NPS_SPOOL"
DEFAULT_SPOOL_PATH = PROJECT_ROOT / "var" / "nps_spool.jsonl"
SPOOL_FORMAT_VERSION = 1


def spool_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The spool file: an explicit path, else ``CXQA_NPS_SPOOL``, else var/nps_spool.jsonl."""
    return Path(path or os.environ.get(SPOOL_ENV) or DEFAULT_SPOOL_PATH)


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    line: str  # kept verbatim, so a record put back is byte-identical
    record: dict[str, Any] | None  # None when the line is not valid JSON


class Spool:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = spool_path(path)
        self.rejected_path = self.path.with_name(self.path.name + ".rejected")

    def _sibling(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    @contextmanager
    def _lock(self, suffix: str, *, blocking: bool = True) -> Iterator[bool]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._sibling(suffix), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the lock

    @staticmethod
    def _append_lines(path: Path, lines: list[str]) -> None:
        # Customer comments may hold personal data: the file is readable by its owner only.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, "".join(line.rstrip("\n") + "\n" for line in lines).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def append(self, fields: dict[str, Any], error: str) -> None:
        # Cleaned (no NUL, no lone surrogate): the file is UTF-8, and the replay writes it to the database.
        record = {"v": SPOOL_FORMAT_VERSION, "spooled_at": iso_utc(utcnow()), "error": clean_json(error[:500]),
                  "fields": clean_json(fields)}
        line = json.dumps(record, ensure_ascii=False, sort_keys=True)
        with self._lock(".lock"):
            self._append_lines(self.path, [line])

    def reject(self, entry: SpoolEntry, reason: str) -> None:
        note = json.dumps({"rejected_at": iso_utc(utcnow()), "reason": reason[:500], "line": entry.line},
                          ensure_ascii=False)
        with self._lock(".lock"):
            self._append_lines(self.rejected_path, [note])

    def pending_count(self) -> int:
        files = [self.path, *self._replaying_files()]
        return sum(len(_read_lines(path)) for path in files if path.exists())

    def _replaying_files(self) -> list[Path]:
        return sorted(self.path.parent.glob(self.path.name + ".*.replaying"))

    @contextmanager
    def draining(self) -> Iterator[tuple[list[SpoolEntry], list[SpoolEntry]] | None]:
        """Take every spooled entry for replay. Yields (entries, put_back) or None if another flush runs.

        Append to ``put_back`` the entries that could not be stored; they return to the front of the spool.
        """
        with self._lock(".flush.lock", blocking=False) as acquired:
            if not acquired:
                yield None
                return
            with self._lock(".lock"):
                if self.path.exists() and self.path.stat().st_size > 0:
                    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
                    os.replace(self.path, self._sibling(f".{stamp}-{os.getpid()}.replaying"))
            taken = self._replaying_files()
            entries = [_entry(line) for path in taken for line in _read_lines(path)]
            put_back: list[SpoolEntry] = []
            yield entries, put_back
            with self._lock(".lock"):
                if put_back:
                    newer = _read_lines(self.path) if self.path.exists() else []
                    temporary = self._sibling(".tmp")
                    temporary.unlink(missing_ok=True)
                    self._append_lines(temporary, [entry.line for entry in put_back] + newer)
                    os.replace(temporary, self.path)
                for path in taken:
                    path.unlink(missing_ok=True)


def _read_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _entry(line: str) -> SpoolEntry:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return SpoolEntry(line, None)
    return SpoolEntry(line, record if isinstance(record, dict) else None)
