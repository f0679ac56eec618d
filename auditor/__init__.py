"""crm-auditor: data-quality and hygiene auditor for CRM data."""

__version__ = "0.1.0"
