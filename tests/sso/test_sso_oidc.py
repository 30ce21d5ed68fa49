"""Single sign-on against a real OpenID Connect provider (tests/oidc_idp, its own process).

Each test drives the authorization-code flow with a real HTTP client following redirects
between Tollgate (pytest-django's live server) and the provider: no part of it is mocked.
"""

from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, User

from governance.choices import Role
from governance.services.sso import SSO_ROLES_SYNCED

# The live server runs in a thread of this process: rows must be committed for it to see them,
# and the role groups the migrations made must survive each test's flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "idp-password-1"


def _roles(username: str) -> set[str]:
    user = User.objects.get(username=username)
    return set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))


def _signed_in_as(sso, browser) -> str | None:
    """Whom Tollgate's home page greets in this browser (None: sent to the login page)."""
    home = browser.get(f"{sso.tollgate}/")
    if urlsplit(str(home.url)).path.startswith("/accounts/login/"):
        return None
    assert home.status_code == 200
    return home.text


def test_it_creates_the_user_with_the_mapped_roles_at_first_sign_in(sso):
    sso.provider.set_user("alice", PASSWORD, ["tg-security", "tg-finance", "engineering"])

    _browser, done = sso.sign_in("alice", PASSWORD)

    assert done.status_code == 200
    assert str(done.url) == f"{sso.tollgate}/"
    assert "alice" in done.text
    user = User.objects.get(username="alice")
    assert _roles("alice") == {Role.SECURITY, Role.FINANCE}
    assert user.is_staff  # roles work in the admin
    assert not user.has_usable_password()  # nothing to guess: the IdP holds the credential
    assert user.email == "alice@idp.example.com"
    entry = LogEntry.objects.get(object_pk=str(user.pk), additional_data__event=SSO_ROLES_SYNCED)
    assert entry.additional_data["added"] == [Role.FINANCE, Role.SECURITY]
    assert entry.actor == user


def test_a_group_removed_at_the_provider_removes_the_role_at_the_next_sign_in(sso):
    sso.provider.set_user("bob", PASSWORD, ["tg-security", "tg-finance"])
    sso.sign_in("bob", PASSWORD)
    assert _roles("bob") == {Role.SECURITY, Role.FINANCE}

    sso.provider.set_user("bob", PASSWORD, ["tg-finance", "tg-audit"])
    _browser, done = sso.sign_in("bob", PASSWORD)

    assert str(done.url) == f"{sso.tollgate}/"
    assert _roles("bob") == {Role.FINANCE, Role.AUDITOR}
    user = User.objects.get(username="bob")
    last = LogEntry.objects.filter(
        object_pk=str(user.pk), additional_data__event=SSO_ROLES_SYNCED
    ).latest("pk")
    assert last.additional_data["removed"] == [Role.SECURITY]
    assert last.additional_data["added"] == [Role.AUDITOR]
    assert last.changes_dict["roles"] == [
        [Role.FINANCE, Role.SECURITY],
        [Role.AUDITOR, Role.FINANCE],
    ]
    # One account for one identity: the second sign-in found the first one's user.
    assert User.objects.filter(username__startswith="bob").count() == 1


def test_groups_that_are_not_roles_are_left_alone(sso):
    sso.provider.set_user("carol", PASSWORD, ["tg-security"])
    sso.sign_in("carol", PASSWORD)
    user = User.objects.get(username="carol")
    local = Group.objects.create(name="reading-club")
    user.groups.add(local)

    sso.provider.set_user("carol", PASSWORD, [])
    sso.sign_in("carol", PASSWORD)

    assert set(user.groups.values_list("name", flat=True)) == {"reading-club"}


def test_an_unmapped_user_signs_in_with_no_role(sso):
    sso.provider.set_user("dave", PASSWORD, ["engineering", "everyone"])

    browser, done = sso.sign_in("dave", PASSWORD)

    assert str(done.url) == f"{sso.tollgate}/"
    user = User.objects.get(username="dave")
    assert _roles("dave") == set()
    assert not user.is_staff
    assert not user.has_perm("governance.view_pilot")
    # Nothing changed, so nothing to audit beyond the account itself.
    assert not LogEntry.objects.filter(additional_data__event=SSO_ROLES_SYNCED).exists()
    # Signed in, but the API refuses what the role would have given.
    assert browser.get(f"{sso.tollgate}/api/v1/pilots/").status_code == 403


def test_a_wrong_password_at_the_provider_signs_no_one_in(sso):
    sso.provider.set_user("erin", PASSWORD, ["tg-security"])

    browser, done = sso.sign_in("erin", "not-the-password")

    assert urlsplit(str(done.url)).netloc == urlsplit(sso.provider.url).netloc
    assert not User.objects.filter(username="erin").exists()
    assert _signed_in_as(sso, browser) is None


def _state_of(redirect) -> str:
    return parse_qs(urlsplit(redirect.headers["Location"]).query)["state"][0]


