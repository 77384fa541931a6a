{#-
    One row per element of every cache's slotsUtc array, parsed, and one per
    cache whose slotsUtc is not an array at all. Valid entries feed
    fct_available_slots; invalid ones fct_invalid_slot_entries, so nothing is
    dropped unseen; int_availability_caches_counted counts both per cache for
    the marts.

    Each distinct element is turned into text and parsed once, then joined
    back: slot strings repeat across caches (the same quarter hours in a
    handful of spellings), so 10,000 workspaces' 19 million entries are some
    13,000 distinct values, and the parse (a regular expression and a dozen
    casts) is what costs.
-#}
with

-- Read twice (the elements, and the values that are not arrays). DuckDB keeps it in
-- memory, so the second read does not scan every slotsUtc again; PostgreSQL inlines it
-- (a tuplestore of every slotsUtc would spill to disk).
caches as {{ cte_hint({'duckdb': 'materialized', 'postgres': 'not materialized'}) }} (

    select * from {{ ref('stg_app__workspace_availability_caches') }}

),

-- `entries` is read twice below: DuckDB materialises it (cheap); PostgreSQL is told
-- not to (its tuplestore of every entry would spill to disk, and compute the
-- element type, which it only needs for invalid entries).
entries as {{ cte_hint({'postgres': 'not materialized'}) }} (

    select
        availability_cache_id,
        workspace_id,
        availability_source,
        element_index as entry_index,
        element_type as entry_json_type,
        element_raw as entry_raw

    from (
        {{ json_array_element_rows(
            'caches',
            'slots_json',
            ['availability_cache_id', 'workspace_id', 'availability_source'],
        ) }}
    ) as slot_entries

),

distinct_raws as (

    select distinct entry_raw

    from entries
    where entry_raw is not null
    -- An optimisation fence: without it a filter on slot_start_at downstream is
    -- pushed below the DISTINCT and the parse runs once per entry, not per value
    -- (an OFFSET is a fence on PostgreSQL and DuckDB; the order does not matter).
    offset 0  -- noqa: AM09

),

raw_texts as (

    select
        entry_raw,
        {{ json_element_text('entry_raw') }} as entry_text

    from distinct_raws

),

parsed_texts as (

    select
        entry_raw,
        entry_text,
        {{ parse_iso8601_utc('entry_text') }} as slot_start_at

    from raw_texts

),

parsed as (

    select
        entries.availability_cache_id,
        entries.workspace_id,
        entries.availability_source,
        entries.entry_index,
        -- Only a string parses, so a valid entry's type is known without looking it
        -- up; the CASE keeps the lookup (costly on PostgreSQL, where it re-reads the
        -- array by position) to invalid entries even where the union below makes
        -- the engine compute every output column.
        case
            when parsed_texts.slot_start_at is not null then 'string'
            else entries.entry_json_type
        end as entry_json_type,
        parsed_texts.entry_text,
        parsed_texts.slot_start_at

    from entries
    -- On the raw element alone: only a string can parse (a number, boolean, object
    -- or array's JSON text never has a timestamp's shape), so the element's type is
    -- not needed here and a query that does not select it never computes it.
    left join parsed_texts
        on entries.entry_raw = parsed_texts.entry_raw

),

-- A slotsUtc that is not an array has no elements: it is one invalid entry of its own
-- (entry_index NULL), so that every problem of a cache is a row of this model.
whole_values as (

    select
        availability_cache_id,
        workspace_id,
        availability_source,
        cast(null as {{ dbt.type_int() }}) as entry_index,
        {{ json_value_type('slots_json') }} as entry_json_type,
        cast(slots_json as {{ dbt.type_string() }}) as entry_text,
        cast(null as {{ dbt.type_timestamp() }}) as slot_start_at

    from caches
    where {{ json_value_type('slots_json') }} != 'array'

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
        workspace_id,
        availability_source,
        entry_index,
        entry_json_type,
        entry_text,
        slot_start_at,
        -- slot_start_at first: a valid entry (nearly all) never needs its JSON type,
        -- which is the costly column on PostgreSQL (see json_array_element_rows)
        case
            when slot_start_at is not null then null
            when entry_index is null and entry_json_type = 'null' then 'slots_json_null'
            when entry_index is null then 'slots_not_an_array'
            when entry_json_type = 'null' then 'json_null'
            when entry_json_type != 'string' then 'not_a_string'
            else 'not_an_iso8601_timestamp'
        end as invalid_reason

    from unioned

)

select * from final
