"""Piccolo's configuration module (PICCOLO_CONF=server.piccolo_conf): the engine and the apps."""

from piccolo.conf.apps import AppRegistry

from server.db.engines import make_engine
from server.settings import get_settings

DB = make_engine(get_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "server.accounts.piccolo_app",
        "server.casework.piccolo_app",
        "server.services.piccolo_app",
        "server.push.piccolo_app",
        "server.dashboard.piccolo_app",
        "server.rhythm.piccolo_app",
        "server.audit.piccolo_app",
        "server.release.piccolo_app",
        "server.pathway.piccolo_app",
    ]
)
