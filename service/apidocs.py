"""API docs that work offline: Swagger UI at /docs and ReDoc at /redoc, from local assets.

FastAPI's own pages load their JavaScript and CSS from a CDN (and ReDoc its fonts from
Google), so they are blank on a machine without internet. The `fastapi-offline` package
ships the same Swagger UI 5 and ReDoc bundles as files; they are served under
`/docs-assets` and the pages point there. Only the asset files of that package are used.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"


def assets_dir() -> Path:
    """The folder of Swagger UI and ReDoc bundles shipped by the fastapi-offline package."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def operation_id(route: APIRoute) -> str:
    """A route without an explicit operation id gets its function's (snake_case) name,
    never FastAPI's default `name_path_method` that changes when a path does."""
    return route.name


def install_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets (the app is made with docs_url=None)."""
    router = APIRouter(include_in_schema=False)

    def _root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    @router.get("/docs")
    def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # No badge that asks an online validator about the schema.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    @router.get("/redoc")
    def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} API",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")
