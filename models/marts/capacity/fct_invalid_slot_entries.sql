{#-
    The quarantine of the slots fact: every cached slot entry that is not a
    valid timestamp, and every cache whose slotsUtc is not an array at all.
-#}
with

caches as (

    select * from {{ ref('stg_app__workspace_availability_caches') }}

),

slot_entries as (

    select * from {{ ref('int_availability_slot_entries') }}

),

invalid_entries as (

    select
        availability_cache_id,
        workspace_id,
        availability_source,
        entry_index,
        entry_json_type as json_type,
        entry_text as raw_value,
        invalid_reason

    from slot_entries
    where invalid_reason is not null

),

invalid_values as (

    select
        availability_cache_id,
        workspace_id,
        availability_source,
        cast(null as {{ dbt.type_int() }}) as entry_index,
        {{ json_value_type('slots_json') }} as json_type,
        cast(slots_json as {{ dbt.type_string() }}) as raw_value,
        case
            when {{ json_value_type('slots_json') }} = 'null' then 'slots_json_null'
            else 'slots_not_an_array'
        end as invalid_reason

    from caches
    where {{ json_value_type('slots_json') }} != 'array'

),

unioned as (

    select * from invalid_entries
    union all
    select * from invalid_values

),

final as (

    select
        availability_cache_id || ':' || coalesce(cast(entry_index as {{ dbt.type_string() }}), 'value')
            as invalid_slot_entry_id,
        availability_cache_id,
        workspace_id,
        availability_source,
        entry_index,
        json_type,
        raw_value,
        invalid_reason

    from unioned

)

select * from final
