"""Commands beyond the core ones in auditor/cli.py, one module each. Every module here is imported
by `auditor.cli` and registers itself on `auditor.cli.app`, so adding a command is adding a file."""

import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
