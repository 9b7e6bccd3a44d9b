"""End to end: a real `sayso serve` process, the chat page in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("SAYSO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_LIMIT_S = 600  # building the index with the real model on a busy 2-core machine
WAIT_MS = 180_000

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def _post(url: str, payload: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`sayso serve` on a free port, over the seeds, with the real bundled model."""
    root = tmp_path_factory.mktemp("e2e-server")
    port = _free_port()
    env = os.environ | {
        "SAYSO_INDEX_DIR": str(root / "index"),
        "SAYSO_SEEDS_DIR": str(ROOT / "seeds"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("SAYSO_CORS_ORIGINS", None)
    command = [sys.executable, "-c", "from service.cli import main; main()"]
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"sayso serve exited: {(root / 'server.log').read_text()[-2000:]}")
            try:
                if _get(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("sayso serve did not become ready")
            time.sleep(1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (make browser installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
            headless=True,
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _ask(page: Any, question: str, replies: int) -> Any:
    page.fill("#question", question)
    page.click("#send")
    reply = page.locator(".reply").nth(replies - 1)
    reply.locator(".passage").first.wait_for(timeout=WAIT_MS)
    return reply


def test_chat_page_end_to_end(server: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(server + "/")
    page.locator("#status.ok").wait_for(timeout=WAIT_MS)

    first = _ask(page, "Who is the Roland Berger managing director quoted in the article?", 1)
    assert "Denis Depoux" in first.locator(".passages").inner_text()
    assert first.locator(".passage-text mark").count() >= 1

    # The follow-up only makes sense with the conversation; the page sends it along.
    second = _ask(page, "What did he say about AI?", 2)
    assert "AI will unlock massive opportunities" in second.locator(".passages").inner_text()
    assert "Searched for" in second.locator(".searched").inner_text()

    searched = _post(server + "/v1/search", {"question": "What did Denis Depoux say about AI?"})
    if searched.get("quotes"):
        # Quotes are in the index (quote extraction has landed): the card names the speaker.
        speakers = second.locator(".quote-card .quote-speaker").all_inner_texts()
        assert "Denis Depoux" in speakers

    citation = second.locator(".passage .cite-open").first
    passage_text = second.locator(".passage .passage-text").first.inner_text()
    citation.click()
    mark = page.locator("#reader-body mark.cite")
    mark.wait_for(timeout=WAIT_MS)
    assert mark.inner_text().strip() == passage_text.strip()
    doc_id = page.locator("#reader-body").get_attribute("data-doc-id")
    status, document = _get(f"{server}/v1/documents/{doc_id}")
    assert status == 200
    assert mark.inner_text().strip() in document["text"]

    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
    assert (tmp_path / "chat.png").stat().st_size > 10_000
    outside = [url for url in requests if not url.startswith(server)]
    assert outside == [], "the page must not load anything from the internet"
    page.close()
