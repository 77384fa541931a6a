{#-
    Every element of a cache's slotsUtc array is exactly one row of
    int_availability_slot_entries (none lost, none doubled), and a slotsUtc
    that is not an array exactly one: int_availability_caches_counted's
    per-cache count of the entries against the array's length. Returns the
    caches whose count differs, or that have no count.

    This is where the entries' key is tested: the view's unique and not_null
    tests on slot_entry_id (<cache id>:<entry index>) each unnested and parsed
    every entry again, 19 million at 10,000 workspaces, a pass as costly as
    the whole build's (BENCHMARKS.md, 'dbt build with tests'). This test
    measures each cache's array instead of unnesting it, and sees more: a
    doubled entry breaks the count (unless an entry of the same cache is also
    lost), and so does a lost one, which no key test sees.
-#}
{{ config(meta={'dagster': {'ref': {'name': 'int_availability_caches_counted'}}}) }}

with

caches as (

    select * from {{ ref('stg_app__workspace_availability_caches') }}

),

cache_counts as (

    select * from {{ ref('int_availability_caches_counted') }}

),

expected as (

    select
        availability_cache_id,
        case
            when slots_json_type = 'array' then {{ json_array_length('slots_json') }}
            else 1
        end as expected_slot_entries

    from caches

),

final as (

    select
        expected.availability_cache_id,
        expected.expected_slot_entries,
        cache_counts.slot_entries

    from expected
    left join cache_counts
        on expected.availability_cache_id = cache_counts.availability_cache_id
    where
        cache_counts.slot_entries is null
        or expected.expected_slot_entries is null
        or cache_counts.slot_entries != expected.expected_slot_entries

)

select * from final
