"""The blueprints of the service, registered in this order."""

from . import health, home

BLUEPRINTS = (home.bp, health.bp)
