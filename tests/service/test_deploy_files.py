"""deploy/: compose builds the container file, which is built on `make install` and runs the
workers behind the tested nginx configuration (no container engine runs here)."""

from __future__ import annotations

import yaml

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_compose_builds_the_container_file_and_runs_the_workers() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    sayso = compose["services"]["sayso"]
    build = sayso["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Containerfile"
    assert sayso["command"] == "sayso serve --workers 2"
    environment = sayso["environment"]
    assert environment["SAYSO_RATE_LIMIT_STORE"].startswith("redis://")
    proxy = compose["services"]["proxy"]
    address = proxy["networks"]["default"]["ipv4_address"]
    assert environment["SAYSO_TRUSTED_PROXIES"].split()[0] == address
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]


def test_the_container_file_is_built_on_make_install() -> None:
    lines = (DEPLOY / "Containerfile").read_text().splitlines()
    steps = [line for line in lines if line and not line.startswith(("#", " "))]
    assert any(line.startswith("RUN make install") for line in steps)
    assert steps[-1] == 'CMD ["sayso", "serve", "--workers", "2"]'
    copied = {line.split()[1] for line in steps if line.startswith("COPY ")}
    assert {"index", "service", "evals", "seeds"} <= copied


def test_nginx_forwards_the_client_and_the_request_id() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "proxy_set_header X-Request-ID $sayso_request_id;" in conf
    assert "server sayso:8000;" in conf and "listen 8000;" in conf
