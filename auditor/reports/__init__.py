"""Renderings of one AuditResult. None recomputes anything."""
