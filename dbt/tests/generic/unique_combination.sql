{#
  The columns together identify a row (a composite primary key): fails with each
  combination that occurs more than once. Usage, on a model:
      data_tests:
        - unique_combination:
            arguments: {columns: [sys, org_code, valid_from]}
#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as row_count
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
