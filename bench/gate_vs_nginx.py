"""How fast is the gate next to nginx and a bare Flask app? One bounded run on loopback.

    .venv/bin/python bench/gate_vs_nginx.py [--duration 5] [--connections 32] [--skip-build]
                                            [--scale]

Scenarios, each measured with ``wrk -t2 -c32 -d5s --latency`` against 127.0.0.1:
  (a) nginx serving the built page as a static file (the machine's limit)
  (b) bench/bare_app.py: Flask + Flask-Login under the same gunicorn settings, a signed-in
      user loaded from one SQLite row per request, a cached string (the floor of any Python
      gate that checks revocation)
  (c) the gate, a public page          (d) the gate, a restricted page, signed in
  (e) the gate, a restricted download  (f) the gate, a calculator call
  (g) the restricted page through the production nginx configuration (deploy/nginx.conf):
      the gate decides, nginx sends the reader's view of the page (X-Accel-Redirect)
  (h) stretch, opt-in: deploy/nginx-authcache.conf (decision cached <= 5 s)
Then the build times of both sites (time per page, members against public), and of generated
public sites of 200 and 1,000 pages. ``--scale`` then measures (d) again on 1,000 generated
restricted pages across 100 client accounts with 10,000 users, and the workers' memory.
Prints one table and the targets with PASS/FAIL; exits 1 when a scenario had errors.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# bench/ itself must not be on the path: bench/calculators.py would shadow the calculators
# package the gate imports. The shared helpers live in bench/lib/.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH / "lib"))

import harness  # noqa: E402
import members_scale  # noqa: E402
import mkdocs_sizes  # noqa: E402
import nginx_confs  # noqa: E402

PUBLIC_PAGE = "index.html"
RESTRICTED_CANDIDATES = ("/members/clients/onboarding-checklist/", "/members/clients/")
DOWNLOAD_CANDIDATES = ("/members/files/forms/plugin-setup-form.docx",)
CALCULATOR = "/api/v1/prorate/go-live?monthly_fee=2000&go_live=2026-01-07"


@dataclass
class WrkResult:
    """What one wrk run measured."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Scenario:
    """One row of the table: a URL, the headers to send and what a good answer contains."""

    key: str
    label: str
    base: str
    path: str
    headers: dict[str, str]
    expect: bytes
    result: WrkResult | None = None
    note: str = ""

    @property
    def url(self) -> str:
        return self.base + self.path


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Requests, requests/s, p50/p99 (ms) and errors from ``wrk --latency`` output."""
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        errors += int(non2xx.group(1))
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    if sockets:
        errors += sum(int(n) for n in sockets.groups())
    return WrkResult(requests, rps, p50, p99, errors)


def run_wrk(wrk: str, url: str, headers: dict[str, str], duration: int, connections: int
            ) -> WrkResult:
    """One bounded wrk run against a loopback URL."""
    if not url.startswith(f"http://{harness.LOOPBACK}:"):
        raise ValueError(f"refusing to load anything but loopback: {url}")
    argv = [wrk, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True,  # noqa: S603
                         timeout=duration + 30)
    return parse_wrk(out.stdout)


def check_answer(scenario: Scenario) -> None:
    """Fetch the scenario's URL once: it must be a 200 carrying the expected bytes."""
    browser = harness.Browser(scenario.base)
    status, _, body = browser.request(scenario.path, headers=scenario.headers)
    if status != 200 or scenario.expect not in body:
        raise RuntimeError(f"({scenario.key}) {scenario.url} answered {status}, not the page: "
                           f"{body[:200]!r}")


def first_ok(browser: harness.Browser, candidates: Sequence[str], cookie: str) -> str:
    """The first candidate path that answers 200 for this signed-in user."""
    for path in candidates:
        status, _, _ = browser.request(path, headers={"Cookie": cookie})
        if status == 200:
            return path
    raise RuntimeError(f"none of {list(candidates)} answered 200 for the signed-in client")


def measure(scenarios: list[Scenario], wrk: str, duration: int, connections: int) -> None:
    """Warm each scenario up briefly, check its answer, then measure it."""
    for scenario in scenarios:
        check_answer(scenario)
        run_wrk(wrk, scenario.url, scenario.headers, 1, connections)
        scenario.result = run_wrk(wrk, scenario.url, scenario.headers, duration, connections)
        check_answer(scenario)  # still signed in, still the page
        r = scenario.result
        print(f"  ({scenario.key}) {r.rps:9.0f} req/s  p50 {r.p50_ms:6.2f} ms  "
              f"p99 {r.p99_ms:6.2f} ms  errors {r.errors}", flush=True)


