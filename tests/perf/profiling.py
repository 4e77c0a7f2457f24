"""Optional sampling of the service with py-spy while a scenario is measured.

py-spy is a standalone binary and not a project dependency: pass its path, or have it on PATH.
Each measured scenario of a one-worker service writes ``<dir>/<scenario>.txt`` in py-spy's
"raw" (collapsed stacks) format, and ``<scenario>_child_<pid>.txt`` for its event writer process;
with ``gil_only`` (``_gil.txt``) only the thread holding the GIL is sampled, which shows where
Python CPU goes. ``python -m tests.perf.stacks <file>`` summarises one.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from pathlib import Path

from tests.perf.load import Profiler
from tests.perf.servers import Server

SAMPLES_PER_S = 200


def py_spy_profiler(py_spy: str, out_dir: Path, *, gil_only: bool = False) -> Profiler:
    out_dir.mkdir(parents=True, exist_ok=True)

    def profile(server: Server, name: str, seconds: float) -> AbstractContextManager[object]:
        pids = server.worker_pids()
        if name == "trivial" or len(pids) != 1:
            return nullcontext()
        stem = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") + ("_gil" if gil_only else "")
        extra = ["--gil"] if gil_only else []
        recordings = ExitStack()
        recordings.enter_context(_record(py_spy, pids[0], out_dir / f"{stem}.txt", seconds, extra))
        for helper in server.service_pids()[1:]:  # the worker's event writer
            recordings.enter_context(_record(py_spy, helper, out_dir / f"{stem}_child_{helper}.txt", seconds, extra))
        return recordings

    return profile


@contextmanager
def _record(py_spy: str, pid: int, out: Path, seconds: float, extra: list[str]) -> Iterator[None]:
    command = [
        py_spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, int(seconds) - 1)),
        "--rate",
        str(SAMPLES_PER_S),
        "--threads",
        "--format",
        "raw",
        "--output",
        str(out),
        "--nonblocking",
        *extra,
    ]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        _, err = recorder.communicate(timeout=seconds + 30)
        if recorder.returncode != 0:
            print(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
        else:
            print(f"  profile written to {out}")
