"""Benchmark the billing calculators: in-process rates, the CLI's start-up, the API.

Prints prorations, fee changes, due dates and instalment plans per second computed in this
process; the median wall time of ``sop-portal prorate`` (and ``prorate-change``) over 7 calls
beside the median of ``python -c pass`` (DESIGN.md: at most 0.35 s more); then API requests
per second for every calculator endpoint, old and new side by side, served by gunicorn (sync
workers, one per core) on a free loopback port, loaded with wrk when it is installed
(otherwise a small Python client). Each figure is printed with the machine's core count. Rate
limits are switched off for the load test (RATELIMIT_ENABLED=false), and the benchmark says so.

    .venv/bin/python bench/calculators.py [--seconds 3] [--api-seconds 5] [--cli-runs 7]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calculators import (  # noqa: E402
    DEFAULT_ACCOUNT_TYPES_FILE,
    BusinessCalendar,
    Method,
    compute_due_date,
    currency,
    parse_account_types,
    parse_terms,
    prorate_change,
    prorate_go_live,
)

CORES = os.cpu_count() or 1
LOOPBACK = "127.0.0.1"
API_PATHS = {
    "prorate (go-live)": "/api/v1/prorate/go-live?monthly_fee=2000&go_live=2026-01-07",
    "prorate/change (new)": "/api/v1/prorate/change?old_fee=2000&new_fee=3000"
                            "&change_date=2026-03-15",
    "due-date": "/api/v1/due-date?account_type=eft&completed=2026-04-01T10:00",
    "due-date, instalments (new)": "/api/v1/due-date?terms=50%25+net+0%3B+50%25+net+30"
                                   "&invoice_date=2026-03-02&amount=5000",
    "due-date, discount (new)": "/api/v1/due-date?terms=2/10+net+30+paydays+5,20"
                                "+roll+following&invoice_date=2026-03-02&amount=1000",
}
CLI_CALLS = {
    "prorate": ["prorate", "--monthly-fee", "2000", "--go-live", "2026-01-07", "--json"],
    "prorate-change": ["prorate-change", "--old-fee", "2000", "--new-fee", "0",
                       "--change-date", "2026-03-15", "--json"],
    "due-date": ["due-date", "--account-type", "eft", "--completed", "2026-11-18T10:00",
                 "--json"],
}
CLI_LIMIT = 0.35  # DESIGN.md: at most this many seconds over `python -c pass`


def rate(work: Callable[[int], object], seconds: float) -> float:
    """Calls of ``work(i)`` per second over about ``seconds`` seconds."""
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            work(count)
            count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def in_process(seconds: float) -> None:
    """Prorations and due dates per second, single thread."""
    usd = currency("USD")
    fees = [Decimal("2000"), Decimal("1999.95"), Decimal("12345.67")]
    start = date(2026, 1, 1)

    def prorate(i: int) -> object:
        go_live = start + timedelta(days=i % 730)
        method = Method.ACTUAL if i % 2 else Method.THIRTY
        return prorate_go_live(fees[i % 3], go_live, currency=usd, method=method).as_dict()

    calendar = BusinessCalendar.for_country("ZA")
    tz = ZoneInfo("Africa/Johannesburg")
    types = list(parse_account_types(DEFAULT_ACCOUNT_TYPES_FILE.read_text("utf-8")).values())
    first = datetime(2026, 1, 1, 9, 0, tzinfo=tz)

    def due(i: int) -> object:
        signed_off = first + timedelta(minutes=97 * i % (60 * 24 * 730))
        return compute_due_date(account_type=types[i % 3], completed=signed_off,
                                calendar=calendar, tz=tz).as_dict()

    def change(i: int) -> object:
        day = start + timedelta(days=i % 730)
        return prorate_change(fees[i % 3], fees[(i + 1) % 3], day, currency=usd).as_dict()

    plans = [parse_terms("50% net 0; 50% net 30"), parse_terms("2/10 net 30 paydays 5,20"),
             parse_terms("30% net 0; 70% eom 60 roll following")]

    def plan(i: int) -> object:
        return compute_due_date(terms=plans[i % 3], invoice_date=start + timedelta(days=i % 730),
                                calendar=calendar, tz=tz, amount=fees[i % 3],
                                currency=usd).as_dict()

    due(0)  # warm the holiday tables
    for label, work in (("prorations/s (go-live)", prorate), ("fee changes/s (new)", change),
                        ("due dates/s", due), ("instalment plans/s (new)", plan)):
        print(f"in-process {label}: {rate(work, seconds):,.0f} "
              f"(1 thread; machine has {CORES} cores)")


def median_seconds(argv: list[str], runs: int) -> float:
    """The median wall time of ``runs`` runs of ``argv`` (each must succeed)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True,  # noqa: S603 - fixed argv
                       timeout=60, cwd=ROOT)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def cli(runs: int) -> None:
    """The calculator commands' median time per call beside ``python -c pass``."""
    script = Path(sys.executable).with_name("sop-portal")
    baseline = median_seconds([sys.executable, "-c", "pass"], runs)
    print(f"CLI, median of {runs} calls (machine has {CORES} cores):")
    print(f"  python -c pass:            {baseline:.3f} s")
    for name, args in CLI_CALLS.items():
        took = median_seconds([str(script), *args], runs)
        verdict = "within" if took - baseline <= CLI_LIMIT else "OVER"
        print(f"  sop-portal {name:<15} {took:.3f} s ({took - baseline:+.3f} s over python -c "
              f"pass; {verdict} the {CLI_LIMIT:.2f} s limit)")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def start_gunicorn(workdir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """The gate under gunicorn (sync workers) on ``port``; output in ``workdir/gunicorn.log``."""
    instance = workdir / "instance"
    instance.mkdir()
    env = {
        **os.environ,
        "SOP_PORTAL_INSTANCE": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
        "OUTBOX_DIR": str(instance / "outbox"),
        "SITE_DIR": str(workdir / "site"),
        "RATELIMIT_ENABLED": "false",
    }
    argv = [sys.executable, "-m", "gunicorn", "--no-control-socket", "--worker-class", "sync",
            "--workers", str(workers), "--bind", f"{LOOPBACK}:{port}", "--log-level",
            "warning", "gate.wsgi:app"]
    log = (workdir / "gunicorn.log").open("wb")
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log,  # noqa: S603 - fixed argv
                            stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn by its process id (TERM, then KILL)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def with_wrk(url: str, seconds: int) -> tuple[float, str]:
    """Requests per second and the p99 latency measured by wrk."""
    wrk = shutil.which("wrk")
    assert wrk is not None
    result = subprocess.run(  # noqa: S603 - fixed argv, loopback URL
        [wrk, f"-t{min(CORES, 4)}", "-c32", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"^\s*99%\s+(\S+)", result.stdout, re.M)  # the latency distribution row
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if non2xx:
        raise RuntimeError(f"{non2xx.group(1)} error answers from {url}")
    return rps, p99.group(1) if p99 else "?"


def with_python(port: int, path: str, seconds: int) -> tuple[float, str]:
    """Requests per second from 8 keep-alive client threads (when wrk is missing)."""
    counts: list[int] = []
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
        done = 0
        while time.monotonic() < deadline:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{response.status} from {path}")
            done += 1
        counts.append(done)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds, "n/a"


def api(seconds: int) -> None:
    """API requests per second under gunicorn on loopback."""
    workers = CORES
    with tempfile.TemporaryDirectory(prefix="sop-calc-bench-") as folder:
        workdir = Path(folder)
        (workdir / "site").mkdir()
        port = free_port()
        server = start_gunicorn(workdir, port, workers)
        try:
            wait_until_up(f"http://{LOOPBACK}:{port}/api/v1/account-types")
            tool = "wrk -c32" if shutil.which("wrk") else "python client, 8 threads"
            print(f"API under gunicorn ({workers} sync workers, {tool}, {seconds} s each, "
                  "rate limits off):")
            for name, path in API_PATHS.items():
                for _ in range(20 * workers):  # warm every worker up
                    urllib.request.urlopen(f"http://{LOOPBACK}:{port}{path}",  # noqa: S310
                                           timeout=10).read()
                if shutil.which("wrk"):
                    rps, p99 = with_wrk(f"http://{LOOPBACK}:{port}{path}", seconds)
                else:
                    rps, p99 = with_python(port, path, seconds)
                print(f"  API {name:<28} requests/s: {rps:>7,.0f} (p99 {p99}; "
                      f"machine has {CORES} cores, shared by server and client)")
        finally:
            stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per in-process figure")
    parser.add_argument("--api-seconds", type=int, default=5, help="per API endpoint")
    parser.add_argument("--cli-runs", type=int, default=7, help="calls per CLI median")
    args = parser.parse_args()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"SOP Portal calculators benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"Python {sys.version.split()[0]}, {CORES} cores, load average {load}")
    in_process(args.seconds)
    cli(args.cli_runs)
    api(args.api_seconds)


if __name__ == "__main__":
    main()
