with

-- Read twice, through renamed (the rows, and their ids to number): inlined, not
-- kept. Kept, every slotsUtc is copied (PostgreSQL: a tuplestore; DuckDB: 5.9 GB at
-- 100,000 workspaces, spilled to disk past the memory limit and read back). Read in
-- slices on DuckDB, so that what every reader does with slotsUtc uses every core.
source as {{ cte_hint({'duckdb': 'not materialized', 'postgres': 'not materialized'}) }} (

    {{ scan_in_slices(source('app', 'WorkspaceAvailabilityCache')) }}

),

renamed as {{ cte_hint({'duckdb': 'not materialized', 'postgres': 'not materialized'}) }} (

    select
        {{ adapter.quote('id') }} as availability_cache_id,
        {{ adapter.quote('clientId') }} as workspace_id,
        upper(trim(cast({{ adapter.quote('availabilitySource') }} as {{ dbt.type_string() }})))
            as availability_source,
        {{ cast_json(adapter.quote('slotsUtc')) }} as slots_json,
        {{ json_text_type(adapter.quote('slotsUtc')) }} as slots_json_type,
        cast({{ adapter.quote('fetchedAt') }} as {{ dbt.type_timestamp() }}) as fetched_at,
        cast({{ adapter.quote('rangeStart') }} as {{ dbt.type_timestamp() }}) as range_start_at,
        cast({{ adapter.quote('rangeEnd') }} as {{ dbt.type_timestamp() }}) as range_end_at,
        nullif(trim({{ adapter.quote('lastError') }}), '') as last_error,
        cast({{ adapter.quote('updatedAt') }} as {{ dbt.type_timestamp() }}) as updated_at

    from source

),

-- The array's length before the join below, so that a reader of the length alone
-- does not carry every slotsUtc through it.
measured as {{ cte_hint({'duckdb': 'not materialized', 'postgres': 'not materialized'}) }} (

    select
        *,
        case
            when {{ slots_json_is_readable('slots_json_type') }}
                then {{ json_array_length('slots_json') }}
        end as slots_array_length

    from renamed

),

-- A compact join key within one query (see the YAML): the distinct ids numbered in
-- order, so that the numbers are the same however often the query reads this view
-- (a repeated id, which the unique test reports, gets one number), and the window
-- does not carry the slotsUtc values.
cache_ids as (

    select distinct availability_cache_id

    from renamed

),

numbered as (

    select
        availability_cache_id,
        row_number() over (order by availability_cache_id) as availability_cache_number

    from cache_ids

),

final as (

    select
        measured.*,
        numbered.availability_cache_number

    from measured
    -- a left join: a row without an id is kept for the not_null tests to report
    left join numbered
        on measured.availability_cache_id = numbered.availability_cache_id

)

select * from final
