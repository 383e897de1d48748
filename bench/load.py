"""Load test: many signed-in users at once against the gate under gunicorn, on loopback.

    .venv/bin/python bench/load.py [--duration 20] [--users 12] [--max-requests 50000]

Each virtual user signs in with the real form (CSRF token, production argon2 cost), then
loops over: a restricted page, a restricted download, a calculator call, a public page; every
``--resign-every`` rounds it signs out and in again. The run stops at ``--duration`` seconds
or ``--max-requests`` requests, whichever comes first. Rate limits are raised explicitly for
the run (bench/lib/load_app.py; printed below): every request comes from 127.0.0.1.

Prints requests, errors (must be 0) and p50/p99 latency per kind, then checks that the audit
log holds exactly one entry per sign-in and per download made. Exits 1 on any error or
audit mismatch.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# bench/ itself must not be on the path: bench/calculators.py would shadow the calculators
# package the gate imports. The shared helpers live in bench/lib/.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH / "lib"))

import harness  # noqa: E402
import load_app  # noqa: E402
import mkdocs_sizes  # noqa: E402

PAGES = ("/members/clients/onboarding-checklist", "/members/clients/fluent-boards",
         "/members/clients/", "/members/clients/web-shop-setup")
DOWNLOADS = ("/members/files/forms/plugin-setup-form.docx",
             "/members/files/forms/onboarding-checklist.docx")
CALCULATORS = ("/api/v1/prorate/go-live?monthly_fee=2000&go_live=2026-01-07",
               "/api/v1/due-date?account_type=eft&completed=2026-11-18T10:00",
               "/api/v1/due-date?invoice_date=2019-01-15&terms=eom+45")
PUBLIC_CANDIDATES = ("/", "/sops/billing/", "/sops/onboarding/", "/calculators/", "/glossary/")
ACCOUNT = "Load Client"


@dataclass
class Tally:
    """What all virtual users did, shared under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    sign_ins: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    downloads: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    requests: int = 0

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.requests += 1

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)
            self.requests += 1


@dataclass
class Limits:
    """When the run stops."""

    deadline: float
    max_requests: int

    def over(self, tally: Tally) -> bool:
        return time.monotonic() >= self.deadline or tally.requests >= self.max_requests


def create_users(env: dict[str, str], count: int) -> list[tuple[str, str]]:
    """``count`` client users with production-cost password hashes, straight in the database."""
    from gate import create_app
    from gate.accounts import passwords
    from gate.accounts import services as accounts
    from gate.db import get_session, upgrade

    config = {"INSTANCE_PATH": env["SOP_PORTAL_INSTANCE"],
              **{k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "SITE_DIR", "RESTRICTED_DIR",
                                     "OUTBOX_DIR", "MKDOCS_CONFIG")}}
    app = create_app(config)
    users = []
    with app.app_context():
        upgrade(app)
        db = get_session()
        account = accounts.ensure_account(db, ACCOUNT, "eft")
        for number in range(count):
            email = f"load{number:03d}@example.org"
            password = secrets.token_urlsafe(18)
            user = accounts.create_user(db, email, "client", account=account)
            user.password_hash = passwords.hash_password(password, app.config)
            users.append((email, password))
        db.commit()
    return users


def timed(tally: Tally, browser: harness.Browser, kind: str, path: str, expect: int,
          data: dict[str, str] | None = None) -> tuple[int, bytes] | None:
    """One request: its latency under ``kind``, or an error when the status is unexpected."""
    start = time.perf_counter()
    try:
        status, _, body = browser.request(path, data)
    except OSError as exc:
        tally.error(f"{kind} {path}: {type(exc).__name__}: {exc}")
        return None
    elapsed = time.perf_counter() - start
    if status != expect:
        tally.error(f"{kind} {path}: status {status}, expected {expect}")
        return None
    tally.add(kind, elapsed)
    return status, body


