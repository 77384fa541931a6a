{#-
    Capacity per workspace × availability source × UTC calendar day of the
    window: which days are full. Edge days are partial (the window starts and
    ends at as_of's time of day); summed over the days, the figures equal
    workspace_capacity_30d_by_source. Counts int_capacity_slot_events, as
    workspace_capacity_weekday_hour does.
-#}
with

workspace_sources as (

    select * from {{ ref('int_workspace_sources') }}

),

time_spine as (

    select * from {{ ref('time_spine_daily') }}

),

slot_events as (

    select * from {{ ref('int_capacity_slot_events') }}

),

window_days as (

    select
        date_day as calendar_date,
        cast(date_day as {{ dbt.type_timestamp() }}) < {{ capacity_window_start() }}
        or {{ dbt.dateadd('day', 1, 'cast(date_day as ' ~ dbt.type_timestamp() ~ ')') }}
        > {{ capacity_window_end() }} as is_partial_day

    from time_spine
    where
        date_day >= cast({{ capacity_window_start() }} as date)
        and cast(date_day as {{ dbt.type_timestamp() }}) < {{ capacity_window_end() }}

),

slot_events_by_day as (

    select
        workspace_id,
        availability_source,
        cast(event_at as date) as calendar_date,
        count(case when is_booked then 1 end) as booked_slots,
        count(case when not is_booked then 1 end) as available_slots

    from slot_events
    group by
        workspace_id,
        availability_source,
        cast(event_at as date)

),

grid as (

    select
        workspace_sources.workspace_id,
        workspace_sources.availability_source,
        workspace_sources.has_cache,
        workspace_sources.cache_is_readable,
        workspace_sources.source_null_reason,
        window_days.calendar_date,
        window_days.is_partial_day

    from workspace_sources
    cross join window_days

),

counted as (

    select
        grid.workspace_id,
        grid.availability_source,
        grid.calendar_date,
        grid.is_partial_day,
        grid.has_cache,
        grid.source_null_reason,
        coalesce(slot_events_by_day.booked_slots, 0) as booked_slots,
        {{ known_available_slots('grid.cache_is_readable', 'slot_events_by_day.available_slots') }}
            as available_slots

    from grid
    left join slot_events_by_day
        on
            grid.workspace_id = slot_events_by_day.workspace_id
            and grid.availability_source = slot_events_by_day.availability_source
            and grid.calendar_date = slot_events_by_day.calendar_date

),

final as (

    select
        {{ surrogate_key(['workspace_id', 'availability_source', 'calendar_date']) }} as workspace_source_date_id,
        workspace_id,
        availability_source,
        calendar_date,
        is_partial_day,
        has_cache,
        booked_slots,
        available_slots,
        {{ booked_pct_columns('booked_slots', 'available_slots', 'source_null_reason') }}

    from counted

)

select * from final
