"""pandera's pandas API, imported without the libraries pandera loads only because they are installed.

Importing `pandera.pandas` runs pandera's top-level package, which imports pyspark's pandas API whenever
pyspark is installed (the `spark` and `dev` extras: 0.2 s of CPU, and pyspark warns about pandas 3), and its
pandas checks import hypothesis for their data-synthesis strategies whenever hypothesis is installed (the
`dev` extra: 0.1 s). The auditor validates pandas frames with neither, and pandera has no setting to skip
them; it does skip them when their import fails, which is what an entry of None in `sys.modules` makes an
import do. So they are hidden while pandera loads, and only those not loaded already: a process that uses
pyspark or hypothesis itself keeps them, and pandera sees them as before.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

SKIPPED = ("pyspark", "pyspark.pandas", "hypothesis")
"""The imports pandera attempts for other frame libraries and for data synthesis (pyspark.pandas is named
too for a process that has loaded pyspark's SQL API but not its pandas API, as the Spark engine does)."""
BACKEND = "pandera.backends.pandas.builtin_checks"
"""Imported by pandera's first validation of a pandas frame; it imports the strategies, and they hypothesis."""


def pandera_pandas() -> ModuleType:
    """The `pandera.pandas` module, and the module of pandera's built-in checks on pandas frames.

    Call it from the thread that runs the checks before any other thread imports: the hidden names are
    absent from `sys.modules` for every thread while pandera loads."""
    if "pandera.pandas" in sys.modules and BACKEND in sys.modules:
        return sys.modules["pandera.pandas"]
    hidden = [name for name in SKIPPED if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError, which pandera catches
    try:
        import pandera.pandas  # start-up time: what calls this needs pandera, the rest of the auditor does not

        importlib.import_module(BACKEND)
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
    return pandera.pandas
