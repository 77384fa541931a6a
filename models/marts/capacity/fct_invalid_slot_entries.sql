{#-
    The quarantine of the slots fact: every cached slot entry that is not a
    valid timestamp, and every cache whose slotsUtc is not an array at all,
    with why.

    The reason needs the entry's JSON type, which the entries model does not
    carry (typing every element costs a second pass over every array): it is
    looked up here, in the entry's cache, for these few entries only.
-#}
with

slot_entries as (

    select * from {{ ref('int_availability_slot_entries') }}

),

caches as (

    select * from {{ ref('stg_app__workspace_availability_caches') }}

),

invalid_entries as (

    select *

    from slot_entries
    where slot_start_at is null

),

invalid_entries_typed as (

    select
        invalid_entries.slot_entry_id,
        invalid_entries.availability_cache_id,
        invalid_entries.workspace_id,
        invalid_entries.availability_source,
        invalid_entries.entry_index,
        invalid_entries.entry_text,
        case
            when invalid_entries.entry_index is null then {{ json_value_type('caches.slots_json') }}
            -- only JSON null has no text
            when invalid_entries.entry_text is null then 'null'
            else {{ json_element_type_at('caches.slots_json', 'invalid_entries.entry_index') }}
        end as json_type

    from invalid_entries
    -- a left join: an entry whose cache is not found still shows (its type NULL, and
    -- so its reason, which a not_null test reports)
    left join caches
        on invalid_entries.availability_cache_id = caches.availability_cache_id

),

final as (

    select
        slot_entry_id as invalid_slot_entry_id,
        availability_cache_id,
        workspace_id,
        availability_source,
        entry_index,
        json_type,
        entry_text as raw_value,
        case
            when entry_index is null and json_type = 'null' then 'slots_json_null'
            when entry_index is null then 'slots_not_an_array'
            when json_type = 'null' then 'json_null'
            when json_type = 'string' then 'not_an_iso8601_timestamp'
            when json_type is not null then 'not_a_string'
        end as invalid_reason

    from invalid_entries_typed

)

select * from final
