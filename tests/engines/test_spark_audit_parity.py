"""The full audit on Spark (`auditor.engines.spark.audit`, `crm-audit audit --engine spark`) gives the
pandas audit's metrics, worklist and result document on fixtures/acme, while the driver receives only
the columns the metrics read (`auditor.engines.spark.metrics`)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from auditor.checks.engine import record_ids
from auditor.cli import main
from auditor.engines import get_engine
from auditor.engines.spark.metrics import metric_columns, project_frame, projection
from auditor.errors import ConfigError
from auditor.metrics.registry import registry
from auditor.model import ENTITIES
from auditor.pipeline import compute_metrics, resolve_config
from auditor.reports import html, json_report

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "fixtures" / "acme")
# what only says how or when a run went, not what it found
RUN_FIELDS = ("started_at", "duration_seconds", "history")


@pytest.fixture(scope="module")
def config():
    return resolve_config(ACME, None)


@pytest.fixture(scope="module")
def both(pandas_run, spark_run):
    return pandas_run[2], spark_run[2]


def _json(value) -> str:
    # JSON text, so that a NaN compares equal to itself
    return json.dumps(value, default=str, sort_keys=True)


def _document(result) -> dict:
    document = json.loads(json_report.render(result))
    for key in RUN_FIELDS:
        document.pop(key, None)
    return document


# -- the projection, on the pandas engine's tables (no Spark): exactly the columns the metrics read --


@pytest.fixture(scope="module")
def checked(pandas_run):
    # check(ACME, config) is the first part of the shared pandas audit (conftest.py); read-only here
    return pandas_run[2]


def _projected(result, metrics):
    wanted = metric_columns(metrics)
    frames, ids = {}, {}
    for name, table in result.data.items():
        if name in wanted:
            frames[name], ids[name] = project_frame(table, projection(table.frame, name, wanted[name]))
    return frames, ids


def test_the_metrics_on_the_projected_columns_equal_the_metrics_on_the_whole_tables(checked, config):
    # each metric alone, on the columns it alone reads: a column a metric reads without declaring it
    # (input, scope, breakdown, freshness, record id) would change its value, flag or reasons here
    whole = {m.id: m.to_dict() for m in compute_metrics(checked, config)}
    narrower = 0
    for m in registry().values():
        frames, ids = _projected(checked, [m])
        got = compute_metrics(checked, config, metric_ids=[m.id], frames=frames, ids=ids)
        assert _json(got[0].to_dict()) == _json(whole[m.id]), m.id
        narrower += sum(len(f.columns) < len(checked.data[n].frame.columns) for n, f in frames.items())
    assert narrower > 40


def test_no_metric_reads_the_contacts_personal_data(checked):
    wanted = metric_columns(registry().values())
    assert wanted["contacts"] <= {"contact_id", "owner", "source", "created_at", "updated_at"}


def test_a_missing_column_is_still_missing_after_the_projection(checked, config):
    # accounts with none of the columns `customers` reads: the projection keeps another field, so that
    # the metric says "no accounts.status" (a column missing), not "no accounts" (the table missing)
    frame = checked.data["accounts"].frame[["name", "industry"]]
    columns = projection(frame, "accounts", metric_columns([registry()["customers"]])["accounts"])
    assert columns == ["name"]
    ids = {"accounts": checked.data["accounts"].frame["account_id"]}
    for frames in ({"accounts": frame}, {"accounts": frame[columns]}):
        got = compute_metrics(checked, config, metric_ids=["customers"], frames=frames, ids=ids)
        assert got[0].reasons[0] == "not evaluated: the export has no accounts.status"


# -- the Spark audit -----------------------------------------------------------------------------


def test_metric_values_intervals_flags_and_reasons_are_identical(both):
    pandas_result, spark_result = both
    expected = [m.to_dict() for m in pandas_result.metrics]
    assert len(expected) == len(registry()) and sum(m["value"] is not None for m in expected) > 30
    assert any(m["confidence"] != "HIGH" for m in expected)
    assert _json([m.to_dict() for m in spark_result.metrics]) == _json(expected)


def test_worklist_tasks_are_identical(both):
    pandas_result, spark_result = both
    assert len(pandas_result.worklist) > 100
    pd.testing.assert_frame_equal(spark_result.worklist, pandas_result.worklist)


def test_result_json_is_identical_but_for_the_run(both):
    pandas_result, spark_result = both
    assert _document(spark_result) == _document(pandas_result)


def test_the_driver_gets_the_metrics_columns_not_the_whole_tables(spark, config, checked, monkeypatch):
    from auditor.engines.spark import collect, metrics
    from auditor.engines.spark.load import load_tables
    from auditor.engines.spark.metrics import metric_inputs

    monkeypatch.setattr(collect, "ROWS_PER_PAYLOAD", 100)  # each partition's columns in several slices
    # nothing collected by the checks: every table's columns come from Spark, from several partitions
    # in shuffled order (each typed on its own), put back in export order on the driver
    tables = {
        name: replace(table, rows=table.rows.repartition(3))
        for name, table in load_tables(spark, ACME, config.source_options(), []).items()
    }
    assert tables["contacts"].rows.rdd.getNumPartitions() == 3
    wanted = metric_columns(registry().values())
    fetches = []
    fetch = collect.fetch
    monkeypatch.setattr(metrics, "fetch", lambda *args, **kwargs: fetches.append(1) or fetch(*args, **kwargs))
    frames, ids = metric_inputs(tables, {}, registry().values())
    # every table's columns in one Spark action, not one per table
    assert len(fetches) == 1
    assert set(frames) == set(checked.data)
    for name, frame in frames.items():
        whole = checked.data[name]
        assert list(frame.columns) == projection(whole.frame, name, wanted[name])
        pd.testing.assert_frame_equal(frame, whole.frame[list(frame.columns)])
        pd.testing.assert_series_equal(
            ids[name], record_ids(ENTITIES[name], whole.frame, whole.row_numbers), check_names=False
        )
    assert not {"first_name", "last_name", "email", "phone"} & set(frames["contacts"].columns)
    assert sum(len(f.columns) for f in frames.values()) < sum(len(t.frame.columns) for t in checked.data.values())


def test_audit_command_on_spark_writes_every_report(pandas_run, spark_run):
    (pandas_code, pandas_out, pandas_result), (code, spark_out, spark_result) = pandas_run, spark_run
    assert code == pandas_code == 1
    expected = sorted(p.relative_to(pandas_out).as_posix() for p in pandas_out.rglob("*"))
    assert {"result.json", "findings.csv", "worklist.csv", "worklist.xlsx", "report.html", "junit.xml"} <= set(expected)
    assert "duplicates/clusters.csv" in expected
    assert sorted(p.relative_to(spark_out).as_posix() for p in spark_out.rglob("*")) == expected
    for name in ("findings.csv", "worklist.csv", *(e for e in expected if e.startswith("duplicates/"))):
        assert (spark_out / name).read_bytes() == (pandas_out / name).read_bytes(), name
    # the suite's time attribute is the run's duration
    junit_xml = [re.sub(r'time="[0-9.]+"', "", (out / "junit.xml").read_text()) for out in (pandas_out, spark_out)]
    assert junit_xml[1] == junit_xml[0]
    documents = [json.loads((out / "result.json").read_text()) for out in (pandas_out, spark_out)]
    for document in documents:
        for key in RUN_FIELDS:
            document.pop(key, None)
    assert documents[1] == documents[0]
    # the page, with the run's time and duration of the pandas run
    same_run = replace(
        spark_result, started_at=pandas_result.started_at, duration_seconds=pandas_result.duration_seconds
    )
    assert html.render(same_run) == html.render(pandas_result)


def test_unknown_engine_and_a_master_without_spark_are_usage_errors(tmp_path: Path, capsys):
    assert main(["audit", ACME, "--out", str(tmp_path), "--engine", "dask"]) == 2
    assert "unknown engine 'dask'" in capsys.readouterr().err
    assert main(["audit", ACME, "--out", str(tmp_path), "--spark-master", "local[2]"]) == 2
    assert "--spark-master needs --engine spark" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
    with pytest.raises(ConfigError, match="unknown engine"):
        get_engine("dask")