def ratio(a: float, b: float) -> str:
    return f"{a / b:6.1%}" if b else "   n/a"


def print_table(scenarios: list[Scenario]) -> None:
    """The results with ratios to (a) and (b)."""
    by_key = {s.key: s.result for s in scenarios if s.result}
    base_a, base_b = by_key.get("a"), by_key.get("b")
    print()
    print("| scenario | requests | req/s | p50 ms | p99 ms | errors | req/s vs (a) | "
          "req/s vs (b) | p99 vs (b) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in scenarios:
        r = s.result
        if r is None:
            print(f"| ({s.key}) {s.label} | not run: {s.note} | | | | | | | |")
            continue
        vs_a = ratio(r.rps, base_a.rps) if base_a else "n/a"
        vs_b = ratio(r.rps, base_b.rps) if base_b else "n/a"
        p99_b = f"{r.p99_ms / base_b.p99_ms:.2f}x" if base_b and base_b.p99_ms else "n/a"
        print(f"| ({s.key}) {s.label} | {r.requests} | {r.rps:.0f} | {r.p50_ms:.2f} | "
              f"{r.p99_ms:.2f} | {r.errors} | {vs_a} | {vs_b} | {p99_b} |")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the whole benchmark and print its table; exit 1 if any scenario had errors."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per scenario (5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--skip-build", action="store_true",
                        help="skip the mkdocs build timings of 200 and 1,000 pages")
    parser.add_argument("--scale", action="store_true",
                        help="also measure (d) with 1,000 restricted pages, 100 accounts and "
                             "10,000 users")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 30 or not 1 <= args.connections <= 256:
        parser.error("--duration must be 1..30 and --connections 1..256")
    wrk = harness.require_tool("wrk")
    nginx = harness.require_tool("nginx")
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="gate-vs-nginx-"))
    os.chmod(work, 0o755)  # nginx workers (www-data) read the site from here
    failures: list[str] = []
    try:
        print("sop-portal build of both sites ...", flush=True)
        targets, seconds = members_scale.build(work, harness.ROOT / "restricted",
                                               "http://127.0.0.1:8000")
        site_dir = targets.site_dir
        real = mkdocs_sizes.BuildTime(mkdocs_sizes.count_pages(site_dir), seconds)
        print(f"  {real.pages} public pages in {seconds:.2f} s (members build included)",
              flush=True)
        with harness.servers() as running:
            scenarios, gate = build_scenarios(work, site_dir, nginx, running)
            print(f"wrk -t2 -c{args.connections} -d{args.duration}s per scenario, "
                  "127.0.0.1 only:", flush=True)
            runnable = [s for s in scenarios if not s.note]
            measure(runnable, wrk, args.duration, args.connections)
            print_table(scenarios)
            failures += [f"({s.key}) had {s.result.errors} errors" for s in runnable
                         if s.result and s.result.errors]
            failures += check_targets(scenarios)
            print_revocation(scenarios, gate)
            d = next(s for s in scenarios if s.key == "d")
            print_memory(gate)
        failures += print_members_build_cost(work)
        if not args.skip_build:
            failures += print_build_times(real, work)
        if args.scale and d.result is not None:
            failures += run_scale(work, nginx, wrk, args, d)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\ntotal time {time.monotonic() - started:.0f} s")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if any("errors" in f for f in failures) else 0


