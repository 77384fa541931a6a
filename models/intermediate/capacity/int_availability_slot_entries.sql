{#-
    One row per element of every cache's slotsUtc array, parsed. Valid
    entries feed fct_available_slots; invalid ones fct_invalid_slot_entries,
    so nothing is dropped unseen.
-#}
with

caches as (

    select * from {{ ref('stg_app__workspace_availability_caches') }}

),

entries as (

    select
        caches.availability_cache_id,
        caches.workspace_id,
        caches.availability_source,
        slot_entry.element_index as entry_index,
        slot_entry.element_type as entry_json_type,
        slot_entry.element_text as entry_text

    from caches
    {{ unnest_json_array('caches.slots_json', 'slot_entry') }}

),

parsed as (

    select
        availability_cache_id,
        workspace_id,
        availability_source,
        entry_index,
        entry_json_type,
        entry_text,
        case
            when entry_json_type = 'string' then {{ parse_iso8601_utc('entry_text') }}
        end as slot_start_at

    from entries

),

final as (

    select
        availability_cache_id,
        workspace_id,
        availability_source,
        entry_index,
        entry_json_type,
        entry_text,
        slot_start_at,
        case
            when entry_json_type = 'null' then 'json_null'
            when entry_json_type != 'string' then 'not_a_string'
            when slot_start_at is null then 'not_an_iso8601_timestamp'
        end as invalid_reason

    from parsed

)

select * from final
