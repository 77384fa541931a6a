{#-
    Capacity per workspace × availability source × UTC calendar day of the
    window: which days are full. Edge days are partial (the window starts and
    ends at as_of's time of day); summed over the days, the figures equal
    workspace_capacity_30d_by_source.
-#}
with

workspace_sources as (

    select * from {{ ref('int_workspace_sources') }}

),

time_spine as (

    select * from {{ ref('time_spine_daily') }}

),

available_slots as (

    select * from {{ ref('fct_available_slots') }}

),

booked_appointments as (

    select * from {{ ref('fct_booked_appointments') }}

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

available_by_day as (

    select
        workspace_id,
        availability_source,
        cast({{ timestamp_tz_to_utc('slot_start_at') }} as date) as calendar_date,
        count(*) as available_slots

    from available_slots
    where is_in_capacity_window
    group by
        workspace_id,
        availability_source,
        cast({{ timestamp_tz_to_utc('slot_start_at') }} as date)

),

booked_by_day as (

    select
        workspace_id,
        availability_source,
        cast({{ timestamp_tz_to_utc('start_at') }} as date) as calendar_date,
        count(*) as booked_slots

    from booked_appointments
    where availability_source is not null
    group by
        workspace_id,
        availability_source,
        cast({{ timestamp_tz_to_utc('start_at') }} as date)

),

grid as (

    select
        workspace_sources.workspace_id,
        workspace_sources.availability_source,
        workspace_sources.has_cache,
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
        coalesce(booked_by_day.booked_slots, 0) as booked_slots,
        case when grid.has_cache then coalesce(available_by_day.available_slots, 0) end as available_slots

    from grid
    left join available_by_day
        on
            grid.workspace_id = available_by_day.workspace_id
            and grid.availability_source = available_by_day.availability_source
            and grid.calendar_date = available_by_day.calendar_date
    left join booked_by_day
        on
            grid.workspace_id = booked_by_day.workspace_id
            and grid.availability_source = booked_by_day.availability_source
            and grid.calendar_date = booked_by_day.calendar_date

),

final as (

    select
        workspace_id,
        availability_source,
        calendar_date,
        is_partial_day,
        has_cache,
        booked_slots,
        available_slots,
        {{ booked_pct_columns('booked_slots', 'available_slots', 'has_cache') }}

    from counted

)

select * from final
