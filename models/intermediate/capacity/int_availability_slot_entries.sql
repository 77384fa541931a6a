{#-
    One row per element of every cache's slotsUtc array, parsed, and one per
    cache whose slotsUtc is not an array at all (JSON null, an object, a
    scalar, text that is not JSON, a SQL NULL). Valid entries (a
    slot_start_at) feed fct_available_slots; invalid ones
    fct_invalid_slot_entries, which says why each is invalid, so nothing is
    dropped unseen; int_availability_caches_counted counts both per cache for
    the marts.

    No JSON type here: only a string can be a timestamp, and typing every
    element costs a second pass over every array on DuckDB (see
    docs/decisions.md, 'Each element's text, not its JSON type'). The
    quarantine looks the type up for its few entries.

    Each distinct element text is parsed once, then joined back: slot strings
    repeat across caches (the same quarter hours in a handful of spellings),
    so the distinct values are a tiny share of the entries, and the parse (a
    regular expression and a dozen casts) is what costs (see
    docs/decisions.md, 'Parse each distinct slot string once').
-#}
with

-- Read twice (the elements, and the values that are not arrays), each time from the
-- table: kept, every slotsUtc would be copied (PostgreSQL: a tuplestore spilled to
-- disk; DuckDB: 5.9 GB at 100,000 workspaces, past its memory limit).
caches as {{ cte_hint({'duckdb': 'not materialized', 'postgres': 'not materialized'}) }} (

    select * from {{ ref('stg_app__workspace_availability_caches') }}

),

-- `entries` is read twice below (the distinct texts, and the entries joined to them):
-- unnested twice, never kept. Kept, it is every entry with its cache's columns (27 GB
-- at 100,000 workspaces on DuckDB, 190 million rows spilled and read back: the
-- per-cache counts took 164 s instead of about 50; PostgreSQL's tuplestore spills too).
entries as {{ cte_hint({'duckdb': 'not materialized', 'postgres': 'not materialized'}) }} (

    select
        availability_cache_id,
        availability_cache_number,
        workspace_id,
        availability_source,
        element_index as entry_index,
        element_text as entry_text

    from (
        {{ json_array_element_rows(
            'caches',
            'slots_json',
            ['availability_cache_id', 'availability_cache_number', 'workspace_id', 'availability_source'],
        ) }}
    ) as slot_entries

),

distinct_texts as (

    select distinct entry_text

    from entries
    where entry_text is not null
    -- An optimisation fence: without it a filter on slot_start_at downstream is
    -- pushed below the DISTINCT and the parse runs once per entry, not per value
    -- (an OFFSET is a fence on PostgreSQL and DuckDB; the order does not matter).
    offset 0  -- noqa: AM09

),

parsed_texts as (

    select
        entry_text,
        {{ parse_iso8601_utc('entry_text') }} as slot_start_at

    from distinct_texts

),

parsed as (

    select
        entries.availability_cache_id,
        entries.availability_cache_number,
        entries.workspace_id,
        entries.availability_source,
        entries.entry_index,
        entries.entry_text,
        parsed_texts.slot_start_at

    from entries
    -- On the text alone: only a string can parse (a number, boolean, object or
    -- array's JSON text never has a timestamp's shape), so the element's type is
    -- not needed to find the valid entries.
    left join parsed_texts
        on entries.entry_text = parsed_texts.entry_text

),

-- A slotsUtc that is not an array (an unreadable cache, SPEC §5) has no elements: it is
-- one invalid entry of its own (entry_index NULL), so that every problem of a cache is a
-- row of this model.
whole_values as (

    select
        availability_cache_id,
        availability_cache_number,
        workspace_id,
        availability_source,
        cast(null as {{ dbt.type_int() }}) as entry_index,
        cast(slots_json as {{ dbt.type_string() }}) as entry_text,
        cast(null as {{ dbt.type_timestamp() }}) as slot_start_at

    from caches
    -- a SQL NULL too: unreadable, and reported like the rest
    where not {{ slots_json_is_readable('slots_json_type') }}

),

unioned as (

    select * from parsed
    union all
    select * from whole_values

),

final as (

    select
        availability_cache_id || ':' || coalesce(cast(entry_index as {{ dbt.type_string() }}), 'value')
            as slot_entry_id,
        availability_cache_id,
        availability_cache_number,
        workspace_id,
        availability_source,
        entry_index,
        entry_text,
        slot_start_at

    from unioned

)

select * from final
