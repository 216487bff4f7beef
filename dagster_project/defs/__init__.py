"""Dagster definitions by area: resources, partitions, ingest (quality checks included)."""
