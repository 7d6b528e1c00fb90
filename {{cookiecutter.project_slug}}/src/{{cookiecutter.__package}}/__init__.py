"""The service package: create_app builds the Flask app, __version__ says which one."""

__version__ = "{{ cookiecutter.version }}"

from .app import create_app  # noqa: E402  (views read __version__ while importing)

__all__ = ["create_app", "__version__"]
