{#-
    Long-format capacity: one row per workspace × availability source, for
    BI pivots. workspace_capacity_30d is this model pivoted wide.
-#}
with

workspace_sources as (

    select * from {{ ref('int_workspace_sources') }}

),

cache_counts as (

    select * from {{ ref('int_availability_caches_counted') }}

),

booked_appointments as (

    select * from {{ ref('fct_booked_appointments') }}

),

booked_counts as (

    select
        workspace_id,
        availability_source,
        count(*) as booked_slots

    from booked_appointments
    where availability_source is not null
    group by
        workspace_id,
        availability_source

),

counted as (

    select
        workspace_sources.workspace_id,
        workspace_sources.availability_source,
        workspace_sources.is_configured,
        workspace_sources.has_cache,
        workspace_sources.shares_default_calendar,
        coalesce(booked_counts.booked_slots, 0) as booked_slots,
        -- without a cache row the free slots are unknown, not 0
        case
            when workspace_sources.has_cache then cache_counts.available_slots_in_window
        end as available_slots,
        workspace_sources.cache_fetched_at,
        workspace_sources.cache_is_stale,
        workspace_sources.cache_last_error,
        workspace_sources.cache_covers_window,
        coalesce(cache_counts.invalid_slot_entries, 0) as invalid_slot_entries

    from workspace_sources
    left join cache_counts
        on workspace_sources.availability_cache_id = cache_counts.availability_cache_id
    left join booked_counts
        on
            workspace_sources.workspace_id = booked_counts.workspace_id
            and workspace_sources.availability_source = booked_counts.availability_source

),

with_workspace_caches as (

    select
        *,
        max(case when availability_source = 'DEFAULT' and has_cache then 1 else 0 end)
            over (partition by workspace_id) as default_has_cache_flag,
        max(case when availability_source = 'DIRECT_BOOK' and has_cache and shares_default_calendar then 1 else 0 end)
            over (partition by workspace_id) as shared_direct_book_cache_flag,
        max(case when has_cache then 1 else 0 end) over (partition by workspace_id) as any_cache_flag

    from counted

),

final as (

    select
        workspace_id,
        availability_source,
        {{ utc_to_timestamp_tz(capacity_window_start()) }} as as_of_at,
        {{ utc_to_timestamp_tz(capacity_window_start()) }} as window_start_at,
        {{ utc_to_timestamp_tz(capacity_window_end()) }} as window_end_at,
        is_configured,
        has_cache,
        shares_default_calendar,
        booked_slots,
        available_slots,
        {{ booked_pct_columns('booked_slots', 'available_slots', 'has_cache', 'shares_default_calendar') }},
        {{ utc_to_timestamp_tz('cache_fetched_at') }} as cache_fetched_at,
        cache_is_stale,
        cache_last_error,
        cache_covers_window,
        invalid_slot_entries,
        -- What this row adds to the workspace's combined figure (SPEC §1: only sources
        -- with a cache row, each calendar once). A DIRECT_BOOK that is DEFAULT's calendar
        -- again adds no bookings (they are DEFAULT's) and its free slots only when
        -- DEFAULT has no cache to give them; DEFAULT's bookings then count through it.
        -- NULL when the workspace has no cache at all (no combined figure).
        case
            when any_cache_flag = 0 then null
            when availability_source = 'DEFAULT'
                then case when has_cache or shared_direct_book_cache_flag = 1 then booked_slots else 0 end
            when has_cache and not shares_default_calendar then booked_slots
            else 0
        end as booked_slots_in_combined,
        case
            when any_cache_flag = 0 then null
            when not has_cache then 0
            when shares_default_calendar and default_has_cache_flag = 1 then 0
            else available_slots
        end as available_slots_in_combined

    from with_workspace_caches

)

select * from final
