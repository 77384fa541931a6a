{#-
    The quarantine of the slots fact: every cached slot entry that is not a
    valid timestamp, and every cache whose slotsUtc is not an array at all.
-#}
with

slot_entries as (

    select * from {{ ref('int_availability_slot_entries') }}

),

final as (

    select
        slot_entry_id as invalid_slot_entry_id,
        availability_cache_id,
        workspace_id,
        availability_source,
        entry_index,
        entry_json_type as json_type,
        entry_text as raw_value,
        invalid_reason

    from slot_entries
    where invalid_reason is not null

)

select * from final
