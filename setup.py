"""Packaging beyond pyproject.toml: web/ and migrations/ stay at the top of the repository but
ship inside the wheel as server/_bundled/, where server/resources.py finds them.

Every folder of data is listed as a (namespace) package so that setuptools ships it on purpose
rather than warning that it happens to be importable."""

from setuptools import find_namespace_packages, setup

BUNDLED = {"server._bundled.web": "web", "server._bundled.migrations": "migrations"}
NOT_PACKAGES = ["*__pycache__*"]


def bundled_packages(name: str, folder: str) -> list[str]:
    inner = find_namespace_packages(where=folder, exclude=NOT_PACKAGES)
    return [name] + [f"{name}.{package}" for package in inner]


packages = find_namespace_packages(include=["server", "server.*"], exclude=NOT_PACKAGES)
for name, folder in BUNDLED.items():
    packages += bundled_packages(name, folder)

setup(
    packages=packages,
    package_dir=BUNDLED,
    # "**/*" as well: a folder whose name is no package name (vendor/hds-core-5.2.2) is data too.
    package_data={"": ["*"], **{name: ["**/*"] for name in BUNDLED}},
    exclude_package_data={"": ["*.pyc", "**/__pycache__/*"]},
)
