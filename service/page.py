"""The chat page at `/`: static HTML, CSS and JavaScript shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def page() -> FileResponse:
    """The chat page."""
    return FileResponse(STATIC / "index.html", media_type="text/html")


def install_page(app: FastAPI) -> None:
    """Serve `/` and its assets under `/static` (nothing is fetched from the internet)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
