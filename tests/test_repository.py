"""The repository itself: no merge left half done."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)


def test_no_file_keeps_a_merge_conflict_marker():
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode().split("\0")
    marked = []
    for name in filter(None, tracked):
        path = ROOT / name
        if path.suffix not in {".py", ".html", ".css", ".js", ".md", ".txt", ".csv", ".sh", ".po"}:
            continue
        if path.is_file() and MARKER.search(path.read_text(encoding="utf-8", errors="replace")):
            marked.append(name)
    assert marked == []
