"""The API as integrators meet it: a client generated from the schema imports and works.

openapi-python-client (pinned in the dev extra) is what an integrator runs on our schema; a
JSON operation that also advertised form and multipart bodies, or a component named like a
class of the client ("Response"), made whole operation modules fail to import.
"""

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from tests.factories import PASSWORD

PACKAGE = "tollgate_api_client"
# The only operations that take a file; every other body is JSON and nothing else.
UPLOADS = {
    ("/api/v1/benefits/", "post"),
    ("/api/v1/evidence/", "post"),
    ("/api/v1/imports/", "post"),
    ("/api/v1/packets/verify/", "post"),
}


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("schema") / "openapi.yml"
    call_command("spectacular", "--file", str(out))
    return out


@pytest.fixture(scope="module")
def schema(schema_file) -> dict:
    return yaml.safe_load(schema_file.read_text())


@pytest.fixture(scope="module")
def generated_client(schema_file, tmp_path_factory):
    """The client package generated from the schema, importable for this module's tests."""
    out = tmp_path_factory.mktemp("client")
    config = out / "config.yml"
    # No post hooks: the generated code is imported, not linted.
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    generator = Path(sys.executable).parent / "openapi-python-client"
    command = [str(generator), "generate", "--path", str(schema_file), "--config", str(config)]
    done = subprocess.run(  # noqa: S603 - our own schema, our own pinned generator
        [*command, "--output-path", str(out / "client")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(out / "client"))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out / "client"))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_json_operations_accept_json_only_and_uploads_multipart_only(schema):
    bodies = {
        (path, method): set(operation["requestBody"]["content"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }
    assert bodies, "the schema has no request bodies"
    wrong = {
        key: types
        for key, types in bodies.items()
        if types != ({"multipart/form-data"} if key in UPLOADS else {"application/json"})
    }
    assert wrong == {}


def test_component_names_say_request_once_and_shadow_no_client_class(schema):
    names = set(schema["components"]["schemas"])
    assert {"RoiRequest", "TokenRequest", "BulkRequest", "ChecklistResponse"} <= names
    assert [n for n in names if n.endswith("RequestRequest")] == []
    # The generated client has its own Response class in every operation module.
    assert "Response" not in names


def test_every_module_of_the_generated_client_imports(generated_client):
    api = importlib.import_module(f"{PACKAGE}.api")
    failed, imported = {}, 0
    for module in pkgutil.walk_packages(api.__path__, f"{api.__name__}."):
        try:
            importlib.import_module(module.name)
        except Exception as error:  # every failure is reported, not only the first
            failed[module.name] = repr(error)
        else:
            imported += 1
    assert failed == {}
    assert imported > 100


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_generated_client_signs_in_and_lists_pilots(generated_client, live_server, ai_pm):
    from tollgate_api_client import AuthenticatedClient, Client
    from tollgate_api_client.api.auth import auth_token_create
    from tollgate_api_client.api.pilots import pilots_list
    from tollgate_api_client.models import Token, TokenRequest

    token = auth_token_create.sync(
        client=Client(base_url=live_server.url),
        body=TokenRequest(username=ai_pm.username, password=PASSWORD),
    )
    assert isinstance(token, Token), token

    client = AuthenticatedClient(base_url=live_server.url, token=token.token, prefix="Token")
    page = pilots_list.sync(client=client)
    assert page.count == 0
    assert page.results == []


@pytest.mark.django_db
def test_a_json_operation_refuses_a_form_body_with_a_415(api, ai_pm):
    refused = api.post(
        "/api/v1/auth/token/",
        {"username": ai_pm.username, "password": PASSWORD},
        format="multipart",
    )
    assert refused.status_code == 415
    assert "multipart/form-data" in refused.json()["message"]
    accepted = api.post("/api/v1/auth/token/", {"username": ai_pm.username, "password": PASSWORD})
    assert accepted.status_code == 200
