"""Cached pages are never stale: any write to a table they read renders them afresh (issue 9)."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection, transaction
from django.middleware.csrf import _unmask_cipher_token
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.models import Pilot, Team
from governance.services import pilots as ps
from tests.factories import TeamFactory, UserFactory
from vendors import pagecache

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx), response.content.decode()


def _generation(table: str) -> int:
    return pagecache.generations([table])[0]


# --- which statements write which tables ---------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ('INSERT INTO "governance_pilot" ("title") VALUES (%s)', {"governance_pilot"}),
        ('UPDATE "governance_pilot" SET "title" = %s', {"governance_pilot"}),
        ('DELETE FROM "governance_baseline" WHERE id = 1', {"governance_baseline"}),
        # The ingest's upsert: a CTE that writes measurements and their audit entries.
        (
            'WITH up AS (INSERT INTO "governance_measurement" SELECT * FROM tmp '
            "ON CONFLICT (pilot_id) DO UPDATE SET value = EXCLUDED.value RETURNING id) "
            'INSERT INTO "auditlog_logentry" SELECT id FROM up',
            {"governance_measurement", "auditlog_logentry"},
        ),
        # SQLite's conflict clauses (bulk_create(ignore_conflicts=True), a many-to-many add).
        (
            'INSERT OR IGNORE INTO "auth_group_permissions" VALUES (1, 2)',
            {"auth_group_permissions"},
        ),
        ('REPLACE INTO "governance_team" VALUES (1)', {"governance_team"}),
        ('UPDATE OR ROLLBACK "governance_team" SET name = 1', {"governance_team"}),
        ('SELECT * FROM "governance_pilot" FOR UPDATE', set()),
        ('SAVEPOINT "s1"', set()),
        ('INSERT INTO "django_session" VALUES (%s)', set()),  # no page shows sessions
        ('update "auth_user_groups" set group_id = 1', {"auth_user_groups"}),
        ('UPDATE "public"."auth_user_groups" SET group_id = 1', {"auth_user_groups"}),
        ("INSERT INTO public.governance_pilot VALUES (1)", {"governance_pilot"}),
        ('SELECT 1; UPDATE "governance_pilot" SET title = 1', {"governance_pilot"}),
    ],
)
def test_a_statement_names_the_tracked_tables_it_writes(sql, tables):
    assert pagecache.tables_written(sql) == tables


def test_a_truncate_is_taken_to_write_everything():
    # Django's flush truncates every table in one statement.
    sql = 'TRUNCATE "django_session", "auth_user_groups", "governance_pilot";'
    assert pagecache.tables_written(sql) == pagecache.tracked_tables()


def test_a_statement_that_cannot_be_read_is_taken_to_write_everything():
    from psycopg import sql

    assert pagecache.tables_written(sql.SQL("SELECT 1")) == pagecache.tracked_tables()


def test_every_kind_of_write_bumps_the_generation(pilot):
    before = _generation("governance_pilot")
    pilot.save()  # a model save
    after_save = _generation("governance_pilot")
    Pilot.objects.filter(pk=pilot.pk).update(title="Renamed")  # a queryset update
    after_update = _generation("governance_pilot")
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute('UPDATE "governance_pilot" SET title = %s', ["Raw"])
    assert before < after_save < after_update < _generation("governance_pilot")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transaction_bumps_once_at_its_commit():
    team = TeamFactory()
    autocommit = _generation("governance_team")
    Team.objects.filter(pk=team.pk).update(name="Autocommitted")
    before = _generation("governance_team")
    assert before == autocommit + 1  # right after a statement that committed by itself
    with transaction.atomic():
        Team.objects.filter(pk=team.pk).update(name="Renamed")
        Team.objects.filter(pk=team.pk).update(name="Renamed again")
        assert _generation("governance_team") == before  # nobody else sees the rows yet
    assert _generation("governance_team") == before + 1  # once, at the commit


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_savepoint_does_not_lose_the_commit_bump():
    team = TeamFactory()
    with transaction.atomic():
        try:
            with transaction.atomic():
                Team.objects.filter(pk=team.pk).update(name="Undone")
                raise RuntimeError("roll the savepoint back, and its on-commit callbacks")
        except RuntimeError:
            pass
        middle = _generation("governance_team")
        Team.objects.filter(pk=team.pk).update(name="Kept")
    assert _generation("governance_team") == middle + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_commit_callback_does_not_skip_the_bump():
    team = TeamFactory()

    def broker_down():
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError), transaction.atomic():
        transaction.on_commit(broker_down)  # registered first, and not robust
        Team.objects.filter(pk=team.pk).update(name="Committed")
        middle = _generation("governance_team")
    assert Team.objects.get(pk=team.pk).name == "Committed"
    assert _generation("governance_team") == middle + 1


def test_nothing_is_cached_or_served_inside_a_transaction_that_wrote(auditor_client, pilot):
    url = f"/pilots/{pilot.pk}/"
    auditor_client.get(url)
    with pytest.raises(RuntimeError), transaction.atomic():
        Pilot.objects.filter(pk=pilot.pk).update(title="Never committed")
        assert "Never committed" in auditor_client.get(url).content.decode()
        raise RuntimeError("roll back")
    page = auditor_client.get(url).content.decode()
    assert "Never committed" not in page
    assert "Helix in payments" in page


def test_two_databases_sharing_a_cache_never_share_a_key(persona, monkeypatch):
    computed = []

    def compute():
        computed.append(1)
        return {"governance.approve_pilot"}

    pagecache.remembered("probe", [1], ["auth_user"], compute)
    pagecache.remembered("probe", [1], ["auth_user"], compute)
    assert len(computed) == 1
    monkeypatch.setitem(connection.settings_dict, "NAME", "another_database")
    pagecache.remembered("probe", [1], ["auth_user"], compute)
    assert len(computed) == 2


def test_a_session_signed_in_before_the_permission_cache_stays_valid(client, persona, pilot):
    client.force_login(persona("auditor"), backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(f"/pilots/{pilot.pk}/").status_code == 200


def test_pages_of_another_release_are_not_served(auditor_client, pilot, settings):
    pagecache.release.cache_clear()
    settings.TOLLGATE_RELEASE = "r1"
    cold, _ = _queries(auditor_client, "/pilots/")
    warm, _ = _queries(auditor_client, "/pilots/")
    pagecache.release.cache_clear()
    settings.TOLLGATE_RELEASE = "r2"
    other, _ = _queries(auditor_client, "/pilots/")
    pagecache.release.cache_clear()
    assert warm < cold
    assert other > warm


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_statement_still_bumps():
    """Part of an executemany may have committed before a later row failed."""
    from django.db import IntegrityError

    TeamFactory()
    before = _generation("governance_team")
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute('UPDATE "governance_team" SET name = NULL')
    assert _generation("governance_team") == before + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_manual_transactions_cache_nothing_until_autocommit_is_back():
    team = TeamFactory()
    transaction.set_autocommit(False)
    try:
        Team.objects.filter(pk=team.pk).update(name="Manual")
        assert pagecache.uncommitted_writes()
        transaction.commit()
    finally:
        transaction.set_autocommit(True)
    assert not pagecache.uncommitted_writes()


def test_capturing_on_commit_callbacks_still_gets_its_own(django_capture_on_commit_callbacks):
    # A plain create (the factory's get_or_create opens a transaction): no commit bump yet.
    team = Team.objects.create(name="Capture", cost_centre="CC-1", headcount=3)

    def earlier():
        pass

    def mine():
        pass

    transaction.on_commit(earlier)
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            Team.objects.filter(pk=team.pk).update(name="Renamed")  # registers the bump
        transaction.on_commit(mine)
    assert earlier not in callbacks
    assert mine in callbacks


def test_the_generation_is_read_before_the_user(auditor_client, pilot, monkeypatch):
    """A change to the user committed mid-request must leave the page under an older key."""
    import django.contrib.auth as auth

    order = []
    read_generations, get_user = pagecache.generations, auth.get_user

    def generations(tables):
        order.append("generation")
        return read_generations(tables)

    def user(request):
        order.append("user")
        return get_user(request)

    monkeypatch.setattr(pagecache, "generations", generations)
    monkeypatch.setattr(auth, "get_user", user)
    auditor_client.get(f"/pilots/{pilot.pk}/")
    assert order.index("generation") < order.index("user")


def test_an_evicted_generation_restarts_at_an_epoch_no_key_used_before(pilot):
    before = _generation("governance_pilot")
    cache.delete(pagecache.GENERATION_KEY.format(pagecache.namespace(), "governance_pilot"))
    assert _generation("governance_pilot") > before


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def auditor_client(client, persona):
    client.force_login(persona("auditor"))
    client.get("/")  # the CSRF cookie a browser holds before it opens any page
    return client


PAGES = ["/pilots/", "/pilots/{pk}/", "/api/v1/pilots/", "/admin/governance/measurement/"]


@pytest.mark.parametrize("url", PAGES)
def test_a_repeat_visit_is_served_from_the_cache_with_the_same_content(auditor_client, pilot, url):
    Group.objects.get(name="auditor").user_set.update(is_staff=True)
    url = url.format(pk=pilot.pk)
    cold, first = _queries(auditor_client, url)
    warm, second = _queries(auditor_client, url)
    assert warm < cold
    assert second == first


@pytest.mark.parametrize("url", ["/pilots/", "/pilots/{pk}/", "/api/v1/pilots/"])
def test_a_write_through_any_path_shows_on_the_next_visit(auditor_client, pilot, url):
    url = url.format(pk=pilot.pk)
    assert "Helix in payments" in auditor_client.get(url).content.decode()
    Pilot.objects.filter(pk=pilot.pk).update(title="Helix in billing")
    assert "Helix in billing" in auditor_client.get(url).content.decode()
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "governance_pilot" SET title = %s', ["Helix in treasury"])
    assert "Helix in treasury" in auditor_client.get(url).content.decode()


def test_a_bulk_ingest_shows_on_the_cached_measurement_changelist(
    auditor_client, api_as, platform, approved_pilot, ai_pm
):
    """The ingest writes by a set-based upsert (COPY and one statement on PostgreSQL)."""
    from tests.governance.test_measurements import _rows

    Group.objects.get(name="auditor").user_set.update(is_staff=True)
    with time_machine.travel(approved_pilot.planned_start, tick=False):
        ps.pilot_start(pilot=approved_pilot, actor=ai_pm)
    url = "/admin/governance/measurement/"
    assert "0 measurements" in auditor_client.get(url).content.decode()
    auditor_client.get(url)  # now from the cache
    response = api_as(platform).post(
        "/api/v1/measurements/bulk/", {"measurements": _rows(approved_pilot, n=3)}, format="json"
    )
    assert response.status_code in (200, 201), response.json()
    assert "3 measurements" in auditor_client.get(url).content.decode()


def test_migrate_starts_every_page_afresh():
    from django.core.management import call_command

    before = _generation("governance_pilot")
    call_command("migrate", verbosity=0)  # nothing to apply; a deploy still runs it
    assert _generation("governance_pilot") > before


def test_a_service_write_shows_on_the_owner_page(client, ai_pm, pilot, metrics):
    client.force_login(ai_pm)
    client.get("/")
    client.get(f"/pilots/{pilot.pk}/")
    before = client.get(f"/pilots/{pilot.pk}/").content.decode()  # from the cache
    no_baselines = '<td colspan="6">None yet.</td>'
    assert no_baselines in before
    response = client.post(
        f"/pilots/{pilot.pk}/baselines/",
        {
            "metric": metrics["reviewer-load"].pk,
            "tier": "",
            "value": "42",
            "sample_size": "10",
            "period_start": "2026-09-01",
            "period_end": "2026-10-01",
            "source": "manual",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    shown = client.get(f"/pilots/{pilot.pk}/").content.decode()
    assert "Baseline recorded" in shown  # the flash message: never cached, never skipped
    assert shown != before
    again = client.get(f"/pilots/{pilot.pk}/").content.decode()
    assert "Baseline recorded" not in again  # and shown once only
    assert no_baselines not in again


def test_another_user_never_gets_my_cached_page(client, ai_pm, make_pilot):
    make_pilot(title="Mine only")
    client.force_login(ai_pm)
    client.get("/")
    assert "Mine only" in client.get("/pilots/?mine=1").content.decode()
    client.force_login(UserFactory(username="pm2", role="ai_pm"))
    client.get("/")
    assert "Mine only" not in client.get("/pilots/?mine=1").content.decode()


def test_a_cached_form_carries_a_token_for_this_browsers_csrf_secret(
    client, persona, pilot, complete_pilot, ai_pm
):
    from governance.services import pilots as ps

    complete_pilot(pilot)
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    finance = persona("finance")
    tokens = {}
    for browser in ("laptop", "phone"):
        client.cookies.clear()
        client.force_login(finance)
        client.get("/")
        client.get("/pilots/awaiting-signoff/")
        page = client.get("/pilots/awaiting-signoff/").content.decode()
        token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        secret = client.cookies["csrftoken"].value
        assert _unmask_cipher_token(token) == secret
        tokens[browser] = secret
    assert tokens["laptop"] != tokens["phone"]


def test_a_group_change_renders_the_page_afresh(auditor_client, pilot, persona):
    assert auditor_client.get(f"/pilots/{pilot.pk}/").status_code == 200
    auditor = persona("auditor")
    auditor.groups.clear()  # the m2m table is tracked: no permission outlives its group
    assert auditor_client.get(f"/pilots/{pilot.pk}/").status_code == 403


def test_role_permissions_come_from_the_cache_until_a_grant_changes(persona):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    auditor = persona("auditor")
    fresh = get_user_model().objects.get

    with CaptureQueriesContext(connection) as first:
        assert not fresh(pk=auditor.pk).has_perm("governance.add_pilot")
    with CaptureQueriesContext(connection) as second:
        assert not fresh(pk=auditor.pk).has_perm("governance.add_pilot")
    assert len(second) == len(first) - 2  # the user's and the groups' permission queries

    Group.objects.get(name="auditor").permissions.add(
        Permission.objects.get(codename="add_pilot", content_type__app_label="governance")
    )
    assert fresh(pk=auditor.pk).has_perm("governance.add_pilot")


def test_a_new_day_renders_the_page_afresh(auditor_client, pilot):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        cold, _ = _queries(auditor_client, f"/pilots/{pilot.pk}/")
        warm, _ = _queries(auditor_client, f"/pilots/{pilot.pk}/")
    with time_machine.travel(now + timedelta(days=1), tick=False):
        next_day, _ = _queries(auditor_client, f"/pilots/{pilot.pk}/")
    assert warm < cold
    assert next_day > warm  # rendered again, not served


def test_pages_render_afresh_when_the_cache_fails(auditor_client, pilot, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(pagecache.cache, "get_many", down)
    response = auditor_client.get("/pilots/")
    assert response.status_code == 200
    assert "Helix in payments" in response.content.decode()


def test_the_page_cache_on_a_per_process_cache_is_a_warning(settings):
    for backend in ("locmem.LocMemCache", "filebased.FileBasedCache", "db.DatabaseCache"):
        settings.CACHES = {"default": {"BACKEND": f"django.core.cache.backends.{backend}"}}
        assert [w.id for w in pagecache.check_shared_cache()] == ["tollgate.W001"], backend
    for backend in ("redis.RedisCache", "memcached.PyMemcacheCache"):
        settings.CACHES = {"default": {"BACKEND": f"django.core.cache.backends.{backend}"}}
        assert pagecache.check_shared_cache() == [], backend
    settings.PAGE_CACHE = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert pagecache.check_shared_cache() == []


def test_nothing_is_cached_when_the_page_cache_is_off(auditor_client, pilot, settings):
    settings.PAGE_CACHE = False
    cold, _ = _queries(auditor_client, "/pilots/")
    warm, _ = _queries(auditor_client, "/pilots/")
    assert warm == cold


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_by_the_worker_shows_on_a_cached_page(
    celery_worker_available, client, approved_pilot, ai_pm
):
    """The worker is another process: its bumps reach this one through the shared cache."""
    from governance.services.packets import packet_request

    client.force_login(ai_pm)
    client.get("/")
    url = f"/pilots/{approved_pilot.pk}/"
    packet = packet_request(kind="pilot_charter", subject_id=approved_pilot.pk, actor=ai_pm)
    client.get(url)  # cached while the worker renders (or already rendered)
    for _ in range(240):
        packet.refresh_from_db()
        if packet.status in ("ready", "failed"):
            break
        time.sleep(0.5)
    assert packet.status == "ready"
    assert f"Packet #{packet.pk}</a>: Pilot charter — ready" in client.get(url).content.decode()
