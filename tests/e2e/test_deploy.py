"""End to end: Debian's nginx with deploy/nginx.conf in front of two sayso processes on one
index, the rate limiter in Debian's redis-server.

Every address in 127.0.0.0/8 is this machine, so a test picks its own client address
(127.0.0.2, 127.0.0.3, ...) and the limiter, which keys on the address nginx forwards,
sees separate clients. A client from "the network" connects from the machine's
non-loopback address.

DEPENDS ON SAYSO_TRUSTED_PROXIES (service/settings.py `trusted_proxies`, the client-address
module of the security work on issue 23): without it sayso takes the proxy's address as
every client's, so the per-client limit and the key-less write refusal cannot hold behind
nginx; those two tests are skipped until the setting exists.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from tests.conftest import ROOT
from tests.processes import (
    build_index,
    free_port,
    nginx,
    nginx_config,
    non_loopback_address,
    redis_server,
    sayso_env,
    sayso_server,
)
from tests.service.test_writes import STORY

pytestmark = pytest.mark.e2e

KEY = "deploy-test-key"
RATE, BURST = 1.0, 5
needs_trusted_proxies = pytest.mark.skipif(
    "trusted_proxies" not in Settings.model_fields,
    reason="needs SAYSO_TRUSTED_PROXIES (security work on issue 23) to see clients behind nginx",
)


@dataclass(frozen=True)
class Deployment:
    proxy: str  # nginx in front of the two keyed processes
    backends: tuple[str, str]  # the two processes, directly
    open_proxy: str  # nginx in front of a third process without an API key
    open_port: int  # the open proxy's port (on every address)
    root: Path  # logs: first.log, second.log, nginx/access.log


def client(address: str) -> httpx.Client:
    """An HTTP client whose connections come from `address`."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("deploy")
    index_dir = root / "index"
    snippet = (ROOT / "deploy" / "nginx.conf").read_text()
    outside = non_loopback_address()
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server(root))
        shared = {
            "trusted_proxies": "127.0.0.1",
            "rate_limit": str(RATE),
            "rate_burst": str(BURST),
            "rate_limit_store": redis,
        }
        env = sayso_env(index_dir, api_key=KEY, **shared)
        build_index(env)
        first = stack.enter_context(sayso_server(env, root / "first.log"))
        second = stack.enter_context(sayso_server(env, root / "second.log"))
        keyless = stack.enter_context(sayso_server(sayso_env(index_dir, **shared), root / "c.log"))
        ports = free_port(), free_port()
        listen = [f"127.0.0.1:{ports[0]}"] + ([f"{outside}:{ports[0]}"] if outside else [])
        upstreams = [first.removeprefix("http://"), second.removeprefix("http://")]
        (root / "nginx").mkdir()
        config = nginx_config(snippet, root / "nginx", listen=listen, upstreams=upstreams)
        stack.enter_context(nginx(config, f"http://127.0.0.1:{ports[0]}/healthz"))
        listen = [f"127.0.0.1:{ports[1]}"] + ([f"{outside}:{ports[1]}"] if outside else [])
        (root / "open").mkdir()
        config = nginx_config(
            snippet, root / "open", listen=listen, upstreams=[keyless.removeprefix("http://")]
        )
        stack.enter_context(nginx(config, f"http://127.0.0.1:{ports[1]}/healthz"))
        yield Deployment(
            proxy=f"http://127.0.0.1:{ports[0]}",
            backends=(first, second),
            open_proxy=f"http://127.0.0.1:{ports[1]}",
            open_port=ports[1],
            root=root,
        )


def test_reads_through_the_proxy_reach_both_processes(deployment: Deployment) -> None:
    with client("127.0.0.4") as http:
        for _ in range(4):  # round robin: two requests to each process
            found = http.get(f"{deployment.proxy}/v1/search", params={"q": "R&D spending"})
            assert found.status_code == 200, found.text
            assert found.json()["passages"]
    access = (deployment.root / "nginx" / "access.log").read_text()
    for backend in deployment.backends:
        assert backend.removeprefix("http://") in access


def test_request_ids_pass_through_both_ways(deployment: Deployment) -> None:
    with client("127.0.0.5") as http:
        given = http.get(f"{deployment.proxy}/healthz", headers={"X-Request-ID": "deploy-rid-1"})
        made = http.get(f"{deployment.proxy}/healthz")
    assert given.headers["x-request-id"] == "deploy-rid-1"
    rid = made.headers["x-request-id"]
    assert len(rid) == 32  # nginx's $request_id, kept by sayso
    access = (deployment.root / "nginx" / "access.log").read_text()
    assert "rid=deploy-rid-1" in access and f"rid={rid}" in access
    wanted = ('"request_id": "deploy-rid-1"', f'"request_id": "{rid}"')
    for _ in range(100):  # the access line is written as the response goes out: may trail it
        logs = "".join((deployment.root / n).read_text() for n in ("first.log", "second.log"))
        if all(w in logs for w in wanted):
            break
        time.sleep(0.05)
    assert all(w in logs for w in wanted), logs[-2000:]


def test_a_keyed_write_is_seen_by_both_processes(deployment: Deployment) -> None:
    story = STORY | {"id": "deploy-story"}
    with client("127.0.0.6") as http:
        refused = http.post(f"{deployment.proxy}/v1/documents", json=story)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"
        written = http.post(
            f"{deployment.proxy}/v1/documents",
            json=story,
            headers={"Authorization": f"Bearer {KEY}"},
        )
        assert written.status_code == 201, written.text
        for backend in deployment.backends:
            assert http.get(f"{backend}/v1/documents/deploy-story").status_code == 200
            found = http.get(f"{backend}/v1/search", params={"q": "electric cranes harbour"})
            assert found.json()["passages"][0]["doc_id"] == "deploy-story"


@needs_trusted_proxies
def test_a_keyless_write_from_the_network_is_refused(deployment: Deployment) -> None:
    outside = non_loopback_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback address")
    story = STORY | {"id": "from-the-network"}
    with client(outside) as http:
        answer = http.post(f"http://{outside}:{deployment.open_port}/v1/documents", json=story)
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "writes_disabled"
    with client("127.0.0.7") as http:
        assert http.get(f"{deployment.open_proxy}/v1/documents/from-the-network").status_code == 404


@needs_trusted_proxies
def test_each_client_has_its_own_limit_across_both_processes(deployment: Deployment) -> None:
    with client("127.0.0.2") as http:
        statuses = [
            http.get(f"{deployment.proxy}/v1/documents").status_code for _ in range(3 * BURST)
        ]
        limited = http.get(f"{deployment.proxy}/v1/documents")
    allowed = statuses.count(200)
    # One bucket in Redis for both processes: the burst plus what refilled meanwhile, not
    # a burst per process.
    assert BURST <= allowed <= BURST + 2, statuses
    assert statuses.count(429) == len(statuses) - allowed
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    with client("127.0.0.3") as http:
        assert http.get(f"{deployment.proxy}/v1/documents").status_code == 200
