"""crm-auditor: data-quality and hygiene auditor for CRM data.

Public API: `check(path, config=None) -> AuditResult` (checks, duplicates, scores, gate),
`audit(path, config=None) -> AuditResult` (the same plus metrics and the worklist), `load_config(path) -> AuditConfig`,
and the result types. Imported lazily so that `import auditor` stays cheap and the stage
modules can import `auditor.model` without a cycle.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "check": ("auditor.pipeline", "check"),
    "audit": ("auditor.pipeline", "audit"),
    "fix_export": ("auditor.pipeline", "fix_export"),
    "load_config": ("auditor.config", "load_config"),
    "AuditConfig": ("auditor.config", "AuditConfig"),
    "AuditResult": ("auditor.result", "AuditResult"),
    "AuditorError": ("auditor.errors", "AuditorError"),
    "ConfigError": ("auditor.errors", "ConfigError"),
    "InputError": ("auditor.errors", "InputError"),
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attribute = _EXPORTS[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'auditor' has no attribute {name!r}")
