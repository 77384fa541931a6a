{#-
    A weekday × hour-of-day profile of the window's slots per workspace and
    availability source (UTC), for heatmaps: when is the calendar full?
    Sparse: only the cells that have a free or a booked slot. Counts
    int_capacity_slot_events, as workspace_capacity_daily does.
-#}
with

workspace_sources as (

    select * from {{ ref('int_workspace_sources') }}

),

slot_events as (

    select * from {{ ref('int_capacity_slot_events') }}

),

cells as (

    select
        workspace_id,
        availability_source,
        {{ iso_weekday('event_at') }} as iso_weekday,
        {{ hour_of_day('event_at') }} as hour_of_day,
        count(case when is_booked then 1 end) as booked_slots,
        count(case when not is_booked then 1 end) as available_slots

    from slot_events
    group by
        workspace_id,
        availability_source,
        {{ iso_weekday('event_at') }},
        {{ hour_of_day('event_at') }}

),

counted as (

    select
        cells.workspace_id,
        cells.availability_source,
        cells.iso_weekday,
        cells.hour_of_day,
        workspace_sources.has_cache,
        workspace_sources.source_null_reason,
        cells.booked_slots,
        {{ known_available_slots('workspace_sources.cache_is_readable', 'cells.available_slots') }}
            as available_slots

    from cells
    inner join workspace_sources
        on
            cells.workspace_id = workspace_sources.workspace_id
            and cells.availability_source = workspace_sources.availability_source

),

final as (

    select
        {{ surrogate_key(['workspace_id', 'availability_source', 'iso_weekday', 'hour_of_day']) }}
            as workspace_source_weekday_hour_id,
        workspace_id,
        availability_source,
        iso_weekday,
        hour_of_day,
        has_cache,
        booked_slots,
        available_slots,
        {{ booked_pct_columns('booked_slots', 'available_slots', 'source_null_reason') }}

    from counted

)

select * from final
