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
        workspace_sources.workspace_source_id,
        workspace_sources.workspace_id,
        workspace_sources.availability_source,
        workspace_sources.is_configured,
        workspace_sources.has_cache,
        workspace_sources.cache_is_readable,
        workspace_sources.shares_default_calendar,
        workspace_sources.source_null_reason,
        workspace_sources.enters_combined_figure,
        workspace_sources.bookings_enter_combined_figure,
        coalesce(booked_counts.booked_slots, 0) as booked_slots,
        {{ known_available_slots('workspace_sources.cache_is_readable', 'cache_counts.available_slots_in_window') }}
            as available_slots,
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

with_workspace_figure as (

    select
        *,
        max(case when enters_combined_figure then 1 else 0 end)
            over (partition by workspace_id) as workspace_has_figure_flag

    from counted

),

final as (

    select
        workspace_source_id,
        workspace_id,
        availability_source,
        {{ utc_to_timestamp_tz(capacity_window_start()) }} as as_of_at,
        {{ utc_to_timestamp_tz(capacity_window_start()) }} as window_start_at,
        {{ utc_to_timestamp_tz(capacity_window_end()) }} as window_end_at,
        is_configured,
        has_cache,
        cache_is_readable,
        shares_default_calendar,
        enters_combined_figure,
        booked_slots,
        available_slots,
        {{ booked_pct_columns('booked_slots', 'available_slots', 'source_null_reason') }},
        {{ utc_to_timestamp_tz('cache_fetched_at') }} as cache_fetched_at,
        cache_is_stale,
        cache_last_error,
        cache_covers_window,
        invalid_slot_entries,
        -- What this row adds to the workspace's combined figure (SPEC §5: only configured
        -- sources with a readable cache, each calendar once; int_workspace_sources decides).
        -- NULL when no source of the workspace enters it (no combined figure), so a sum
        -- over rows is the mart's combined figure, NULL included.
        case
            when workspace_has_figure_flag = 0 then null
            when bookings_enter_combined_figure then booked_slots
            else 0
        end as booked_slots_in_combined,
        case
            when workspace_has_figure_flag = 0 then null
            when enters_combined_figure then available_slots
            else 0
        end as available_slots_in_combined

    from with_workspace_figure

)

select * from final