def build_scenarios(work: Path, site_dir: Path, nginx: str, running: list[harness.Server]
                    ) -> tuple[list[Scenario], harness.Gate]:
    """Start nginx, the baseline and the gate; return the scenarios and the gate."""
    page = site_dir / PUBLIC_PAGE
    marker = b"<title>"
    static = nginx_confs.start_static(nginx, work, site_dir)
    running.append(static)
    bare_port = harness.free_port()
    bare = harness.start_process(
        "bare", harness.gunicorn_argv("bare_app:create_app()", bare_port,
                                      extra=["--chdir", str(harness.ROOT / "bench")]),
        bare_port, work, env={"BARE_DB": str(work / "bare.sqlite3"), "BARE_PAGE": str(page)},
        ready_path="/login",
    )
    running.append(bare)
    bare_browser = harness.Browser(bare.base)
    bare_browser.request("/login")
    bare_cookie = bare_browser.cookie_header()

    gate = harness.prepare_gate(work / "gate", site_dir)
    server = harness.start_gate(gate)
    running.append(server)
    client = harness.demo_user(gate, "client")
    browser = harness.Browser(server.base)
    status = browser.sign_in(client["email"], client["password"])
    if status not in (302, 303):
        raise RuntimeError(f"the demo client could not sign in (status {status})")
    cookie = browser.cookie_header()
    restricted = first_ok(browser, RESTRICTED_CANDIDATES, cookie)
    download = first_ok(browser, DOWNLOAD_CANDIDATES, cookie)
    signed = {"Cookie": cookie}
    scenarios = [
        Scenario("a", "nginx, static page", static.base, f"/{PUBLIC_PAGE}", {}, marker),
        Scenario("b", "bare Flask-Login, cached string", bare.base, "/page",
                 {"Cookie": bare_cookie}, marker),
        Scenario("c", "gate, public page", server.base, "/", {}, marker),
        Scenario("d", "gate, restricted page", server.base, restricted, signed, marker),
        Scenario("e", "gate, restricted download", server.base, download, signed, b"PK"),
        Scenario("f", "gate, calculator call", server.base, CALCULATOR, {}, b"387.10"),
    ]
    # Behind nginx the gate only decides; a second gate on the same database and build
    # answers with X-Accel-Redirect and nginx sends the bytes.
    (work / "gate-accel").mkdir()
    accel = harness.Gate(work / "gate-accel", {**gate.env, "USE_X_ACCEL_REDIRECT": "true"},
                         users=gate.users)
    running.append(harness.start_gate(accel))
    scenarios += nginx_confs.production_scenarios(nginx, work, site_dir,
                                                  {"g": accel, "h": gate}, running,
                                                  restricted, signed, marker, Scenario)
    return scenarios, gate


def check_targets(scenarios: list[Scenario]) -> list[str]:
    """Print the throughput targets; return the ones missed."""
    by_key = {s.key: s.result for s in scenarios if s.result}
    missed: list[str] = []
    a, b, d, h = (by_key.get(k) for k in "abdh")
    print()
    for key, share in (("c", 0.9), ("e", 0.6), ("g", 0.8)):
        row = by_key.get(key)
        if b and row:
            ok = row.rps >= share * b.rps
            print(f"target ({key}) >= {share:.0%} of (b) req/s: {row.rps / b.rps:.0%} "
                  f"{'PASS' if ok else 'FAIL'}")
            missed += [] if ok else [f"({key}) below {share:.0%} of (b) req/s"]
    if b and d:
        ok_rps = d.rps >= 0.8 * b.rps
        ok_p99 = d.p99_ms <= 1.5 * b.p99_ms
        print(f"target (d) >= 80% of (b) req/s: {d.rps / b.rps:.0%} "
              f"{'PASS' if ok_rps else 'FAIL'}")
        print(f"target (d) p99 <= 1.5x (b): {d.p99_ms / b.p99_ms:.2f}x "
              f"{'PASS' if ok_p99 else 'FAIL'}")
        missed += [] if ok_rps else ["(d) below 80% of (b) req/s"]
        missed += [] if ok_p99 else ["(d) p99 above 1.5x (b)"]
    if a and h:
        ok_h = h.rps >= 0.5 * a.rps
        print(f"stretch (h) >= 50% of (a) req/s: {h.rps / a.rps:.0%} "
              f"{'PASS' if ok_h else 'not met'}")
    return missed


def print_revocation(scenarios: list[Scenario], gate: harness.Gate) -> None:
    """Through (h): revoke the signed-in client and time until its page is refused."""
    h = next((s for s in scenarios if s.key == "h" and s.result), None)
    if h is None:
        return
    seconds = nginx_confs.revocation_delay(h, gate)
    verdict = "PASS" if seconds is not None and seconds <= 5.5 else "FAIL"
    shown = f"{seconds:.1f} s" if seconds is not None else "never (30 s)"
    print(f"stretch (h) revocation takes effect within 5 s: {shown} {verdict}")


def print_memory(gate: harness.Gate) -> None:
    """Resident memory of the gate's workers after the runs."""
    if gate.server is None:
        return
    sizes = members_scale.worker_rss_mb(gate.server.process.pid)
    shown = ", ".join(f"{mb:.0f} MB" for mb in sizes)
    print(f"gate workers' resident memory: {shown}")


