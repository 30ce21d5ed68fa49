"""Single sign-on through SAML 2.0, against Tollgate's real login, ACS and role sync.

The test plays the identity provider: its own RSA key and self-signed certificate, its
metadata served over HTTP (pytest-httpserver) at the URL TOLLGATE_SAML_METADATA_URL names, and
Responses it builds for the AuthnRequest Tollgate sends and signs with python3-saml's xmlsec
signing. Tollgate, allauth and python3-saml are not mocked: the provider is configured by
governance.sso.saml_apps from the environment, as in production.
"""

import base64
import datetime as dt
import html
import json
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

import environ
import pytest
from auditlog.models import LogEntry
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.contrib.auth.models import User
from django.test import Client
from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from governance.choices import Role
from governance.services.sso import SSO_ROLES_SYNCED
from governance.sso import parse_role_map, saml_apps
from tests.sso.conftest import ROLE_MAP

pytestmark = pytest.mark.django_db

ORGANIZATION = "corp"
IDP_ENTITY_ID = "https://idp.example.test/saml"
IDP_SSO_URL = "https://idp.example.test/saml/sso"
# A dotted host: python3-saml refuses single-label hosts (Django's "testserver") in SP URLs.
HOST = "tollgate.example.test"
ACS_URL = f"http://{HOST}/accounts/saml/{ORGANIZATION}/acs/"
SP_ENTITY_ID = f"http://{HOST}/accounts/saml/{ORGANIZATION}/metadata/"
NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


@dataclass
class Signer:
    """A key and its self-signed certificate (PEM), as an IdP signs with."""

    key: str
    cert: str

    @classmethod
    def fresh(cls, common_name: str) -> "Signer":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        return cls(
            key=key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode(),
            cert=cert.public_bytes(serialization.Encoding.PEM).decode(),
        )

    @property
    def cert_base64(self) -> str:
        return "".join(line for line in self.cert.splitlines() if "CERTIFICATE" not in line)


@pytest.fixture(scope="module")
def idp_signer() -> Signer:
    return Signer.fresh("tollgate-test-idp")


def _metadata(signer: Signer) -> str:
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP_ENTITY_ID}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{signer.cert_base64}</ds:X509Certificate>
      </ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{IDP_SSO_URL}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


@pytest.fixture
def saml(httpserver, idp_signer, monkeypatch, settings):
    """Tollgate configured, from TOLLGATE_SAML_* as in production, for the test's IdP."""
    # A path of its own per test: allauth caches metadata by URL, and each test must fetch it.
    path = f"/metadata-{secrets.token_hex(4)}.xml"
    httpserver.expect_request(path).respond_with_data(
        _metadata(idp_signer), content_type="application/samlmetadata+xml"
    )
    monkeypatch.setenv("TOLLGATE_SAML_METADATA_URL", httpserver.url_for(path))
    monkeypatch.setenv("TOLLGATE_SAML_ORGANIZATION", ORGANIZATION)
    monkeypatch.setenv("TOLLGATE_SAML_NAME", "Corp SAML")
    monkeypatch.setenv("TOLLGATE_SAML_IDP_ENTITY_ID", IDP_ENTITY_ID)
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": saml_apps(environ.Env())}}
    settings.TOLLGATE_SSO_GROUPS_CLAIM = "groups"
    settings.TOLLGATE_SSO_ROLE_MAP = parse_role_map(json.dumps(ROLE_MAP))
    settings.ALLOWED_HOSTS = [HOST]
    return idp_signer


@pytest.fixture
def client():
    """A browser: it sends a Host header (Django's test client does not; python3-saml needs it)."""
    return Client(HTTP_HOST=HOST)


@dataclass
class AuthnRequest:
    """What Tollgate asked the IdP for, read from the redirect's SAMLRequest."""

    id: str
    issuer: str
    acs_url: str
    relay_state: str


