"""The extract contract as data, read by everything that touches a delivery: ingest (to
read it), the generator (to write it), the Great Expectations suites (to check it), the
dbt code generation (sources and staging columns) and the lineage report.

- `extracts`: systems, entities, files, formats, columns and their meaning.
- `idcodes`: the check characters of Chinese ID numbers and organisation codes.
- `audit`: the warehouse's audit tables, written by ingest and read by dbt and lineage.
"""
