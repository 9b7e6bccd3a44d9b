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
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

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


SCREENSHOTS = os.environ.get("SAYSO_SCREENSHOTS")
"""A folder to keep the screenshots in, to look at them (default: the test's tmp_path)."""

HOSTILE = (
    "The harbour board met on Tuesday to discuss the pier.\n"
    "A sign by the gate read <img src=x onerror=\"document.title='pwned'\"> and "
    "<script>document.title='pwned'</script> in red paint.\n"
    '"We will reopen the pier before the summer," said Mara Okafor, the harbour master.\n'
)


def _shot(page: Any, tmp_path: Path, name: str) -> Path:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def _watch(page: Any, server: str) -> tuple[list[Any], list[str]]:
    """Requests the page makes, and its script errors (both checked at the end)."""
    requests: list[Any] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    return requests, errors


def test_page_views_in_the_browser(server: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    requests, errors = _watch(page, server)

    # Ask: the example questions are drawn from the indexed articles.
    page.goto(server + "/")
    page.locator("#examples .chip").first.wait_for(timeout=WAIT_MS)
    _, examples = _get(server + "/v1/examples?limit=6")
    chips = page.locator("#examples .chip").all_inner_texts()
    assert chips == [e["question"] for e in examples["examples"]]
    _shot(page, tmp_path, "ask")
    page.locator("#examples .chip").first.click()
    page.locator(".reply .passage").first.wait_for(timeout=WAIT_MS)
    assert "q=" in page.url  # the question is in the address, to share

    # Documents: the list, and a document opened with its quotes marked.
    page.click('.tabs a[data-view="documents"]')
    page.locator(".doc-row").first.wait_for(timeout=WAIT_MS)
    _, listing = _get(server + "/v1/documents")
    rows = page.locator(".doc-row")
    assert rows.count() == len(listing["documents"])
    rows.first.locator(".doc-open").click()
    page.locator("#reader-body mark.quote").first.wait_for(timeout=WAIT_MS)
    doc_id = page.locator("#reader-body").get_attribute("data-doc-id")
    _, document = _get(f"{server}/v1/documents/{doc_id}")
    _, quotes = _get(f"{server}/v1/quotes?doc_id={doc_id}&limit=1000")
    marks = page.locator("#reader-body mark.quote").all_inner_texts()
    assert marks == [q["text"] for q in sorted(quotes["quotes"], key=lambda q: q["start"])]
    assert page.locator("#reader-body").inner_text().strip() == document["text"].strip()
    assert page.locator("#doc-add").is_visible()  # writes are open on a loopback server
    _shot(page, tmp_path, "documents")

    # Quotes: browse by speaker, then filter by topic.
    page.click('.tabs a[data-view="quotes"]')
    speaker = page.locator('.speaker[data-speaker="Denis Depoux"]')
    speaker.wait_for(timeout=WAIT_MS)
    speaker.click()
    page.locator("#quote-summary", has_text="by Denis Depoux").wait_for(timeout=WAIT_MS)
    names = page.locator("#quote-results .quote-speaker").all_inner_texts()
    assert names and set(names) == {"Denis Depoux"}
    page.fill("#quote-topic", "artificial intelligence")
    page.click('#quote-filter button[type="submit"]')
    page.locator("#quote-summary", has_text="artificial intelligence").wait_for(timeout=WAIT_MS)
    first = page.locator("#quote-results .quote-text").first.inner_text()
    assert "AI" in first, first  # the quote about AI ranks first
    _shot(page, tmp_path, "quotes")

    # Extract: pasted text comes back with its quotes marked at their offsets.
    page.click('.tabs a[data-view="extract"]')
    text = (
        '"We will open two more clinics next year," said Ana Ruiz, the city\'s mayor.\n'
        '"It is a good day for the city \U0001f600," said Bo Chen, a council member. <b>x</b>'
    )
    page.fill("#extract-text", text)
    page.click("#extract-run")
    page.locator("#extract-output mark.quote").first.wait_for(timeout=WAIT_MS)
    extracted = _post(server + "/v1/extract", {"text": text})["quotes"]
    marks = page.locator("#extract-output mark.quote").all_inner_texts()
    assert marks == [text[q["start"] : q["end"]] for q in extracted]  # code point offsets
    assert page.locator("#extract-output").inner_text() == text
    assert page.locator("#extract-output b").count() == 0
    _shot(page, tmp_path, "extract")

    outside = [r.url for r in requests if not r.url.startswith(server)]
    assert outside == [], "the page must not load anything from the internet"
    assert errors == []
    page.close()


def test_deep_links(server: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    _, errors = _watch(page, server)
    page.goto(server + "/?q=" + urllib.parse.quote("What did Denis Depoux say about AI?"))
    reply = page.locator(".reply").first
    reply.locator(".passage").first.wait_for(timeout=WAIT_MS)
    assert page.locator(".turn-user").inner_text() == "What did Denis Depoux say about AI?"
    assert "Denis Depoux" in reply.inner_text()
    _shot(page, tmp_path, "deep-link")

    page.goto(server + "/?speaker=" + urllib.parse.quote("Huang Hanquan"))
    page.locator("#quote-summary", has_text="by Huang Hanquan").wait_for(timeout=WAIT_MS)
    assert page.locator("#view-quotes").is_visible() and not page.locator("#view-ask").is_visible()
    page.goto(server + "/#extract")
    assert page.locator("#view-extract").is_visible()
    _, listing = _get(server + "/v1/documents")
    doc_id = listing["documents"][0]["id"]
    page.goto(f"{server}/?doc={urllib.parse.quote(doc_id)}#documents")
    page.locator(f'#reader-body[data-doc-id="{doc_id}"]').wait_for(timeout=WAIT_MS)
    assert page.locator("#view-documents").is_visible()
    assert errors == []
    page.close()


def test_upload_renders_document_text_as_text(server: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    requests, errors = _watch(page, server)
    page.goto(server + "/#documents")
    page.locator(".doc-row").first.wait_for(timeout=WAIT_MS)

    # The API key entered on the page goes with every request from then on.
    page.fill("#api-key", "page-key")
    keyed = len(requests)
    page.click("#key-save")
    upload = tmp_path / "harbour-notes.txt"
    upload.write_text(HOSTILE, encoding="utf-8")
    page.set_input_files("#doc-file", str(upload))
    page.wait_for_function("document.getElementById('doc-text').value.includes('harbour')")
    assert page.input_value("#doc-id") == "harbour-notes"
    page.fill("#doc-title", "Harbour <b>notes</b>")
    page.click("#doc-save")
    page.locator("#doc-add-status.ok").wait_for(timeout=WAIT_MS)
    row = page.locator('.doc-row[data-doc-id="harbour-notes"]')
    row.wait_for(timeout=WAIT_MS)
    after_key = [r for r in requests[keyed:] if r.url.startswith(server + "/v1/")]
    assert any(r.method == "POST" and r.url.endswith("/v1/documents") for r in after_key)
    assert all(r.headers.get("authorization") == "Bearer page-key" for r in after_key)

    # The title and the text arrive as text: no element is made from them.
    assert row.locator(".doc-open").inner_text() == "Harbour <b>notes</b>"
    row.locator(".doc-open").click()
    page.locator('#reader-body[data-doc-id="harbour-notes"]').wait_for(timeout=WAIT_MS)
    body = page.locator("#reader-body")
    assert "<img src=x onerror=\"document.title='pwned'\">" in body.inner_text()
    assert "<script>" in body.inner_text()
    assert body.locator("img, script, b").count() == 0
    assert page.locator("#reader-title b").count() == 0
    assert page.title() != "pwned"
    _shot(page, tmp_path, "upload")

    # Searching finds it, and the passage shows the markup as text too.
    page.click('.tabs a[data-view="ask"]')
    page.fill("#question", "What did the sign by the harbour gate read?")
    page.click("#send")
    passage = page.locator(".reply .passage", has_text="harbour").first
    passage.wait_for(timeout=WAIT_MS)
    assert "<img src=x" in passage.inner_text() and passage.locator("img").count() == 0

    # Delete it again (the confirmation dialog is accepted).
    page.click('.tabs a[data-view="documents"]')
    row.locator(".doc-delete").click()
    row.wait_for(state="detached", timeout=WAIT_MS)
    status, _ = _get(f"{server}/v1/documents/harbour-notes")
    assert status == 404
    assert page.title() != "pwned" and errors == []
    page.close()


def test_api_docs_render_offline(server: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    requests, errors = _watch(page, server)
    page.goto(server + "/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=WAIT_MS)
    assert "sayso" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".swagger-ui button.authorize").is_visible()  # the bearer scheme
    assert page.locator(".opblock").count() >= 12
    _shot(page, tmp_path, "api-docs")
    outside = [r.url for r in requests if not r.url.startswith(server)]
    assert outside == [], "the API docs must not load anything from the internet"
    assert errors == []
    page.close()