def test_a_forged_state_is_refused(sso):
    sso.provider.set_user("frank", PASSWORD, ["tg-security"])
    browser = sso.browser()
    sso.start(browser)

    callback = browser.get(
        f"{sso.tollgate}/accounts/oidc/test-idp/login/callback/",
        params={"code": "anything", "state": "forged-state"},
    )

    assert "Third-Party Login Failure" in callback.text
    assert _signed_in_as(sso, browser) is None
    assert not User.objects.filter(username="frank").exists()


def test_a_state_from_another_browser_is_refused(sso):
    """A callback link made for one browser (a login CSRF) does nothing in another."""
    sso.provider.set_user("grace", PASSWORD, ["tg-security"])
    victim = sso.browser()
    stolen_state = _state_of(sso.start(sso.browser()))
    sso.start(victim)

    callback = victim.get(
        f"{sso.tollgate}/accounts/oidc/test-idp/login/callback/",
        params={"code": "anything", "state": stolen_state},
    )

    assert "Third-Party Login Failure" in callback.text
    assert _signed_in_as(sso, victim) is None


def test_a_forged_authorization_code_is_refused_by_the_provider(sso):
    sso.provider.set_user("heidi", PASSWORD, ["tg-security"])
    browser = sso.browser()
    state = _state_of(sso.start(browser))

    callback = browser.get(
        f"{sso.tollgate}/accounts/oidc/test-idp/login/callback/",
        params={"code": "forged-code", "state": state},
    )

    assert "Third-Party Login Failure" in callback.text
    assert _signed_in_as(sso, browser) is None
    assert not User.objects.filter(username="heidi").exists()


def test_a_replayed_authorization_code_is_refused(sso):
    sso.provider.set_user("ivan", PASSWORD, ["tg-security"])
    browser = sso.browser()
    to_provider = sso.start(browser)
    login_page = browser.get(to_provider.headers["Location"])
    next_url = parse_qs(login_page.url.query.decode())["next"][0]
    to_callback = browser.post(
        f"{sso.provider.url}/login/",
        data={
            "csrfmiddlewaretoken": browser.cookies["idp_csrftoken"],
            "username": "ivan",
            "password": PASSWORD,
            "next": next_url,
        },
        follow_redirects=False,
    )
    # The provider's answer to the login, then its redirect to Tollgate with a code.
    authorize = browser.get(
        urljoin(sso.provider.url, to_callback.headers["Location"]), follow_redirects=False
    )
    callback_url = authorize.headers["Location"]
    assert callback_url.startswith(f"{sso.tollgate}/accounts/oidc/test-idp/login/callback/")
    first = browser.get(callback_url)
    assert str(first.url) == f"{sso.tollgate}/"

    attacker = sso.browser()
    sso.start(attacker)
    replay = attacker.get(callback_url)

    assert "Third-Party Login Failure" in replay.text
    assert _signed_in_as(sso, attacker) is None


def test_with_local_passwords_off_sso_signs_in_and_the_session_gets_an_api_token(sso, settings):
    settings.TOLLGATE_LOCAL_PASSWORDS = False
    sso.provider.set_user("judy", PASSWORD, ["tg-finance"])

    browser, done = sso.sign_in("judy", PASSWORD)
    assert str(done.url) == f"{sso.tollgate}/"

    # knox still issues tokens: to the signed-in session, not to a password.
    token = browser.post(
        f"{sso.tollgate}/api/v1/auth/token/",
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
    )
    assert token.status_code == 200, token.text
    key = token.json()["token"]
    # The token alone, from a client without the session's cookies.
    api = sso.browser().get(
        f"{sso.tollgate}/api/v1/pilots/", headers={"Authorization": f"Token {key}"}
    )
    assert api.status_code == 200
    refused = browser.post(
        f"{sso.tollgate}/api/v1/auth/token/",
        json={"username": "judy", "password": PASSWORD},
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
    )
    assert refused.status_code == 403


def test_an_idp_user_named_like_a_local_account_never_becomes_it(sso, security):
    """Identity is the IdP's `sub`, never a matching username or e-mail address."""
    sso.provider.set_user("security", PASSWORD, ["engineering"])

    browser, done = sso.sign_in("security", PASSWORD)

    assert str(done.url) == f"{sso.tollgate}/"
    newcomer = User.objects.exclude(pk=security.pk).get(socialaccount__provider="test-idp")
    assert newcomer.username != "security"
    assert _roles("security") == {Role.SECURITY}  # the local account is untouched
    assert newcomer.groups.count() == 0
    assert f"{newcomer.username}" in _signed_in_as(sso, browser)


def test_the_sign_in_returns_to_the_page_asked_for(sso):
    sso.provider.set_user("kim", PASSWORD, ["tg-finance"])
    browser = sso.browser()

    browser.get(f"{sso.tollgate}/notifications/")  # sent to the login page with ?next=
    browser, done = sso.sign_in("kim", PASSWORD, browser=browser, next_url="/notifications/")

    assert str(done.url) == f"{sso.tollgate}/notifications/"
