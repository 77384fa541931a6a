{#-
    The quarantine of the slots fact: every cached slot entry that is not a
    valid timestamp, and every cache whose slotsUtc cannot be read (not an
    array: an unreadable cache, SPEC §5), with why.

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
            -- a whole value: its type as staging read it ('sql_null' for a SQL NULL)
            when invalid_entries.entry_index is null and caches.availability_cache_id is not null
                then coalesce(caches.slots_json_type, 'sql_null')
            when invalid_entries.entry_index is null then null
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
            when entry_index is null and json_type = 'invalid_json' then 'slots_not_json'
            when entry_index is null and json_type = 'sql_null' then 'slots_sql_null'
            when entry_index is null and json_type is not null then 'slots_not_an_array'
            when json_type = 'null' then 'json_null'
            when json_type = 'string' then 'not_an_iso8601_timestamp'
            when json_type is not null then 'not_a_string'
        end as invalid_reason

    from invalid_entries_typed

)

select * from final
