"""Settings for the whole suite."""

from hypothesis import settings

# Hypothesis' default 200 ms deadline per example is a timing assertion, and timings do not belong
# in pass/fail tests: on a loaded shared machine it fails correct code (DeadlineExceeded).
settings.register_profile("crm-audit", deadline=None)
settings.load_profile("crm-audit")
