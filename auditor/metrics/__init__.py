"""CRM metrics with honest confidence flags.

    from auditor.metrics import evaluate_metrics, registry
    results = evaluate_metrics(frames, findings, as_of="2026-10-31", clusters=clusters)
    for r in results: print(r.id, r.value, r.interval, r.flag.name, r.reasons[0])

One registry (`registry.py`); the metrics live in the bundled metric pack `metrics/core.yaml`
where the metric language (`language.py`) says them exactly, and the few it cannot say in a module
of their family (`sales.py`, `support.py`, `activity.py`); `confidence.py` turns coverage,
duplicates, sensitivity, sample size, interval and freshness into a flag; `evaluate.py` runs
them. Adding a metric is one decorated function or one YAML definition; a user's own metrics are
definitions in the config (`metrics.define`) or in metric packs (`metrics.packs`).
"""

from auditor.metrics.common import Params
from auditor.metrics.confidence import Flag, MetricsSettings
from auditor.metrics.evaluate import MetricResult, evaluate_metrics
from auditor.metrics.registry import Estimate, Metric, get_metric, metric, registry, value_of

__all__ = [
    "Estimate",
    "Flag",
    "Metric",
    "MetricResult",
    "MetricsSettings",
    "Params",
    "evaluate_metrics",
    "get_metric",
    "metric",
    "registry",
    "value_of",
]
