from . import controllers, models, report, tools
from .hooks import uninstall_hook