def _start(client) -> AuthnRequest:
    """Press "Sign in with Corp SAML" on the login page; read the AuthnRequest it sends."""
    login_page = client.get("/accounts/login/")
    form = re.search(
        r'<form method="post" action="([^"]+)">(?:(?!</form>).)*Sign in with Corp SAML',
        login_page.text,
        re.DOTALL,
    )
    assert form, login_page.text
    assert html.unescape(form.group(1)) == f"/accounts/saml/{ORGANIZATION}/login/"
    redirect = client.post(form.group(1))
    assert redirect.status_code == 302, redirect.text
    location = urlsplit(redirect["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == IDP_SSO_URL
    query = parse_qs(location.query)
    request = etree.fromstring(
        OneLogin_Saml2_Utils.decode_base64_and_inflate(query["SAMLRequest"][0])
    )
    assert request.tag == f"{{{SAMLP}}}AuthnRequest"
    return AuthnRequest(
        id=request.get("ID"),
        issuer=request.findtext(f"{{{SAML}}}Issuer"),
        acs_url=request.get("AssertionConsumerServiceURL"),
        relay_state=query.get("RelayState", [""])[0],
    )


def _instant(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _in_response_to(request: AuthnRequest) -> str:
    return f' InResponseTo="{request.id}"' if request.id else ""


def _assertion(
    request: AuthnRequest,
    *,
    uid: str,
    groups: list[str],
    audience: str,
    lifetime: dt.timedelta = dt.timedelta(minutes=5),
) -> str:
    now = dt.datetime.now(dt.UTC)
    attributes = {
        NAME: [uid],
        EMAIL: [f"{uid}@idp.example.test"],
        "username": [uid],
        "groups": groups,
    }
    statements = "".join(
        f"<saml:Attribute Name={quoteattr(name)}"
        ' NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">'
        + "".join(
            f'<saml:AttributeValue xsi:type="xs:string">{escape(value)}</saml:AttributeValue>'
            for value in values
        )
        + "</saml:Attribute>"
        for name, values in attributes.items()
    )
    return (
        f'<saml:Assertion xmlns:saml="{SAML}" xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' ID="_a{secrets.token_hex(16)}" Version="2.0" IssueInstant="{_instant(now)}">'
        f"<saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>"
        "<saml:Subject>"
        '<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">'
        f"{escape(uid)}</saml:NameID>"
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{_instant(now + lifetime)}"'
        f' Recipient="{request.acs_url}"{_in_response_to(request)}/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{_instant(now - dt.timedelta(minutes=1))}"'
        f' NotOnOrAfter="{_instant(now + lifetime)}">'
        f"<saml:AudienceRestriction><saml:Audience>{escape(audience)}</saml:Audience>"
        "</saml:AudienceRestriction></saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{_instant(now)}"'
        f' SessionIndex="_s{secrets.token_hex(8)}"><saml:AuthnContext>'
        "<saml:AuthnContextClassRef>"
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        f"<saml:AttributeStatement>{statements}</saml:AttributeStatement>"
        "</saml:Assertion>"
    )


def _sign(xml: str, signer: Signer) -> str:
    signed = OneLogin_Saml2_Utils.add_sign(xml, signer.key, signer.cert)
    text = signed.decode() if isinstance(signed, bytes) else signed
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", text)


def _response(request: AuthnRequest, assertion: str) -> str:
    now = dt.datetime.now(dt.UTC)
    xml = (
        f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}"'
        f' ID="_r{secrets.token_hex(16)}" Version="2.0" IssueInstant="{_instant(now)}"'
        f' Destination="{request.acs_url}"{_in_response_to(request)}>'
        f"<saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>"
        f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
        f"</samlp:Status>{assertion}</samlp:Response>"
    )
    return base64.b64encode(xml.encode()).decode()


def _post_to_acs(client, request: AuthnRequest, saml_response: str):
    """The browser's auto-submitted form from the IdP to Tollgate's ACS, redirects followed."""
    return client.post(
        request.acs_url.removeprefix(f"http://{HOST}"),
        {"SAMLResponse": saml_response, "RelayState": request.relay_state},
        follow=True,
    )


def _sign_in(client, signer: Signer, *, uid: str, groups: list[str]):
    request = _start(client)
    assertion = _sign(_assertion(request, uid=uid, groups=groups, audience=request.issuer), signer)
    return _post_to_acs(client, request, _response(request, assertion))


def _signed_in_as(client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def _roles(username: str) -> set[str]:
    user = User.objects.get(username=username)
    return set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))


def test_the_authn_request_names_tollgates_acs_and_entity_id(client, saml):
    request = _start(client)

    assert request.acs_url == ACS_URL
    # The audience an assertion for Tollgate must carry (TOLLGATE_SAML_SP_ENTITY_ID unset).
    assert request.issuer == SP_ENTITY_ID
    assert request.id


def test_tollgates_sp_metadata_gives_the_idp_its_entity_id_and_acs(client, saml):
    metadata = client.get(f"/accounts/saml/{ORGANIZATION}/metadata/")

    assert metadata.status_code == 200
    root = etree.fromstring(metadata.content)
    assert root.get("entityID") == SP_ENTITY_ID
    acs = root.find(".//{urn:oasis:names:tc:SAML:2.0:metadata}AssertionConsumerService")
    assert acs.get("Location") == ACS_URL
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def test_an_organization_that_is_not_configured_has_no_saml_routes(client, saml):
    assert client.get("/accounts/saml/other/metadata/").status_code == 404
    assert client.post("/accounts/saml/other/login/").status_code == 404


def test_the_first_sign_in_creates_the_user_with_the_roles_of_its_groups(client, saml):
    done = _sign_in(client, saml, uid="alice", groups=["tg-security", "tg-finance", "eng"])

    assert done.status_code == 200
    assert done.redirect_chain[-1][0] == "/"
    assert _signed_in_as(client) == "alice"
    user = User.objects.get(username="alice")
    assert user.email == "alice@idp.example.test"
    assert not user.has_usable_password()
    assert user.socialaccount_set.get().provider == f"saml-{ORGANIZATION}"
    assert _roles("alice") == {Role.SECURITY, Role.FINANCE}
    entry = LogEntry.objects.get(object_pk=str(user.pk), additional_data__event=SSO_ROLES_SYNCED)
    assert entry.additional_data["added"] == [Role.FINANCE, Role.SECURITY]


def test_the_next_sign_in_with_other_groups_changes_the_roles(client, saml, django_user_model):
    _sign_in(client, saml, uid="bob", groups=["tg-security", "tg-finance"])
    assert _roles("bob") == {Role.SECURITY, Role.FINANCE}
    client.logout()

    _sign_in(client, saml, uid="bob", groups=["tg-audit"])

    assert _signed_in_as(client) == "bob"
    assert _roles("bob") == {Role.AUDITOR}
    assert django_user_model.objects.filter(username__startswith="bob").count() == 1


def _assert_refused(client, response, username: str):
    assert response.status_code in (401, 403), response.status_code
    assert _signed_in_as(client) is None
    assert not User.objects.filter(username=username).exists()


def test_an_unsigned_assertion_is_refused(client, saml):
    request = _start(client)
    assertion = _assertion(request, uid="mallory", groups=["tg-security"], audience=SP_ENTITY_ID)

    refused = _post_to_acs(client, request, _response(request, assertion))

    _assert_refused(client, refused, "mallory")
    assert "not signed" in refused.context["saml_last_error_reason"]


def test_an_assertion_signed_by_another_key_is_refused(client, saml):
    request = _start(client)
    assertion = _assertion(request, uid="mallory", groups=["tg-security"], audience=SP_ENTITY_ID)
    forged = _sign(assertion, Signer.fresh("tollgate-test-idp"))

    refused = _post_to_acs(client, request, _response(request, forged))

    _assert_refused(client, refused, "mallory")
    assert "Signature validation failed" in refused.context["saml_last_error_reason"]


def test_a_signed_assertion_changed_after_signing_is_refused(client, saml):
    request = _start(client)
    assertion = _assertion(request, uid="mallory", groups=["eng"], audience=SP_ENTITY_ID)
    signed = _sign(assertion, saml)
    tampered = signed.replace(">eng<", ">tg-security<")
    assert tampered != signed

    refused = _post_to_acs(client, request, _response(request, tampered))

    _assert_refused(client, refused, "mallory")
    assert "Signature validation failed" in refused.context["saml_last_error_reason"]


def test_an_assertion_for_another_audience_is_refused(client, saml):
    request = _start(client)
    assertion = _assertion(
        request, uid="mallory", groups=["tg-security"], audience="https://other.example.test/sp"
    )

    refused = _post_to_acs(client, request, _response(request, _sign(assertion, saml)))

    _assert_refused(client, refused, "mallory")
    assert "audience" in refused.context["saml_last_error_reason"].lower()


def test_an_expired_assertion_is_refused(client, saml):
    request = _start(client)
    assertion = _assertion(
        request,
        uid="mallory",
        groups=["tg-security"],
        audience=SP_ENTITY_ID,
        lifetime=dt.timedelta(minutes=-5),
    )

    refused = _post_to_acs(client, request, _response(request, _sign(assertion, saml)))

    _assert_refused(client, refused, "mallory")
    assert "expired" in refused.context["saml_last_error_reason"]


def test_a_replayed_response_is_refused(client, saml):
    """allauth consumes the AuthnRequest's state at the first use of its Response."""
    request = _start(client)
    assertion = _sign(
        _assertion(request, uid="carol", groups=["tg-security"], audience=SP_ENTITY_ID), saml
    )
    saml_response = _response(request, assertion)
    assert _post_to_acs(client, request, saml_response).status_code == 200
    assert _signed_in_as(client) == "carol"

    # The same browser again, and an attacker's browser that started a sign-in of its own.
    again = _post_to_acs(client, request, saml_response)
    attacker = Client(HTTP_HOST=HOST)
    _start(attacker)
    stolen = _post_to_acs(attacker, request, saml_response)

    assert again.status_code == 403
    assert stolen.status_code == 403
    assert _signed_in_as(attacker) is None


def test_an_idp_initiated_response_is_refused(client, saml):
    """No AuthnRequest of Tollgate's behind it: an unsolicited response could be a replay."""
    request = _start(client)
    unsolicited = AuthnRequest(id="", issuer=SP_ENTITY_ID, acs_url=ACS_URL, relay_state="/")
    assertion = _assertion(
        unsolicited, uid="mallory", groups=["tg-security"], audience=SP_ENTITY_ID
    )
    saml_response = _response(unsolicited, _sign(assertion, saml))
    assert b"InResponseTo" not in base64.b64decode(saml_response)

    refused = _post_to_acs(client, request, saml_response)

    _assert_refused(client, refused, "mallory")
