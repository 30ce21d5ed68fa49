"""Cluster smoke run (`make cluster-smoke`): two web nodes, two workers and beat under load
while a worker and a web node are killed; then nothing lost, nothing twice, no stray 5xx.

It owns its database and bucket (dropped and made again), a Redis broker and cache db each,
and every process it starts (stopped by pid, also on failure). See deploy/README.md.
Exits 1 on any violation, after printing the figures.
"""

import contextlib
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = os.environ

DATABASE_URL = ENV.get("SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tollgate_smoke")
BROKER_URL = ENV.get("SMOKE_BROKER_URL", "redis://127.0.0.1:6379/13")
CACHE_URL = ENV.get("SMOKE_CACHE_URL", "redis://127.0.0.1:6379/12")
S3_ENDPOINT = ENV.get("SMOKE_S3_ENDPOINT") or ENV.get("TOLLGATE_TEST_S3_ENDPOINT", "")
S3_BUCKET = ENV.get("SMOKE_S3_BUCKET", "tollgate-smoke")
PORTS = [int(p) for p in ENV.get("SMOKE_PORTS", "8811,8812").split(",")]
# Two minutes for operators; CI may shorten it (SMOKE_DURATION) to fit its budget.
DURATION = int(ENV.get("SMOKE_DURATION", "120"))
USERS = int(ENV.get("SMOKE_USERS", "8"))
OUT = Path(ENV.get("SMOKE_DIR", ROOT / "var" / "smoke"))
# Redis gives a killed worker's unacknowledged task to another after this long; short here so
# the redelivery lands inside the run (production keeps 300 s, above the longest render).
VISIBILITY_TIMEOUT = int(ENV.get("SMOKE_VISIBILITY_TIMEOUT", "20"))
DRAIN_TIMEOUT = int(ENV.get("SMOKE_DRAIN_TIMEOUT", "120"))
PASSWORD = "smoke-" + secrets.token_urlsafe(12)
ROLES = ["security", "legal", "ai_pm", "finance", "platform", "auditor"]
PAGES = {
    "security": ["/", "/pilots/awaiting-signoff/", "/vendors/shortlist/"],
    "legal": ["/", "/vendors/shortlist/", "/notifications/"],
    "ai_pm": ["/", "/pilots/", "/packets/"],
    "finance": ["/", "/finance/", "/packets/"],
    "platform": ["/", "/pilots/", "/vendors/shortlist/"],
    "auditor": ["/", "/packets/", "/pilots/"],
}
# Who asks for each kind of packet (whoever may see the subject may request it).
PACKET_ROLE = {
    "assessment": "security",
    "shortlist": "security",
    "pilot_charter": "ai_pm",
    "checkpoint": "ai_pm",
    "quarterly_review": "finance",
}
# A small gateway log the demo's teams and models can take (platform imports those).
IMPORT_FILE = ROOT / "tests" / "data" / "gateway" / "litellm_spend_logs.csv"
# Slack around a node's down window for requests in flight as it died or came back.
SLACK = 1.0

NODES = [f"http://127.0.0.1:{p}" for p in PORTS]
PROCS: dict[str, subprocess.Popen] = {}
EVENTS: list[dict] = []
violations: list[str] = []


