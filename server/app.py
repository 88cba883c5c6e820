"""The Litestar application: routes of every domain, sessions, CSRF, headers, templates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from litestar import Litestar, Request, Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from server.accounts import routes as account_routes
from server.accounts import team_manage, team_routes
from server.accounts.mfa_gate import SecondFactorRequired, requires_second_factor, second_factor_required_handler
from server.accounts.middleware import RequestContextMiddleware
from server.audit import routes as audit_routes
from server.casework import api as casework_api
from server.casework import client_pages, visit_pages
from server.casework import routes as casework_routes
from server.dashboard import routes as dashboard_routes
from server.db.lifecycle import close_database, open_database
from server.observability import metrics
from server.observability.logs import configure_logging
from server.offline import routes as offline_routes
from server.offline.texts import script_texts
from server.pathway import api as pathway_api
from server.pathway import link_pages as pathway_link_pages
from server.pathway import pages as pathway_pages
from server.push import link_routes as push_link_routes
from server.push import routes as push_routes
from server.push.vapid import public_key as push_public_key
from server.release import routes as release_routes
from server.resources import STATIC_DIR
from server.rhythm import routes as rhythm_routes
from server.scope import TeamScope, scope_for
from server.services import api as service_api
from server.services import routes as service_routes
from server.settings import get_settings
from server.web import assets, system_routes
from server.web.compression import CompressionMiddleware
from server.web.errors import EXCEPTION_HANDLERS
from server.web.guards import api_description_visible, app_guards
from server.web.limits import MAX_BODY_BYTES, plausible_path_and_query
from server.web.security_headers import add_security_headers
from server.web.templating import template_config


async def provide_scope(request: Request) -> TeamScope:
    walls = await scope_for(request.user)
    return replace(walls, cross_site=request.headers.get("sec-fetch-site") == "cross-site")


@asynccontextmanager
async def database_lifespan(_app: Litestar) -> AsyncIterator[None]:
    await open_database()
    try:
        yield
    finally:
        await close_database()


def create_app() -> Litestar:
    settings = get_settings()
    configure_logging(settings.log_file)
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        opt={"public": True},
        cache_control=None,
        include_in_schema=False,
    )
    return Litestar(
        route_handlers=[
            *system_routes.ROUTES,
            *metrics.ROUTES,
            *account_routes.ROUTES,
            *team_routes.ROUTES,
            *team_manage.ROUTES,
            *casework_routes.ROUTES,
            *client_pages.ROUTES,
            *visit_pages.ROUTES,
            *casework_api.ROUTES,
            *offline_routes.ROUTES,
            *service_routes.ROUTES,
            *service_api.ROUTES,
            *push_routes.ROUTES,
            *push_link_routes.ROUTES,
            *dashboard_routes.ROUTES,
            *rhythm_routes.ROUTES,
            *audit_routes.ROUTES,
            *assets.ROUTES,
            *release_routes.ROUTES,
            *pathway_pages.ROUTES,
            *pathway_api.ROUTES,
            *pathway_link_pages.ROUTES,
            static,
        ],
        guards=[app_guards(requires_second_factor)],
        dependencies={"walls": Provide(provide_scope)},
        # Compression sits outside the CSRF check: it unmasks the token the page carried first.
        middleware=[
            metrics.ObservabilityMiddleware(),
            RequestContextMiddleware(),
            DefineMiddleware(CompressionMiddleware, secret=settings.secret_key),
        ],
        # Files and the worker script carry no form: no CSRF cookie on responses that caches share.
        # __Host- on https, like the session cookie: no subdomain can set or shadow the token.
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.is_https,
            cookie_name="__Host-csrftoken" if settings.is_https else "csrftoken",
            cookie_samesite="lax",
            cookie_httponly=False,
            exclude=[
                "/assets/",
                "/static/",
                "/sw.js",
                "/sw.json",
                "/manifest.webmanifest",
                "/metrics",
                "/healthz",
                "/readyz",
            ],
        ),
        plugins=[HTMXPlugin()],
        template_config=template_config({"script_texts": script_texts, "push_public_key": push_public_key}),
        exception_handlers={**EXCEPTION_HANDLERS, SecondFactorRequired: second_factor_required_handler},
        before_request=plausible_path_and_query,
        before_send=[add_security_headers],
        lifespan=[database_lifespan],
        logging_config=None,  # ours (server/observability/logs.py): JSON lines, no personal data
        request_max_body_size=MAX_BODY_BYTES,
        # The API description is for logged-in users while developing, for admins in production,
        # 404 for everyone else ("public" only lets its own guard answer instead of a login page).
        # Plain JSON at /schema/openapi.json: the HTML viewers load scripts from CDNs (CSP says no).
        openapi_config=OpenAPIConfig(
            title="Rinnalla API",
            version="1",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
            openapi_router=Router(
                path="/schema",
                route_handlers=[],
                opt={"public": True},
                include_in_schema=False,
                guards=[api_description_visible],
            ),
        ),
        debug=settings.debug,
    )
