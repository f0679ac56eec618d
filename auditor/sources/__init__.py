"""Read a CRM export (files or a database) and map its columns onto the CRM model.

`load_export(path, options)` returns one `Table` per entity: `raw` holds every value as the
string that was read (under canonical column names), `frame` the same values typed by the
model, and `columns` says how each source column was mapped, so the user can check it via
`LoadedExport.summary()`.

Decisions a CRM admin may want to know:
- Two columns with the same header: both are kept (the second as "Email.1"), the first is
  mapped, and a note names the duplicate; refusing the whole export would block the audit.
- A row with more fields than the header is an InputError naming the line (an unquoted
  delimiter would otherwise shift values into the wrong columns); a row with fewer fields
  is read with its missing trailing values empty, and a note lists the lines.
- Files of the same entity are concatenated; `Table.source` is the first file and
  `Table.sources` the file of each row (None when there is only one).
- Enum values are translated to the model's values by value maps (the config's `values`, the
  detected CRM preset's, generic English/Polish ones) in `frame` only; `raw` keeps the file's
  values and `Table.values` / the notes say what was translated by which map.
- A full-name column ("Name", "Person - Name") with no first/last name columns is split:
  the last word is the last name.
"""

from auditor.sources.loader import load_export
from auditor.sources.table import ColumnMapping, LoadedExport, SourceOptions, Table, ValueMapping

__all__ = ["ColumnMapping", "LoadedExport", "SourceOptions", "Table", "ValueMapping", "load_export"]
