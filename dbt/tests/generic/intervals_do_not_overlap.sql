{#
  Half-open intervals [from_column, to_column) of one key never overlap, and none is
  empty: fails with each row whose interval is empty or reaches past the start of the
  next interval of its key (intervals sorted by start; equal starts overlap too).
      data_tests:
        - intervals_do_not_overlap:
            arguments: {partition_by: [sys, org_code], from_column: valid_from, to_column: valid_to}
#}
{% test intervals_do_not_overlap(model, partition_by, from_column, to_column) %}

with ordered as (
    select
        {{ partition_by | join(', ') }},
        {{ from_column }} as interval_from,
        {{ to_column }} as interval_to,
        lead({{ from_column }}) over (
            partition by {{ partition_by | join(', ') }}
            order by {{ from_column }}, {{ to_column }}
        ) as next_from
    from {{ model }}
)

select *
from ordered
where not (interval_from < interval_to)
    or next_from < interval_to

{% endtest %}
