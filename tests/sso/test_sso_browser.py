"""The SSO sign-in in a real browser (Debian's chromium): the login page's button, the
provider's login page, and back, with every Content-Security-Policy of the way enforced."""

from django.contrib.auth.models import User

from governance.choices import Role
from tests.browser.conftest import BROWSER_TEST

pytestmark = BROWSER_TEST


def test_a_person_signs_in_with_the_button_on_the_login_page(sso, page):
    sso.provider.set_user("lena", "idp-password-1", ["tg-security"])
    refused = []
    page.on("console", lambda message: refused.append(message.text))

    page.goto(f"{sso.tollgate}/pilots/")
    page.click("text=Sign in with Test IdP")
    page.wait_for_url(f"{sso.provider.url}/login/**")
    page.fill("input[name=username]", "lena")
    page.fill("input[name=password]", "idp-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{sso.tollgate}/pilots/")

    assert "lena" in page.content()
    assert not [text for text in refused if "Content Security Policy" in text]
    user = User.objects.get(username="lena")
    assert set(user.groups.values_list("name", flat=True)) == {Role.SECURITY}
