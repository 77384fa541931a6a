with

source as (

    select * from {{ source('app', 'WorkspaceAvailabilityCache') }}

),

renamed as (

    select
        {{ adapter.quote('id') }} as availability_cache_id,
        {{ adapter.quote('clientId') }} as workspace_id,
        upper(trim(cast({{ adapter.quote('availabilitySource') }} as {{ dbt.type_string() }})))
            as availability_source,
        cast({{ adapter.quote('slotsUtc') }} as {{ type_json() }}) as slots_json,
        cast({{ adapter.quote('fetchedAt') }} as {{ dbt.type_timestamp() }}) as fetched_at,
        cast({{ adapter.quote('rangeStart') }} as {{ dbt.type_timestamp() }}) as range_start_at,
        cast({{ adapter.quote('rangeEnd') }} as {{ dbt.type_timestamp() }}) as range_end_at,
        nullif(trim({{ adapter.quote('lastError') }}), '') as last_error,
        cast({{ adapter.quote('updatedAt') }} as {{ dbt.type_timestamp() }}) as updated_at

    from source

),

-- A compact per-build join key (see the YAML): numbered over the ids alone, so the
-- window does not carry the slotsUtc values; a left join, so that a row the
-- numbering cannot match (a NULL id) is kept for the not_null tests to report.
numbered as (

    select
        availability_cache_id,
        row_number() over (order by availability_cache_id) as availability_cache_number

    from renamed

),

final as (

    select
        renamed.*,
        numbered.availability_cache_number

    from renamed
    left join numbered
        on renamed.availability_cache_id = numbered.availability_cache_id

)

select * from final
