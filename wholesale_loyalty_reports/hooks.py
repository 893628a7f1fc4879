from .tools import analysis_store


def uninstall_hook(env):
    """Drop the analysis store: its tables, functions and the triggers on Odoo's tables."""
    analysis_store.uninstall(env.cr)
