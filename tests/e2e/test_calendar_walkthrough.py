"""README's calendar walkthrough ("Calendars with exceptions"), run as written against ``make run``: at
today's instant, its dates computed by the block itself (tomorrow, the day after), so the expectations derive
from the same instant."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.test_local_run import clean_env, concatenated_json, make_run


def calendar_block() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL)
    (block,) = [b for b in blocks if "PUT http://127.0.0.1:3000/programs/evening " in b]
    return block


@pytest.mark.dates
def test_the_readme_calendar_walkthrough_runs_as_written_against_make_run() -> None:
    if not shutil.which("curl"):
        pytest.skip("curl is not on this machine")
    with make_run() as port:
        before = datetime.now(UTC)
        out = subprocess.run(
            [
                shutil.which("bash") or "/bin/bash",
                "-c",
                calendar_block().replace("127.0.0.1:3000", f"127.0.0.1:{port}"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=clean_env(),
        )
    stored, imported, tick, shown, deleted, deleted_ics = concatenated_json(out.stdout)
    d1, d2 = ((before + timedelta(days=n)).date().isoformat() for n in (1, 2))
    if (datetime.now(UTC) + timedelta(days=1)).date().isoformat() != d1:
        pytest.skip("the block ran across midnight UTC: its dates are not the test's")
    assert stored["program"]["except"] == [d1], out.stdout
    marks = {o["start"]: o["exception"] for o in stored["occurrences"]}
    assert marks[f"{d2}T22:00:00Z"] == "moved" and marks[f"{d1}T09:00:00Z"] == "added"
    assert f"{d1}T20:00:00Z" not in marks and f"{d2}T20:00:00Z" not in marks
    # the file: five evenings in Berlin from tomorrow, the day after's skipped (COUNT counts it all the same)
    assert imported["program"]["cron"] == "0 20 * * 1,2,3,4,5,6,0" and len(imported["program"]["except"]) == 1
    assert len(imported["occurrences"]) == 4, imported
    assert "error" not in tick and tick["failed"] == [], tick
    assert shown["occurrences"] and all(o["task_id"] for o in shown["occurrences"]), shown
    assert {o["start"] for o in shown["occurrences"]} == set(marks)
    assert deleted["deleted"] is True and deleted_ics["deleted"] is True
