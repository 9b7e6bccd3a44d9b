"""/mcp: the MCP tools (service/mcp_server.py) over streamable HTTP, built on first use.

Stateless with JSON responses, so any worker can answer any request. Reads follow
SAYSO_PROTECT_READS; the write tools are served only to requests carrying the API key.

The MCP SDK takes most of a second to import, more than the rest of the server's start.
So a server is ready without it: the first /mcp request imports the tools on a worker
thread and starts their session managers in the lifespan's task group; later requests
go straight to them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup, TaskStatus
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from index.search import Searcher
from index.updates import IndexHolder
from service.deps import require_reader, require_writer
from service.errors import ApiError, error_response
from service.settings import Settings

if TYPE_CHECKING:
    from mcp.server import MCPServer


class McpEndpoint:
    """The ASGI app at /mcp. `run()` belongs in the app's lifespan."""

    def __init__(
        self,
        settings: Settings,
        searcher: Callable[[], Searcher],
        holder: Callable[[], IndexHolder],
    ) -> None:
        self.settings = settings
        self.searcher = searcher
        self.holder = holder
        self._servers: tuple[MCPServer, MCPServer | None] | None = None
        self._group: TaskGroup | None = None
        self._starting: anyio.Lock | None = None

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        """Hold the task group the session managers will run in (one per lifespan, as the
        SDK needs); they stop with it."""
        async with anyio.create_task_group() as group:
            self._group, self._starting = group, anyio.Lock()
            try:
                yield
            finally:
                group.cancel_scope.cancel()
                self._group = self._starting = self._servers = None

    def _build(self) -> tuple[MCPServer, MCPServer | None]:
        from service.mcp_server import build_server  # the SDK: on first use, see above

        writes = self.settings.api_key is not None
        reader = build_server(self.settings, self.searcher)
        return reader, build_server(self.settings, self.searcher, self.holder) if writes else None

    async def _serve(
        self,
        servers: tuple[MCPServer, MCPServer | None],
        *,
        task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        async with AsyncExitStack() as stack:
            for server in servers:
                if server is not None:
                    server.streamable_http_app(
                        stateless_http=True, json_response=True, host=self.settings.host
                    )
                    await stack.enter_async_context(server.session_manager.run())
            task_status.started()
            await anyio.sleep_forever()

    async def _started(self) -> tuple[MCPServer, MCPServer | None]:
        if self._servers is None:
            if self._group is None or self._starting is None:
                raise ApiError(503, "not_ready", "The service is not ready: MCP is not running.")
            async with self._starting:
                if self._servers is None:
                    servers = await anyio.to_thread.run_sync(self._build)
                    await self._group.start(self._serve, servers)
                    self._servers = servers
        return self._servers

    def _writer_for(self, request: Request, writer: MCPServer | None) -> MCPServer | None:
        """The server with the write tools, for a request that carries the API key."""
        if writer is None:
            return None
        try:
            require_writer(request, self.settings, None)
        except ApiError:
            return None
        return writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            require_reader(request, self.settings)  # refused before anything is built
            reader, writer = await self._started()
        except ApiError as exc:
            response = error_response(exc.status, exc.code, exc.message, headers=exc.headers)
            await response(scope, receive, send)
            return
        server = self._writer_for(request, writer) or reader
        await server.session_manager.handle_request(scope, receive, send)
