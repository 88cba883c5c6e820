"""Jinja: autoescaped templates under web/templates, gettext, and Finnish-style date filters."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from server import i18n
from server.resources import TEMPLATE_DIR
from server.settings import get_settings
from server.web import labels
from server.web.assets import asset_url, asset_version

HTMX_VERSION = "2.0.11"


def make_environment(domain_globals: dict[str, Any]) -> Environment:
    """The templates' environment; `domain_globals` are what the domains lend every page (the
    app factory gives them, so this module depends on no domain)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Compiled templates are kept for the life of the process; checking every template's file
        # for changes (a stat per template and per include, each render) is for DEBUG only.
        auto_reload=get_settings().debug,
        cache_size=-1,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(datetime=i18n.format_datetime, date=i18n.format_date, time=i18n.format_time)
    env.globals.update(
        current_language=i18n.current_language,
        LANGUAGES=i18n.LANGUAGES,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
        HTMX_VERSION=HTMX_VERSION,
        asset=asset_url,
        asset_version=asset_version,
        **labels.template_globals(),
        **domain_globals,
    )
    return env


def template_config(domain_globals: dict[str, Any]) -> TemplateConfig:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(make_environment(domain_globals)))
