{# One row per role, table and column in access_columns: two rows for the same column would
   leave the column's access to chance. #}
select role, table_name, column_name, count(*) as rows_for_column
from {{ ref('access_columns') }}
group by role, table_name, column_name
having count(*) > 1
