"""How many examples the heaviest hypothesis oracles try: the default run (`make test`, which must stay under
six minutes on two cores) tries a quarter of each one's count, and the fuzz campaign (`make fuzz`, which CI
runs after it) runs each of them again with its whole count (CRM_AUDIT_FULL_EXAMPLES=1, `-m full_examples`),
so that CI still tries every example it tried when the default run tried them all."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import settings

FULL = os.environ.get("CRM_AUDIT_FULL_EXAMPLES") == "1"
SHARE = 4
"""The default run tries one example in SHARE of a heavy oracle's count."""

Test = TypeVar("Test", bound=Callable)


def examples(count: int, **options: Any) -> Callable[[Test], Test]:
    """`@settings(max_examples=count, deadline=None, **options)` in the fuzz campaign (FULL), a quarter of
    `count` (rounded up) in the default run; marked `full_examples`, which the campaign selects. Goes above
    `@given`."""

    def heavy(test: Test) -> Test:
        tried = count if FULL else math.ceil(count / SHARE)
        return pytest.mark.full_examples(settings(max_examples=tried, deadline=None, **options)(test))

    return heavy
