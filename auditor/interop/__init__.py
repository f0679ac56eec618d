"""Interoperability with the tools teams already run.

`auditor.interop.ge`: rule packs exported as Great Expectations (GX Core 1.x) expectation suites,
and existing GX suites run as part of an audit. Great Expectations is an optional extra
(`pip install 'crm-auditor[ge]'`) and slow to import: only this package imports it, and only
when a function that needs it is called.
"""
