"""The Litestar application: routes of every domain, sessions, CSRF, headers, templates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from litestar import Litestar, Request, Router
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from server.accounts import member_routes, team_routes
from server.accounts import routes as account_routes
from server.accounts.mfa_gate import SecondFactorRequired, requires_second_factor, second_factor_required_handler
from server.accounts.middleware import RequestContextMiddleware
from server.accounts.password_gate import (
    PasswordChangeRequired,
    password_change_required_handler,
    requires_own_password,
)
from server.accounts.sessions import scope_for
from server.audit import routes as audit_routes
from server.casework import api_routes as casework_api
from server.casework import client_routes, visit_routes
from server.casework import routes as casework_routes
from server.dashboard import routes as dashboard_routes
from server.db.lifecycle import close_database, open_database
from server.observability import metrics_routes
from server.observability.logs import configure_logging
from server.offline import routes as offline_routes
from server.offline.texts import script_texts
from server.pathway import api_routes as pathway_api
from server.pathway import link_routes as pathway_link_routes
from server.pathway import routes as pathway_routes
from server.push import link_routes as push_link_routes
from server.push import routes as push_routes
from server.push.vapid import public_key as push_public_key
from server.referrals import routes as referral_routes
from server.release import routes as release_routes
from server.resources import STATIC_DIR
from server.rhythm import routes as rhythm_routes
from server.scope import TeamScope
from server.services import api_routes as service_api
from server.services import routes as service_routes
from server.settings import get_settings
from server.web import asset_routes, system_routes
from server.web.compression import CompressionMiddleware
from server.web.csrf import csrf_config
from server.web.errors import EXCEPTION_HANDLERS
from server.web.guards import api_description_visible, route_checks
from server.web.limits import MAX_BODY_BYTES, plausible_path_and_query
from server.web.security_headers import add_security_headers
from server.web.templating import template_config
from server.wiring import wire


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
    wire()
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
            *metrics_routes.ROUTES,
            *account_routes.ROUTES,
            *team_routes.ROUTES,
            *member_routes.ROUTES,
            *casework_routes.ROUTES,
            *client_routes.ROUTES,
            *referral_routes.ROUTES,
            *visit_routes.ROUTES,
            *casework_api.ROUTES,
            *offline_routes.ROUTES,
            *service_routes.ROUTES,
            *service_api.ROUTES,
            *push_routes.ROUTES,
            *push_link_routes.ROUTES,
            *dashboard_routes.ROUTES,
            *rhythm_routes.ROUTES,
            *audit_routes.ROUTES,
            *asset_routes.ROUTES,
            *release_routes.ROUTES,
            *pathway_routes.ROUTES,
            *pathway_api.ROUTES,
            *pathway_link_routes.ROUTES,
            static,
        ],
        dependencies={"walls": Provide(provide_scope)},
        # One layer for request id, metrics, session, language, CSRF and the checks every route
        # gets (same origin, login, second factor): see server/accounts/middleware.py. Compression
        # sits outside it: it turns the token a page carried (masked against BREACH) back into the
        # token before the CSRF check, and masks it in what goes out.
        middleware=[
            DefineMiddleware(CompressionMiddleware, secret=settings.secret_key),
            RequestContextMiddleware(
                csrf_config(settings), route_checks(requires_own_password, requires_second_factor)
            ),
        ],
        plugins=[HTMXPlugin()],
        template_config=template_config({"script_texts": script_texts, "push_public_key": push_public_key}),
        exception_handlers={
            **EXCEPTION_HANDLERS,
            SecondFactorRequired: second_factor_required_handler,
            PasswordChangeRequired: password_change_required_handler,
        },
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