def print_members_build_cost(work: Path) -> list[str]:
    """Time per page of the members build against the public build."""
    from gate import sitebuild

    times = {}
    for name, config, docs in (
        ("public", harness.ROOT / "mkdocs.yml", None),
        ("members", harness.ROOT / "mkdocs.members.yml", harness.ROOT / "restricted"),
    ):
        out = work / f"cost-{name}"
        start = time.perf_counter()
        sitebuild.run_mkdocs(config, out, docs_dir=docs,
                             extra={"members_catalogue": str(work / "members-site" /
                                                             ".catalogue.json")})
        times[name] = mkdocs_sizes.BuildTime(mkdocs_sizes.count_pages(out),
                                             time.perf_counter() - start)
    public, members = times["public"], times["members"]
    ok = members.per_page_ms <= public.per_page_ms * 1.1
    print(f"\nbuild time per page: public {public.per_page_ms:.1f} ms ({public.pages} pages), "
          f"members {members.per_page_ms:.1f} ms ({members.pages} pages)")
    print(f"target members build costs no more per page than the public build: "
          f"{members.per_page_ms / public.per_page_ms:.2f}x {'PASS' if ok else 'FAIL'}")
    return [] if ok else ["the members build costs more per page than the public build"]


def run_scale(work: Path, nginx: str, wrk: str, args: argparse.Namespace,
              today: Scenario) -> list[str]:
    """(d) again with 1,000 generated restricted pages, 100 accounts and 10,000 users."""
    print("\nat scale: 1,000 restricted pages across 100 client accounts, 10,000 users ...",
          flush=True)
    folder = work / "scale"
    restricted = members_scale.generate_restricted(folder / "restricted", 100, 10)
    targets, seconds = members_scale.build(folder, restricted, "http://127.0.0.1:8000")
    print(f"  built in {seconds:.1f} s", flush=True)
    with harness.servers() as running:
        gate = harness.prepare_gate(folder / "gate", targets.site_dir)
        members_scale.add_users(gate, 10_000, 100)
        server = harness.start_gate(gate)
        running.append(server)
        client = harness.demo_user(gate, "client")
        browser = harness.Browser(server.base)
        browser.sign_in(client["email"], client["password"])
        signed = {"Cookie": browser.cookie_header()}
        scaled = Scenario("d", "gate, restricted page, at scale", server.base, today.path,
                          signed, b"<title>")
        measure([scaled], wrk, args.duration, args.connections)
        sizes = members_scale.worker_rss_mb(server.process.pid)
    assert today.result is not None and scaled.result is not None
    share = scaled.result.rps / today.result.rps
    ok_rps, ok_rss = share >= 0.9, bool(sizes) and max(sizes) < 200
    print(f"target (d) at scale within 10% of (d) today: {share:.0%} "
          f"{'PASS' if ok_rps else 'FAIL'}")
    print(f"target each worker under 200 MB resident: "
          f"{', '.join(f'{mb:.0f} MB' for mb in sizes)} {'PASS' if ok_rss else 'FAIL'}")
    return ([] if ok_rps else ["(d) at scale more than 10% below (d)"]) + (
        [] if ok_rss else ["a worker above 200 MB at scale"])


def print_build_times(real: mkdocs_sizes.BuildTime, work: Path) -> list[str]:
    """Time builds of generated 200- and 1,000-page sites; return the target if missed."""
    print("\nmkdocs build times (same theme settings, navigation.prune):", flush=True)
    rows = [("real site", real)]
    for pages in (200, 1000):
        rows.append((f"generated {pages} pages", mkdocs_sizes.time_generated(pages, work)))
    print("| site | pages | seconds | ms per page |")
    print("| --- | ---: | ---: | ---: |")
    for name, t in rows:
        print(f"| {name} | {t.pages} | {t.seconds:.2f} | {t.per_page_ms:.1f} |")
    small, large = rows[1][1], rows[2][1]
    growth = large.per_page_ms / small.per_page_ms
    ok = growth <= 1.3
    print(f"target time per page at 1,000 <= 1.3x at 200: {growth:.2f}x "
          f"{'PASS' if ok else 'FAIL'}")
    return [] if ok else ["build time per page grows more than 1.3x from 200 to 1,000 pages"]


if __name__ == "__main__":
    sys.exit(main())
