"""The audit tables in the warehouse: every batch seen, every file, every rejected row.
Ingest writes them; dbt (sources) and the lineage report read them.

`audit_batch`   one row per delivery of a batch (a `.OK` with its md5), plus one row per
                batch still waiting for its `.OK`; `is_current` marks the version the
                raw zone serves for that system and date.
`audit_file`    one row per data file of a delivery: rows in = loaded + quarantined
                (+ rejected, when the whole batch was rejected).
`quarantine_rows` every quarantined record with its raw text, file, line and reason.
`duplicate_keys`  rows whose key already appeared earlier in the same file or in the
                previous business date's file (contract dirt item 5); they stay in the
                raw zone, the dbt layer drops them.
"""

DDL = """
create table if not exists audit_batch (
    sys varchar not null,
    biz_date date not null,
    version integer,
    mode varchar,
    ok_md5 varchar,
    status varchar not null,      -- loaded | superseded | rejected | ignored | waiting
    is_current boolean not null,
    reason varchar,
    files integer,
    rows_in bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    rows_rejected bigint,
    first_seen_at timestamp,
    processed_at timestamp,
    arrived_after date,           -- newest date of this system already loaded on arrival
    run_id varchar
);
create table if not exists audit_file (
    sys varchar not null,
    biz_date date not null,
    version integer,
    ok_md5 varchar not null,
    file varchar not null,
    entity varchar not null,
    bytes bigint,
    md5_expected varchar,
    md5_actual varchar,
    records_expected bigint,
    rows_in bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    rows_rejected bigint,
    total_expected decimal(18, 2),
    total_actual decimal(18, 2),
    duplicate_keys bigint,
    problem varchar
);
create table if not exists quarantine_rows (
    sys varchar not null,
    entity varchar not null,
    biz_date date not null,
    version integer not null,
    ok_md5 varchar not null,
    file varchar not null,
    line integer not null,
    lines integer not null,
    reason varchar not null,      -- broken_line | wrong_field_count | bad_bytes | bad_cast | ...
    detail varchar,
    raw_text varchar,
    raw_bytes blob,
    quarantined_at timestamp
);
create table if not exists duplicate_keys (
    sys varchar not null,
    entity varchar not null,
    key varchar not null,
    biz_date date not null,
    line integer not null,
    first_biz_date date not null,
    first_line integer not null
);
"""


TABLES = ("audit_batch", "audit_file", "quarantine_rows", "duplicate_keys")
