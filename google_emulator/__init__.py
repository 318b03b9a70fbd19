"""A local emulator of Google OAuth 2.0, Calendar v3 and push notifications (dev/test tool)."""

from .app import create_app
from .server import EmulatorServer
from .state import EmulatorState

__all__ = ["EmulatorServer", "EmulatorState", "create_app"]