def sign_in(tally: Tally, browser: harness.Browser, email: str, password: str) -> bool:
    """GET the form, POST it; count the sign-in when the gate redirects."""
    got = timed(tally, browser, "sign-in form", "/auth/login", 200)
    if got is None:
        return False
    match = harness._CSRF.search(got[1].decode("utf-8", "replace"))
    if match is None:
        tally.error("sign-in form without a CSRF token")
        return False
    token = match.group(1) or match.group(2)
    posted = timed(tally, browser, "sign-in", "/auth/login", 302,
                   {"email": email, "password": password, "csrf_token": token})
    if posted is None:
        return False
    with tally.lock:
        tally.sign_ins[email] += 1
    return True


def sign_out(tally: Tally, browser: harness.Browser) -> None:
    """POST the sign-out form with its CSRF token."""
    got = timed(tally, browser, "sign-out", "/auth/logout", 200)
    if got is None:
        return
    match = harness._CSRF.search(got[1].decode("utf-8", "replace"))
    if match is None:
        tally.error("sign-out form without a CSRF token")
        return
    timed(tally, browser, "sign-out", "/auth/logout", 302,
          {"csrf_token": match.group(1) or match.group(2)})


@dataclass(frozen=True)
class Plan:
    """The URLs every virtual user cycles through."""

    calculators: Sequence[str]
    public: Sequence[str]
    resign_every: int


def virtual_user(base: str, email: str, password: str, tally: Tally, limits: Limits,
                 plan: Plan, start: threading.Barrier) -> None:
    """Sign in, then loop over the scenario until the run is over."""
    browser = harness.Browser(base)
    start.wait()
    if not sign_in(tally, browser, email, password):
        return
    rounds = 0
    while not limits.over(tally):
        rounds += 1
        timed(tally, browser, "restricted page", PAGES[rounds % len(PAGES)], 200)
        downloaded = timed(tally, browser, "download", DOWNLOADS[rounds % len(DOWNLOADS)], 200)
        if downloaded is not None:
            with tally.lock:
                tally.downloads[email] += 1
        if plan.calculators:
            calc = plan.calculators[rounds % len(plan.calculators)]
            timed(tally, browser, "calculator", calc, 200)
        timed(tally, browser, "public page", plan.public[rounds % len(plan.public)], 200)
        if plan.resign_every and rounds % plan.resign_every == 0 and not limits.over(tally):
            sign_out(tally, browser)
            if not sign_in(tally, browser, email, password):
                return


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) of ``values``, in milliseconds."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0] * 1000
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[max(0, min(98, round(fraction * 100) - 1))] * 1000


def audit_counts(env: dict[str, str], emails: Sequence[str]) -> tuple[dict, dict]:
    """Successful sign-in and download events per email, from the audit log."""
    from sqlalchemy import create_engine, select

    from gate.models import AuditEvent

    engine = create_engine(env["DATABASE_URL"])
    signins: dict[str, int] = defaultdict(int)
    downloads: dict[str, int] = defaultdict(int)
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEvent.action, AuditEvent.email, AuditEvent.outcome)
                            .where(AuditEvent.email.in_(list(emails))))
        for action, email, outcome in rows:
            if action == "signin" and outcome == "ok":
                signins[email] += 1
            elif action == "download" and outcome == "ok":
                downloads[email] += 1
    engine.dispose()
    return signins, downloads


def site_for_run(work: Path) -> Path:
    """The site built by ``make test``/``make serve`` when present, else a fresh build."""
    built = harness.ROOT / "site"
    if (built / "index.html").exists() and (built / ".csp.json").exists():
        return built
    print("no built site/ found: building one", flush=True)
    mkdocs_sizes.time_build(harness.ROOT / "mkdocs.yml", work / "site")
    return work / "site"


