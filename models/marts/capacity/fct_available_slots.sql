{#-
    The slots fact: one row per (workspace, availability source, slot start
    in UTC), deduplicated across offsets and formats. entry_count > 1 shows
    an entry the cache repeated. available_slot_id is the single-column key.
-#}
with

slot_entries as (

    select * from {{ ref('int_availability_slot_entries') }}

),

valid_entries as (

    select
        workspace_id,
        availability_source,
        availability_cache_id,
        entry_index,
        slot_start_at

    from slot_entries
    where slot_start_at is not null

),

deduplicated as (

    select
        workspace_id,
        availability_source,
        slot_start_at,
        min(availability_cache_id) as availability_cache_id,
        min(entry_index) as first_entry_index,
        count(*) as entry_count

    from valid_entries
    group by
        workspace_id,
        availability_source,
        slot_start_at

),

final as (

    select
        -- the slot_entry_id of the slot's first entry in its cache (one cache per
        -- workspace and source: an error test on the caches' staging model)
        availability_cache_id || ':' || cast(first_entry_index as {{ dbt.type_string() }}) as available_slot_id,
        workspace_id,
        availability_source,
        {{ utc_to_timestamp_tz('slot_start_at') }} as slot_start_at,
        availability_cache_id,
        entry_count,
        {{ is_in_capacity_window('slot_start_at') }} as is_in_capacity_window

    from deduplicated

)

select * from final