def say(message: str) -> None:
    print(f"[smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)


# A local S3-compatible store takes any credentials; a real one brings its own.
ENV.setdefault("AWS_ACCESS_KEY_ID", "smoke")
ENV.setdefault("AWS_SECRET_ACCESS_KEY", "smoke")
ENV.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def process_env() -> dict:
    env = dict(ENV)
    for name in list(env):
        if name.startswith(("SMOKE_", "PYTEST")):
            env.pop(name)
    env.update(
        DJANGO_SETTINGS_MODULE="governance.config.settings_production",
        SECRET_KEY="smoke-" + secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=DATABASE_URL,
        CELERY_BROKER_URL=BROKER_URL,
        CACHE_URL=CACHE_URL,
        TOLLGATE_S3_BUCKET=S3_BUCKET,
        AWS_S3_ENDPOINT_URL=S3_ENDPOINT,
        STATIC_ROOT=str(OUT / "static"),
        TOLLGATE_VAR_DIR=str(OUT / "var"),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        GUNICORN_WORKERS=ENV.get("SMOKE_GUNICORN_WORKERS", "2"),
        GUNICORN_THREADS="2",
        # The load signs in for API tokens with the seeded passwords; no IdP runs in the smoke.
        TOLLGATE_LOCAL_PASSWORDS="true",
    )
    return env


PENV = process_env()


def manage(*args: str, broker: bool = True, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(PENV)
    if not broker:
        env.pop("CELERY_BROKER_URL")  # tasks in-process (seed_demo renders its own packets)
    return subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=check,
        capture_output=True,
        text=True,
    )


def start(name: str, args: list[str], **extra: str) -> subprocess.Popen:
    """Start a process in a session of its own, so it dies with its children by its pid."""
    log = open(OUT / f"{name}.log", "a")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env={**PENV, **extra},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    PROCS[name] = proc
    say(f"started {name} pid {proc.pid}")
    return proc


def start_web(index: int) -> subprocess.Popen:
    return start(
        f"web{index + 1}",
        [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
        GUNICORN_BIND=f"127.0.0.1:{PORTS[index]}",
    )


def start_worker(index: int) -> subprocess.Popen:
    name = f"worker{index + 1}"
    cmd = [str(BIN / "celery"), "-A", "governance", "worker", "--loglevel=INFO"]
    return start(name, [*cmd, "--concurrency=1", "-n", f"smoke-{name}@%h"])


def kill(name: str, sig: int = signal.SIGKILL) -> None:
    """Signal the process group of a process this run started (its own pid is the group)."""
    proc = PROCS.get(name)
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def stop_all() -> None:
    for name in list(PROCS):
        kill(name, signal.SIGTERM)
    deadline = time.time() + 15
    for name, proc in PROCS.items():
        try:
            proc.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            kill(name)
            proc.wait()


def http(url: str, *, timeout: float = 2.0, **kw) -> tuple[int, bytes]:
    request = urllib.request.Request(url, **kw)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def wait_for(what: str, condition, timeout: float, *, fatal: bool = True) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    if fatal:
        raise SystemExit(f"smoke: timed out waiting for {what}")
    violations.append(f"timed out after {timeout} s waiting for {what}")
    return False


# --- set-up -------------------------------------------------------------------------------
def fresh_database() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def fresh_bucket() -> None:
    import boto3

    s3 = boto3.resource("s3", endpoint_url=S3_ENDPOINT)
    bucket = s3.Bucket(S3_BUCKET)
    if bucket.creation_date is None:
        bucket.create()
    else:
        bucket.objects.all().delete()


def fresh_redis() -> None:
    import redis

    for url in (BROKER_URL, CACHE_URL):
        redis.Redis.from_url(url).flushdb()


def setup_django():
    for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        os.environ[key] = PENV[key]
    for key in ("TOLLGATE_S3_BUCKET", "AWS_S3_ENDPOINT_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
        os.environ[key] = PENV[key]
    os.environ["TOLLGATE_LOG_FORMAT"] = "text"
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def login(role: str) -> tuple[str, str]:
    """A session (for pages) and an API token for a demo user, both over HTTP."""
    import requests

    node = NODES[0]
    proxy = {"X-Forwarded-Proto": "https"}
    page = requests.get(f"{node}/accounts/login/", headers=proxy, timeout=10)
    csrf = page.cookies["csrftoken"]
    # The cookies are Secure, so they are sent by hand over the plain-HTTP hop.
    answer = requests.post(
        f"{node}/accounts/login/",
        data={"username": role, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={
            **proxy,
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"https://127.0.0.1:{PORTS[0]}/",
        },
        allow_redirects=False,
        timeout=10,
    )
    session = answer.cookies.get("sessionid")
    if answer.status_code != 302 or not session:
        raise SystemExit(f"smoke: {role} could not sign in ({answer.status_code})")
    token = requests.post(
        f"{node}/api/v1/auth/token/",
        json={"username": role, "password": PASSWORD},
        headers=proxy,
        timeout=10,
    ).json()["token"]
    return session, token


# --- during the run -----------------------------------------------------------------------
class ReadyPoller(threading.Thread):
    """Asks each node's /readyz twice a second; 0 when it does not answer."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, str, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            for node in NODES:
                status, _ = http(f"{node}/readyz", timeout=1.5)
                self.samples.append((time.time(), node, status))
            self.halt.wait(0.5)


def faults(started: float) -> None:
    """Kill a worker mid-render, then a web node; restart each and note when."""
    from governance.models import Packet

    time.sleep(max(0, started + DURATION * 0.25 - time.time()))
    # Wait (a little) for a render to be running, so the kill lands mid-task.
    deadline = time.time() + 10
    while time.time() < deadline and not Packet.objects.filter(status="rendering").exists():
        time.sleep(0.1)
    rendering = list(Packet.objects.filter(status="rendering").values_list("id", flat=True))
    pid = PROCS["worker1"].pid
    kill("worker1")
    PROCS["worker1"].wait()
    EVENTS.append(
        {"what": "worker1 SIGKILL", "pid": pid, "at": time.time(), "rendering": rendering}
    )
    say(f"killed worker1 (pid {pid}) with SIGKILL; packets rendering then: {rendering}")
    time.sleep(5)
    start_worker(0)
    EVENTS.append({"what": "worker1 restarted", "at": time.time()})

    time.sleep(max(0, started + DURATION * 0.5 - time.time()))
    victim = len(NODES) - 1
    name, node = f"web{victim + 1}", NODES[victim]
    pid = PROCS[name].pid
    down_from = time.time()
    kill(name)
    PROCS[name].wait()
    say(f"killed {name} (pid {pid}, {node}) with SIGKILL")
    time.sleep(8)
    start_web(victim)
    wait_for(f"{name} to answer again", lambda: http(f"{node}/healthz")[0] == 200, 60)
    down_to = time.time()
    EVENTS.append(
        {"what": f"{name} down", "node": node, "pid": pid, "from": down_from, "to": down_to}
    )
    say(f"{name} answers again after {down_to - down_from:.1f} s")


# --- checks -------------------------------------------------------------------------------
def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def check_requests(requests_log: list[dict]) -> None:
    windows = [e for e in EVENTS if "node" in e]
    by_route = defaultdict(list)
    for r in requests_log:
        by_route[r["route"]].append(r)
    print("\nroute                                   requests  errors  5xx/down   p50 ms   p95 ms")
    stray = []
    for route in sorted(by_route):
        rows = by_route[route]
        ok = [r["ms"] for r in rows if 0 < r["status"] < 400]
        errors = [r for r in rows if not 0 < r["status"] < 400]
        down = [r for r in errors if r["status"] == 0 or r["status"] >= 500]
        for r in down:
            inside = any(
                r["node"] == w["node"]
                and r["start"] <= w["to"] + SLACK
                and r["end"] >= w["from"] - SLACK
                for w in windows
            )
            if not inside:
                stray.append(r)
        p50 = percentile(ok, 50) if ok else float("nan")
        p95 = percentile(ok, 95) if ok else float("nan")
        print(f"{route:40s}{len(rows):9d}{len(errors):8d}{len(down):10d}{p50:9.0f}{p95:9.0f}")
    total = len(requests_log)
    errors = [r for r in requests_log if not 0 < r["status"] < 400]
    print(f"{'all':40s}{total:9d}{len(errors):8d}")
    per_node = Counter(r["node"] for r in requests_log)
    print("requests per node: " + ", ".join(f"{n} {c}" for n, c in sorted(per_node.items())))
    refused = [r for r in errors if 0 < r["status"] < 500]
    if refused:
        # A domain answer (a packet already in flight, say), not a fault: shown, not failed.
        print("4xx answers:")
        for (route, status, error), n in Counter(
            (r["route"], r["status"], (r["error"] or "")[:120]) for r in refused
        ).items():
            print(f"  {n} x {status} {route}: {error}")
    lost_posts = [r for r in refused if r["route"].endswith("/measurements/bulk/")]
    if lost_posts:
        violations.append(f"{len(lost_posts)} telemetry posts refused (4xx)")
    if stray:
        violations.append(f"{len(stray)} 5xx or dropped outside a node's down window: {stray[:3]}")
    if total == 0:
        violations.append("no requests were made")


def check_measurements(accepted: list[dict]) -> tuple[int, int, int]:
    from governance.models import Measurement

    posted = {}
    for item in accepted:
        if item["kind"] == "measurements":
            for row in item["rows"]:
                key = (row["metric"], row["tier"], row["period_start"], row["period_end"])
                posted[key] = row["value"]
    pilot = accepted_config["pilot"]
    stored = defaultdict(list)
    rows = Measurement.objects.filter(pilot_id=pilot).values_list(
        "metric__code", "tier", "period_start", "period_end", "value"
    )
    for metric, tier, start_day, end_day, value in rows:
        stored[(metric, tier, start_day.isoformat(), end_day.isoformat())].append(value)
    lost = duplicates = 0
    for key, value in posted.items():
        values = stored.get(key, [])
        if not any(int(v) == int(value) for v in values):
            lost += 1
        duplicates += max(0, len(values) - 1)
    return len(posted), lost, duplicates


def check_packets(accepted: list[dict], seeded: set[int]) -> tuple[int, int]:
    from django.db.models import Count

    from governance.models import Packet, PacketTransition

    requested = {item["id"] for item in accepted if item["kind"] == "packet"}
    wait_for(
        "every requested packet to be ready",
        lambda: not Packet.objects.filter(id__in=requested, status__in=Packet.IN_FLIGHT).exists(),
        DRAIN_TIMEOUT,
        fatal=False,
    )
    ready = Packet.objects.filter(id__in=requested, status="ready").count()
    unexpected = set(Packet.objects.values_list("id", flat=True)) - requested - seeded
    if unexpected:
        violations.append(f"packets no one asked for: {sorted(unexpected)}")
    twice = (
        PacketTransition.objects.filter(packet_id__in=requested, to_status="ready")
        .values("packet_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    if twice.exists():
        violations.append(f"packets ready more than once: {list(twice)}")
    sequences = list(Packet.objects.filter(status="ready").values_list("sequence", flat=True))
    if len(sequences) != len(set(sequences)):
        violations.append("two ready packets share a place in the chain")
    if ready != len(requested):
        states = Packet.objects.filter(id__in=requested).exclude(status="ready")
        detail = [(p.pk, p.status, p.error[:120]) for p in states]
        violations.append(f"packets ready {ready} / requested {len(requested)}: {detail}")
    return len(requested), ready


def check_import(accepted: list[dict]) -> str:
    from governance.models import ImportRun

    ids = [item["id"] for item in accepted if item["kind"] == "import"]
    if len(ids) != 1:
        violations.append(f"{len(ids)} imports accepted (one expected)")
        return "none"
    done = ("succeeded", "failed")
    wait_for(
        "the import to finish",
        lambda: ImportRun.objects.get(pk=ids[0]).status in done,
        DRAIN_TIMEOUT,
        fatal=False,
    )
    run = ImportRun.objects.get(pk=ids[0])
    if run.status != "succeeded":
        violations.append(f"import #{run.pk} {run.status}")
    return f"#{run.pk} {run.status}, rows {run.rows_read}, created {run.created}"


def check_ready(poller: ReadyPoller) -> str:
    windows = [e for e in EVENTS if "node" in e]
    notes = []
    for w in windows:
        samples = [(t, s) for t, n, s in poller.samples if n == w["node"] and t >= w["from"]]
        red = [t for t, s in samples if s != 200]
        green = [t for t, s in samples if s == 200 and red and t > red[0]]
        if not red:
            violations.append(f"/readyz of {w['node']} never went red after the kill")
        elif not green:
            violations.append(f"/readyz of {w['node']} never went green again")
        else:
            red_at, green_at = red[0] - w["from"], green[0] - w["from"]
            notes.append(f"{w['node']} red at +{red_at:.1f} s, green at +{green_at:.1f} s")
    for node in NODES:
        last = [s for t, n, s in poller.samples if n == node][-1:]
        if last != [200]:
            violations.append(f"/readyz of {node} not green at the end ({last})")
    return "; ".join(notes)


# --- the run ------------------------------------------------------------------------------
def main() -> int:
    global accepted_config
    if not S3_ENDPOINT:
        raise SystemExit("smoke: set SMOKE_S3_ENDPOINT (or TOLLGATE_TEST_S3_ENDPOINT)")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.log"):
        old.unlink()
    for old in OUT.glob("*.jsonl"):
        old.unlink()
    began = time.time()
    say(f"database {urlsplit(DATABASE_URL).path.lstrip('/')}, bucket {S3_BUCKET}, nodes {NODES}")
    fresh_database()
    fresh_bucket()
    fresh_redis()
    # Static files do not need the database: collected while it is migrated and seeded.
    collect = subprocess.Popen(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=PENV,
    )
    manage("migrate", "--noinput", "-v", "0")
    say(f"migrated in {time.time() - began:.0f} s")
    manage("seed_demo", "--password", PASSWORD, broker=False)
    if collect.wait() != 0:
        raise SystemExit("smoke: collectstatic failed")
    say(f"seeded and collected in {time.time() - began:.0f} s")

    setup_django()
    from django.contrib.auth.models import User

    from governance.models import Metric, Packet, Pilot
    from governance.services.tokens import service_token_create

    for index in range(len(NODES)):
        start_web(index)
    start_worker(0)
    start_worker(1)
    beat = [str(BIN / "celery"), "-A", "governance", "beat", "--loglevel=INFO"]
    start("beat", [*beat, "--pidfile", str(OUT / "beat.pid")])
    # /readyz wants a fresh worker heartbeat; beat queues one every 300 s, so ask for one now.
    from governance.tasks import heartbeat

    heartbeat.delay()
    for node in NODES:
        wait_for(f"{node}/readyz", lambda node=node: http(f"{node}/readyz")[0] == 200, 90)
    say("both nodes ready")

    pilot = Pilot.objects.filter(status="running").order_by("pk").first()
    platform = User.objects.get(username="platform")
    _, service_key = service_token_create(
        name="smoke-telemetry", scopes=["measurements:write"], actor=platform, pilots=[pilot]
    )
    seeded = list(Packet.objects.values("id", "kind", "subject_id"))
    sessions, tokens = {}, {}
    for role in ROLES:
        sessions[role], tokens[role] = login(role)
    accepted_config = {
        "nodes": NODES,
        "pilot": pilot.pk,
        "pilot_started_on": pilot.started_on.isoformat(),
        "last_day": (date.today() - timedelta(days=1)).isoformat(),
        # Each row's value is its serial number: only metrics without an upper bound take any
        # (a rate or a share is refused past 1 or 100, as the API says).
        "metrics": list(
            Metric.objects.filter(tiered=False, highest__isnull=True).values_list("code", flat=True)
        ),
        "service_token": service_key,
        "tokens": tokens,
        "sessions": sessions,
        "pages": PAGES,
        "packets": [
            {"kind": p["kind"], "subject_id": p["subject_id"], "role": PACKET_ROLE[p["kind"]]}
            for p in seeded
        ],
        "import_kind": "gateway_logs",
        "import_file": str(IMPORT_FILE),
        "import_after": DURATION * 0.15,
    }
    config = OUT / "config.json"
    config.write_text(json.dumps(accepted_config))
    request_log, accepted_log = OUT / "requests.jsonl", OUT / "accepted.jsonl"

    poller = ReadyPoller()
    poller.start()
    say(f"load: {USERS} users for {DURATION} s across {len(NODES)} nodes")
    started = time.time()
    fault_thread = threading.Thread(target=faults, args=(started,), daemon=True)
    fault_thread.start()
    locust = start(
        "locust",
        [
            *(str(BIN / "locust"), "-f", "deploy/smoke/locustfile.py", "--headless"),
            *("-u", str(USERS), "-r", str(USERS), "--run-time", f"{DURATION}s"),
            *("--stop-timeout", "10", "--only-summary", "--csv", str(OUT / "locust")),
        ],
        SMOKE_CONFIG=str(config),
        SMOKE_REQUEST_LOG=str(request_log),
        SMOKE_ACCEPTED_LOG=str(accepted_log),
    )
    locust.wait(DURATION + 60)
    fault_thread.join(60)
    say(f"load done in {time.time() - started:.0f} s; draining")

    accepted = read_lines(accepted_log) if accepted_log.exists() else []
    requests_log = read_lines(request_log) if request_log.exists() else []
    import_note = check_import(accepted)
    requested, ready = check_packets(accepted, {p["id"] for p in seeded})
    verify = manage("verify_packets", "--all", check=False)
    (OUT / "verify_packets.txt").write_text(verify.stdout + verify.stderr)
    if verify.returncode != 0:
        violations.append("verify_packets --all: " + (verify.stdout + verify.stderr)[-400:])
    rows, lost, duplicates = check_measurements(accepted)
    poller.halt.set()
    poller.join()
    ready_note = check_ready(poller)
    check_requests(requests_log)

    done = {e["what"] for e in EVENTS}
    for fault in ("worker1 SIGKILL", "worker1 restarted", f"web{len(NODES)} down"):
        if fault not in done:
            violations.append(f"the fault {fault!r} did not happen (see the output above)")
    redelivered = list(
        Packet.objects.filter(
            id__in=[i for e in EVENTS for i in e.get("rendering", [])]
        ).values_list("id", "attempts", "status")
    )
    print(f"\nfaults: {json.dumps(EVENTS)}")
    print(f"packets rendering at the worker kill (id, attempts, status): {redelivered}")
    print(f"readyz: {ready_note or '-'} (red = not answering 200, e.g. unreachable)")
    print(f"import: {import_note}")
    verified = (verify.stdout.strip().splitlines() or ["-"])[-1]
    print(f"packets: requested {requested}, ready {ready}; verify_packets: {verified}")
    print(f"measurements accepted {rows}, items lost = {lost}, duplicates = {duplicates}")
    if lost or duplicates:
        violations.append(f"measurements: lost {lost}, duplicates {duplicates}")
    print(f"smoke run took {time.time() - began:.0f} s")
    if violations:
        print("\nVIOLATIONS:\n- " + "\n- ".join(violations))
        return 1
    print("cluster smoke: passed")
    return 0


accepted_config: dict = {}


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = main()
    finally:
        stop_all()
    sys.exit(code)
