"""The audit tables in the warehouse: every batch seen, every file, every rejected row.
Ingest writes them; dbt (sources) and the lineage report read them.

`audit_batch`   one row per delivery of a batch (a `.OK` with its md5), plus one row per
                batch still waiting for its `.OK`; `is_current` marks the version the
                raw zone serves for that system and date.
`audit_file`    one row per data file of a delivery: rows in = loaded + quarantined
                (+ rejected, when the whole batch was rejected).
`quarantine_rows` every quarantined record with its raw text, file, line and reason.
`audit_landing`   every landing-folder entry that is not part of a batch (a stray file,
                an unknown system, a bad name or date, a symlink), first and last seen.
`changed_after_load` a loaded file whose bytes changed after loading, under the same `.OK`.
`duplicate_keys`  rows whose key already appeared earlier in the same file or in the
                previous business date's file (contract dirt item 5); they stay in the
                raw zone, the dbt layer drops them.
"""

DDL = """
create table if not exists audit_batch (
    sys varchar not null,         -- source system code
    biz_date date not null,       -- business date of the batch
    version integer,              -- delivery version, from the first line of the .OK
    mode varchar,                 -- FULL or DELTA, from the .OK
    ok_md5 varchar,               -- md5 of the .OK file: identifies the delivery
    status varchar not null,      -- loaded | superseded | rejected | ignored | waiting
    is_current boolean not null,  -- the version the raw zone serves for the system and date
    reason varchar,               -- why the batch was rejected, superseded or ignored
    files integer,                -- data files the .OK lists
    rows_in bigint,               -- records in the batch's files
    rows_loaded bigint,           -- records loaded into the raw zone
    rows_quarantined bigint,      -- records quarantined
    rows_rejected bigint,         -- records not loaded because the whole batch was rejected
    first_seen_at timestamp,      -- when ingest first saw the batch
    processed_at timestamp,       -- when ingest processed the delivery
    arrived_after date,           -- newest date of this system already loaded on arrival
    run_id varchar                -- the Dagster run that processed it
);
create table if not exists audit_file (
    sys varchar not null,         -- source system code
    biz_date date not null,       -- business date of the batch
    version integer,              -- delivery version
    ok_md5 varchar not null,      -- md5 of the .OK file of the delivery
    file varchar not null,        -- the data file's name
    entity varchar not null,      -- the entity the file holds (CUST, ACCT, TXN, ...)
    bytes bigint,                 -- size of the file
    md5_expected varchar,         -- md5 the .OK gives
    md5_actual varchar,           -- md5 of the file's bytes
    records_expected bigint,      -- record count the .OK gives
    rows_in bigint,               -- records read
    rows_loaded bigint,           -- records loaded into the raw zone
    rows_quarantined bigint,      -- records quarantined
    rows_rejected bigint,         -- records not loaded because the whole batch was rejected
    total_expected decimal(18, 2), -- control total the .OK gives
    total_actual decimal(18, 2),  -- sum of the amount column over every record
    duplicate_keys bigint,        -- rows whose key was seen before (see duplicate_keys)
    problem varchar,              -- what is wrong with the file, if anything
    mtime_ns bigint               -- the file's modification time at load (ns since 1970)
);
create table if not exists audit_landing (
    file varchar not null,        -- the entry's name in the landing folder
    reason varchar not null,      -- unknown_file | symlink | bad_name | bad_date | not_a_regular_file
    detail varchar,               -- what is wrong with it
    bytes bigint,                 -- its size (of the link itself, for a symlink)
    modified_at timestamp,        -- its modification time
    first_seen_at timestamp,      -- when ingest first saw it
    last_seen_at timestamp        -- when ingest last saw it
);
create table if not exists changed_after_load (
    sys varchar not null,         -- source system code
    biz_date date not null,       -- business date of the batch
    version integer,              -- delivery version
    ok_md5 varchar not null,      -- md5 of the .OK file of the loaded delivery
    file varchar not null,        -- the data file's name
    md5_at_load varchar,          -- md5 of the file when it was loaded
    md5_now varchar,              -- md5 of the file as it is now
    bytes_now bigint,             -- its size now
    mtime_ns_now bigint,          -- its modification time now (ns since 1970)
    first_seen_at timestamp,      -- when ingest first saw the change
    last_seen_at timestamp        -- when ingest last saw it
);
create table if not exists quarantine_rows (
    sys varchar not null,         -- source system code
    entity varchar not null,      -- the entity of the file
    biz_date date not null,       -- business date of the batch
    version integer not null,     -- delivery version
    ok_md5 varchar not null,      -- md5 of the .OK file of the delivery
    file varchar not null,        -- the data file's name
    line integer not null,        -- line of the record in its file
    lines integer not null,       -- physical lines the record spans
    reason varchar not null,      -- broken_line | wrong_field_count | bad_bytes | bad_cast | ...
    detail varchar,               -- what failed, e.g. the column and value of a bad cast
    raw_text varchar,             -- the record as text
    raw_bytes blob,               -- the record's bytes as delivered
    quarantined_at timestamp      -- when it was quarantined
);
create table if not exists duplicate_keys (
    sys varchar not null,         -- source system code
    entity varchar not null,      -- the entity of the file
    key varchar not null,         -- the key value seen again
    biz_date date not null,       -- business date of the row seen again
    line integer not null,        -- its line in its file
    first_biz_date date not null, -- business date where the key was first seen
    first_line integer not null   -- line where the key was first seen
);
"""


# columns added since a warehouse was first created: added in place, nothing rebuilt
MIGRATIONS = """
alter table audit_file add column if not exists mtime_ns bigint;
"""

TABLES = (
    "audit_batch",
    "audit_file",
    "quarantine_rows",
    "duplicate_keys",
    "audit_landing",
    "changed_after_load",
)

# what one row of each table is (the dbt sources' descriptions; columns: the comments above)
DESCRIPTIONS = {
    "audit_batch": "Every delivery of a batch; is_current marks the version the raw zone serves.",
    "audit_file": "Every data file of a delivery: rows in = loaded + quarantined (+ rejected).",
    "quarantine_rows": "Every quarantined record with raw text, file, line and reason.",
    "duplicate_keys": "Keys seen again in the same file or the previous date's file.",
    "audit_landing": "Every landing-folder entry that is not part of a batch, and why.",
    "changed_after_load": "Loaded files whose bytes changed afterwards under the same .OK.",
}