def report(tally: Tally, seconds: float) -> None:
    """The per-kind latency table."""
    print()
    print("| kind | requests | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: |")
    everything: list[float] = []
    for kind in sorted(tally.latencies):
        values = tally.latencies[kind]
        everything += values
        print(f"| {kind} | {len(values)} | {percentile(values, 0.5):.1f} | "
              f"{percentile(values, 0.99):.1f} |")
    print(f"| all | {len(everything)} | {percentile(everything, 0.5):.1f} | "
          f"{percentile(everything, 0.99):.1f} |")
    print(f"\nrequests {tally.requests} in {seconds:.1f} s ({tally.requests / seconds:.0f}/s), "
          f"errors {len(tally.errors)}")
    for message in tally.errors[:10]:
        print(f"  error: {message}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load test; exit 1 on errors or an audit mismatch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds (20, max 120)")
    parser.add_argument("--users", type=int, default=12, help="virtual users (12, max 64)")
    parser.add_argument("--max-requests", type=int, default=50_000,
                        help="stop after this many requests (50,000)")
    parser.add_argument("--resign-every", type=int, default=20,
                        help="sign out and in again every N rounds (20; 0: never)")
    parser.add_argument("--workers", type=int, default=harness.GUNICORN_WORKERS,
                        help="gunicorn workers (2)")
    args = parser.parse_args(argv)
    if not (1 <= args.duration <= 120 and 1 <= args.users <= 64
            and 1 <= args.max_requests <= 1_000_000 and 1 <= args.workers <= 16):
        parser.error("bounds: --duration 1..120, --users 1..64, --max-requests 1..1e6, "
                     "--workers 1..16")
    work = Path(tempfile.mkdtemp(prefix="sop-load-"))
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    """Set up the gate, drive it, report, check the audit log."""
    site = site_for_run(work)
    env = harness.gate_env(work, site)
    print(f"creating {args.users} client users (production argon2 cost) ...", flush=True)
    users = create_users(env, args.users)
    print("rate limits raised for this run (every request comes from 127.0.0.1):")
    for key, value in load_app.RAISED_LIMITS.items():
        print(f"  {key} = {value}")
    gate = harness.Gate(work, env)
    port = harness.free_port()
    gate.server = harness.start_process(
        "gate", harness.gunicorn_argv("load_app:app", port, args.workers,
                                      extra=["--pythonpath", str(harness.ROOT / "bench/lib")]),
        port, work, env=env, ready_path="/healthz",
    )
    try:
        probe = harness.Browser(gate.server.base)
        calculators = [c for c in CALCULATORS if probe.request(c)[0] == 200]
        if len(calculators) < len(CALCULATORS):
            print(f"note: calculator API answered for {len(calculators)} of "
                  f"{len(CALCULATORS)} calls; only those are used")
        public = [p for p in PUBLIC_CANDIDATES if probe.request(p)[0] == 200]
        plan = Plan(calculators, public, args.resign_every)
        tally = Tally()
        limits = Limits(time.monotonic() + args.duration, args.max_requests)
        print(f"{args.users} users for {args.duration:.0f} s (at most {args.max_requests} "
              f"requests) against {gate.server.base} with {args.workers} gunicorn workers",
              flush=True)
        barrier = threading.Barrier(args.users)
        started = time.monotonic()
        threads = [threading.Thread(
            target=virtual_user,
            args=(gate.server.base, email, password, tally, limits, plan, barrier),
            daemon=True) for email, password in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.duration + 60)
        elapsed = time.monotonic() - started
    finally:
        gate.server.stop()
    report(tally, elapsed)
    return check_audit(env, tally, [email for email, _ in users], bool(tally.errors))


def check_audit(env: dict[str, str], tally: Tally, emails: list[str], had_errors: bool) -> int:
    """Compare the audit log with what the users did; the exit status."""
    signins, downloads = audit_counts(env, emails)
    made_signins, made_downloads = sum(tally.sign_ins.values()), sum(tally.downloads.values())
    ok_signins = dict(signins) == {k: v for k, v in tally.sign_ins.items() if v}
    ok_downloads = dict(downloads) == {k: v for k, v in tally.downloads.items() if v}
    print(f"audit: {sum(signins.values())} sign-in entries for {made_signins} sign-ins made "
          f"{'OK' if ok_signins else 'MISMATCH'}; {sum(downloads.values())} download entries "
          f"for {made_downloads} downloads made {'OK' if ok_downloads else 'MISMATCH'}")
    return 0 if ok_signins and ok_downloads and not had_errors else 1


if __name__ == "__main__":
    sys.exit(main())
