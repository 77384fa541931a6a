{#-
    One row per cache: its distinct free slot starts inside the window and its
    invalid entries, the two figures workspace_capacity_30d_by_source needs,
    with the cache's own columns int_workspace_sources needs (its JSON type,
    fetch time, range and error). Carried here, they are read from a table of
    one row per cache: from the staging view, every read (the model's and each
    of its data tests') would type every cached slotsUtc again (see
    docs/decisions.md, 'Data tests on the tables, not on the slot views').

    The same counts as fct_available_slots (in-window rows) and
    fct_invalid_slot_entries give, in one pass over the entries instead of
    one pass each, and deduplicated within each cache instead of across every
    valid slot of every cache (tests/integration checks that both ways agree).
    The entries are grouped by availability_cache_number, the caches' integer
    key within this one query (staging numbers them alike for the entries
    and for the caches below, as long as the entries model stays a view),
    not by the 20-character id.

    Only the arrays' elements are read from the entries: a slotsUtc that is
    not an array is the one entry of its cache, counted here from the cache's
    own JSON type, so that this query does not read every slotsUtc once more
    to find those values (see docs/decisions.md, 'The caches read in slices on
    DuckDB').
-#}
with

caches as (

    select * from {{ ref('stg_app__workspace_availability_caches') }}

),

array_elements as (

    select * from {{ ref('int_availability_slot_entries') }}
    where entry_index is not null

),

windowed_entries as (

    select
        availability_cache_number,
        slot_start_at,
        {{ is_in_capacity_window('slot_start_at') }} as is_in_capacity_window

    from array_elements

),

entry_counts as (

    select
        availability_cache_number,
        {{ count_distinct('case when is_in_capacity_window then slot_start_at end') }}
            as available_slots_in_window,
        -- slot_start_at is NULL exactly when the element is invalid
        count(*) - count(slot_start_at) as invalid_elements,
        -- what the entries' key test checks against the array's length (see the YAML)
        count(*) as array_elements

    from windowed_entries
    group by availability_cache_number

),

counted as (

    select
        caches.availability_cache_id,
        caches.workspace_id,
        caches.availability_source,
        caches.slots_json_type,
        caches.slots_array_length,
        caches.fetched_at,
        caches.range_start_at,
        caches.range_end_at,
        caches.last_error,
        -- a slotsUtc that is not an array (a SQL NULL too) is one invalid entry
        case when {{ slots_json_is_readable('caches.slots_json_type') }} then 0 else 1 end
            as whole_value_entries,
        coalesce(entry_counts.available_slots_in_window, 0) as available_slots_in_window,
        coalesce(entry_counts.invalid_elements, 0) as invalid_elements,
        coalesce(entry_counts.array_elements, 0) as array_elements

    from caches
    left join entry_counts
        on caches.availability_cache_number = entry_counts.availability_cache_number

),

final as (

    select
        availability_cache_id,
        workspace_id,
        availability_source,
        slots_json_type,
        slots_array_length,
        fetched_at,
        range_start_at,
        range_end_at,
        last_error,
        -- the window these counts are for: the marts check it is theirs
        {{ capacity_window_start() }} as window_start_at,
        {{ capacity_window_end() }} as window_end_at,
        available_slots_in_window,
        invalid_elements + whole_value_entries as invalid_slot_entries,
        array_elements + whole_value_entries as slot_entries

    from counted

)

select * from final
