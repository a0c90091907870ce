"""The scenarios a user can pick: the bundled ones, the file given with ``--scenario`` and uploads.

Every entry is validated when it enters the catalogue, so a scenario on the page is always one
``eipsim run`` accepts. Uploads are size-capped, refused if they ``extend`` another file (the
server would read a file of its own choosing), written only inside the catalogue's temporary
upload folder, and their errors read exactly as the command line prints them for that file name.
"""

from __future__ import annotations

import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..config import Scenario
from ..errors import Problem, ScenarioError, SourceMark
from ..loader import read_yaml_text
from ..storage import write_atomic
from ..validation import load_scenario
from .controls import ScenarioInfo, scenario_info

MAX_UPLOAD_BYTES = 1_000_000
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "scenarios"
"""The repository's ``scenarios/`` folder (absent when eipsim is installed from a wheel)."""


MAX_NAME_CHARS = 255


class UploadRefused(ValueError):
    """An upload refused before its content is read: ``status`` is the HTTP status to answer."""

    status = 422


class UploadTooLarge(UploadRefused):
    """An uploaded file above :data:`MAX_UPLOAD_BYTES`."""

    status = 413

    def __init__(self, size: int):
        super().__init__(f"the file is {size:,} bytes; uploads are limited to {MAX_UPLOAD_BYTES:,} bytes "
                         f"({MAX_UPLOAD_BYTES / 1e6:g} MB)")


@dataclass(frozen=True)
class Entry:
    """One scenario of the catalogue.

    ``path`` is where the server reads it (never sent to the page); ``display`` is how the page and
    the command lines it shows name it: ``scenarios/NAME.yaml`` for bundled files (as typed in the
    repository), the file name for the ``--scenario`` file and for uploads, never a server path.
    """

    id: str
    path: Path
    display: str
    origin: str                 # "bundled", "file" (--scenario) or "upload"
    scenario: Scenario
    info: ScenarioInfo

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.info.name, "file": self.display, "file_name": Path(self.display).name,
                "origin": self.origin, "description": self.info.description}


class Catalogue:
    """Scenarios by id; thread-safe (uploads arrive on the server's worker threads)."""

    def __init__(self, upload_root: Path, bundled_dir: Path | None = BUNDLED_DIR, selected: Path | None = None):
        self.upload_root = Path(upload_root)
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self._uploads = 0
        for path in sorted(bundled_dir.glob("*.yaml")) if bundled_dir and bundled_dir.is_dir() else ():
            try:
                self._add(path.stem, path, "bundled", display=f"{bundled_dir.name}/{path.name}")
            except ScenarioError:  # a broken bundled file is the repository's problem, not the page's
                continue
        self.default = next(iter(self._entries), None)
        if "demo" in self._entries:
            self.default = "demo"
        if selected is not None:
            self.default = self._add_file(Path(selected)).id

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries.values())

    def get(self, entry_id: str) -> Entry | None:
        with self._lock:
            return self._entries.get(entry_id)

    def _add(self, entry_id: str, path: Path, origin: str, display: str) -> Entry:
        scenario, _ = load_scenario(path)
        entry = Entry(entry_id, path.resolve(), display, origin, scenario, scenario_info(scenario))
        with self._lock:
            self._entries[entry_id] = entry
        return entry

    def _add_file(self, path: Path) -> Entry:
        """The ``--scenario`` file: the bundled entry if it is one, else a new entry (errors raise)."""
        for entry in self.entries():
            if entry.path == path.resolve():
                return entry
        return self._add(f"file-{_safe_stem(path.name)}", path, "file", display=path.name)

    def upload(self, filename: str, data: bytes) -> Entry:
        """Validate and add an uploaded file.

        Raises
        ------
        UploadTooLarge
            Above :data:`MAX_UPLOAD_BYTES`.
        UploadRefused
            A file name longer than :data:`MAX_NAME_CHARS` or with control characters (NUL ...).
        ScenarioError
            Problems of the file, marked with its (cleaned) file name as the command line marks them.
        """
        if len(data) > MAX_UPLOAD_BYTES:
            raise UploadTooLarge(len(data))
        if len(filename) > MAX_NAME_CHARS:
            raise UploadRefused(f"the file name is {len(filename):,} characters; at most {MAX_NAME_CHARS} are accepted")
        if any(ord(char) < 32 or ord(char) == 127 for char in filename):
            raise UploadRefused(f"the file name {filename[:80]!r} contains control characters (such as NUL)")
        name = f"{_safe_stem(filename)}.yaml"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError([Problem(f"file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                         mark=SourceMark(name, 1, 1))]) from None
        # problems that leave usable data (duplicate keys) are reported below with all the others
        document, sources = read_yaml_text(text, name, [])
        if isinstance(document, dict) and "extends" in document:
            raise ScenarioError([Problem("an uploaded scenario cannot extend another file", path="extends",
                                         mark=sources.lookup(("extends",)),
                                         hint="upload the merged scenario: the YAML download of this page or "
                                              "scenario.resolved.yaml of a run folder")])
        self.upload_root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=self.upload_root))
        path = folder / name
        write_atomic(path, text)
        with self._lock:
            self._uploads += 1
            entry_id = f"upload-{self._uploads}-{path.stem}"
        try:
            return self._add(entry_id, path, "upload", display=name)
        except ScenarioError as exc:
            raise ScenarioError([_renamed(p, str(path), name) for p in exc.problems]) from None


def _renamed(problem: Problem, server_path: str, name: str) -> Problem:
    """The problem as the user's file name shows it (not the server's temporary path)."""
    if problem.mark is None or problem.mark.file != server_path:
        return problem
    return Problem(problem.message, problem.path, SourceMark(name, problem.mark.line, problem.mark.col),
                   problem.hint)


def _safe_stem(filename: str) -> str:
    """A file stem made of letters, digits, ``_``, ``-`` and ``.`` only (no folders)."""
    stem = Path(filename.replace("\\", "/")).name
    stem = re.sub(r"\.ya?ml$", "", stem, flags=re.IGNORECASE)
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", stem).strip("._") or "scenario"
