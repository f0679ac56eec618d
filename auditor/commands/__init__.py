"""Every `crm-audit` command, one module each over the library API, and what they share (`app`: the typer
app, consoles, option types, progress). `auditor.cli` imports every module here, and each registers its
command on the app, so adding a command is adding a file."""

import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
