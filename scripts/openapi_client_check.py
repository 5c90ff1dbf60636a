#!/usr/bin/env python3
"""Generates a Python client from the served OpenAPI document and uses it against a real server.

    python3 scripts/openapi_client_check.py PATH/TO/almanac     # exit 0 = every check held

Starts its own `almanac serve` (no Redis, a free loopback port, a temporary data directory
with one client created by `almanac client create`), fetches GET /openapi.json, generates a
client with openapi-python-client (PyPI; `scripts/test.sh` installs it), takes a token, and
through the generated client PUTs a product (created, then replaced with If-Match), searches
for it, and checks that an error answer parses as a Problem. A generator warning fails the
check too: it means an operation of the document is missing or mangled in generated clients.
Run by OpenAPIClientTests (Tests/AlmanacServerTests), so by `scripts/test.sh`.
"""

import ctypes
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

TENANT = "pyclient"
PRODUCT_ID = "pyclient-probe-1"

# NDJSON bodies reach generated clients as raw bytes (the generator has no NDJSON encoder);
# no post hooks (ruff) so the check depends on nothing but the generator itself.
GENERATOR_CONFIG = """\
project_name_override: almanac-client
package_name_override: almanac_client
post_hooks: []
content_type_overrides:
  application/x-ndjson: application/octet-stream
"""


def fail(message):
    raise SystemExit("openapi_client_check: " + message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """The server gets SIGTERM if this script dies first (Linux); elsewhere a no-op."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        fail(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def wait_until_healthy(base, server, log_path):
    # /ready, not /health: the port opens before the services do (data routes answer 503 until then).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"almanac serve exited {server.returncode}:\n{open(log_path).read()[-4000:]}")
        try:
            with urllib.request.urlopen(base + "/ready", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    fail("almanac serve was not ready (/ready 200) within 30 s")


def generate(base, work):
    with urllib.request.urlopen(base + "/openapi.json", timeout=10) as reply:
        content_type = reply.headers.get("Content-Type")
        document = reply.read()
    if content_type != "application/json":
        fail(f"/openapi.json is served as {content_type!r}")
    json.loads(document)
    document_path = os.path.join(work, "openapi.json")
    with open(document_path, "wb") as f:
        f.write(document)
    config_path = os.path.join(work, "generator.yml")
    with open(config_path, "w") as f:
        f.write(GENERATOR_CONFIG)
    output = os.path.join(work, "client")
    result = run([sys.executable, "-m", "openapi_python_client", "generate", "--path", document_path,
                  "--output-path", output, "--config", config_path], cwd=work)
    text = result.stdout + result.stderr
    if "warning" in text.lower():
        fail("openapi-python-client warned about the document:\n" + text)
    sys.path.insert(0, output)
    return importlib.import_module("almanac_client")


def access_token(base, credentials):
    """A token from POST /v1/auth/token, asked without the generated client: its issueToken
    module does not import (openapi-python-client 0.29 annotates a required body with two
    media types as `| Unset` without importing Unset, upstream issue #1451)."""
    form = urllib.parse.urlencode({"grant_type": "client_credentials", **credentials}).encode()
    with urllib.request.urlopen(base + "/v1/auth/token", data=form, timeout=10) as reply:
        return json.load(reply)["access_token"]


def exercise(package, base, token):
    from almanac_client.api.catalogue import put_product, search_products
    from almanac_client.models import Problem, ProductInput, ProductSearchResponse, WriteResult

    client = package.AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

    product = ProductInput(
        title="Almanac generated-client probe", description="written through openapi-python-client",
        brand="Probe Works", category=["main", "probes"], price=742, currency="EUR", in_stock=True,
        tags=["probe"])
    created = put_product.sync_detailed(PRODUCT_ID, client=client, body=product, wait=True)
    if created.status_code != 201 or not isinstance(created.parsed, WriteResult) or created.parsed.version != 1:
        fail(f"putProduct (create) answered {created.status_code}: {created.content!r}")
    product.price = 999
    replaced = put_product.sync_detailed(PRODUCT_ID, client=client, body=product, wait=True, if_match="1")
    if replaced.status_code != 200 or not isinstance(replaced.parsed, WriteResult) or replaced.parsed.version != 2:
        fail(f"putProduct (replace) answered {replaced.status_code}: {replaced.content!r}")
    if replaced.parsed.seq <= created.parsed.seq:
        fail(f"seq did not grow: {created.parsed.seq} then {replaced.parsed.seq}")

    found = search_products.sync(client=client, q="probe", filter_='brand = "Probe Works"', facets="brand")
    if not isinstance(found, ProductSearchResponse):
        fail(f"searchProducts answered {found!r}")
    ids = [hit.id for hit in found.hits]
    if ids != [PRODUCT_ID] or found.total.value != 1:
        fail(f"searchProducts found {ids}, total {found.total.value}")
    hit = found.hits[0].product
    if hit.price != 999 or hit.version != 2 or hit.category != ["main", "probes"]:
        fail(f"searchProducts returned {hit.to_dict()}")
    if found.cache.value != "off":
        fail(f"searchProducts cache is {found.cache.value!r} on a server without Redis")

    refused = search_products.sync(client=client, filter_='price = "abc"')
    if not isinstance(refused, Problem) or refused.status != 400:
        fail(f"a bad filter answered {refused!r}, not a 400 Problem")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="almanac-pyclient-")
    server = None
    try:
        data = os.path.join(work, "data")
        created = run([binary, "client", "create", "--data", data, "--tenant", TENANT, "--name", "pyclient",
                       "--scopes", "catalogue:read catalogue:write"])
        credentials = json.loads(created.stdout)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = os.path.join(work, "serve.log")
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [binary, "serve", "--data", data, "--host", "127.0.0.1", "--port", str(port), "--no-cache"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "LOG_LEVEL": "warning"}, preexec_fn=die_with_parent)
        wait_until_healthy(base, server, log_path)
        package = generate(base, work)
        token = access_token(base, {k: credentials[k] for k in ("client_id", "client_secret")})
        exercise(package, base, token)
        print(f"openapi_client_check: generated client searched and PUT against almanac serve "
              f"in {time.monotonic() - started:.1f} s")
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
