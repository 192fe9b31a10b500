"""Start, measure and kill the two servers under test, each as its own process on 127.0.0.1.

CPU and memory come from /proc (no psutil needed): utime+stime of the server process (all its
threads) and its VmRSS.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
HOCUSPOCUS_TOKEN = "bench-token"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process (every thread), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def thread_ticks(pid: int) -> dict[int, int]:
    """utime + stime per thread of a process, in clock ticks."""
    out: dict[int, int] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        out[int(tid)] = int(fields[11]) + int(fields[12])
    return out


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


@dataclass
class CpuMeter:
    """CPU use of one process over a window, as % of one core."""

    pid: int
    t0: float = field(default=0.0)
    ticks0: int = field(default=0)
    threads0: dict[int, int] = field(default_factory=dict)

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.ticks0 = cpu_ticks(self.pid)
        self.threads0 = thread_ticks(self.pid)

    def percent(self) -> float:
        wall = time.perf_counter() - self.t0
        used = (cpu_ticks(self.pid) - self.ticks0) / CLK_TCK
        return 100.0 * used / wall if wall > 0 else 0.0

    def by_thread(self) -> tuple[float, float]:
        """(% of the main thread, % of the busiest other thread) since start()."""
        wall = time.perf_counter() - self.t0
        now = thread_ticks(self.pid)
        used = {tid: (t - self.threads0.get(tid, 0)) / CLK_TCK for tid, t in now.items()}
        main = used.pop(self.pid, 0.0)
        other = max(used.values(), default=0.0)
        return 100.0 * main / wall, 100.0 * other / wall


class ServerProcess:
    """A server under test. ``kind`` is ``eenplan`` or ``hocuspocus``."""

    kind: str

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{self.kind}-{self.port}.log"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited early; see {self.log_path}")
            if self._ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not start within {START_TIMEOUT} s")

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        """kill -9: what is not stored by now is lost."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None


class EenplanServer(ServerProcess):
    kind = "eenplan"

    def __init__(self, workdir: Path, database_url: str) -> None:
        super().__init__(workdir)
        self.database_url = database_url

    def command(self) -> list[str]:
        return [str(VENV_BIN / "eenplan"), "serve", "--host", "127.0.0.1", "--port", str(self.port)]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            EENPLAN_DATABASE_URL=self.database_url,
            EENPLAN_PUBLIC_URL=self.origin,
            EENPLAN_SECRET_KEY="bench-secret-key-0123456789-abcdefghijklmnop",
            EENPLAN_REDIS_URL="",
            # Hundreds of bench accounts sign in from one address, with a password only.
            EENPLAN_REQUIRE_2FA_FOR="",
            EENPLAN_LOGIN_MAX_ATTEMPTS_PER_IP="100000",
        )
        env.pop("EENPLAN_REDIS_URL")
        return env

    def _ready(self) -> bool:
        # http.client, not urllib: urllib would honour proxy settings from the environment.
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def ws_url(self, doc_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/docs/{doc_id}"


class HocuspocusServer(ServerProcess):
    kind = "hocuspocus"

    def __init__(self, workdir: Path, store_dir: Path) -> None:
        super().__init__(workdir)
        self.store_dir = store_dir

    def command(self) -> list[str]:
        node = shutil.which("node") or "node"
        return [
            node,
            str(ROOT / "bench" / "hocuspocus_server.mjs"),
            "--port",
            str(self.port),
            "--dir",
            str(self.store_dir),
            "--token",
            HOCUSPOCUS_TOKEN,
        ]

    def ws_url(self, doc_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def stored_state(self, doc_id: str) -> bytes | None:
        from urllib.parse import quote

        path = self.store_dir / f"{quote(doc_id, safe='')}.ydoc"
        return path.read_bytes() if path.exists() else None
