{#-
    A weekday × hour-of-day profile of the window's slots per workspace and
    availability source (UTC), for heatmaps: when is the calendar full?
    Sparse: only the cells that have a free or a booked slot.
-#}
with

workspace_sources as (

    select * from {{ ref('int_workspace_sources') }}

),

available_slots as (

    select * from {{ ref('fct_available_slots') }}

),

booked_appointments as (

    select * from {{ ref('fct_booked_appointments') }}

),

slot_events as (

    select
        workspace_id,
        availability_source,
        {{ iso_weekday(timestamp_tz_to_utc('slot_start_at')) }} as iso_weekday,
        {{ hour_of_day(timestamp_tz_to_utc('slot_start_at')) }} as hour_of_day,
        0 as is_booked

    from available_slots
    where is_in_capacity_window

    union all

    select
        workspace_id,
        availability_source,
        {{ iso_weekday(timestamp_tz_to_utc('start_at')) }} as iso_weekday,
        {{ hour_of_day(timestamp_tz_to_utc('start_at')) }} as hour_of_day,
        1 as is_booked

    from booked_appointments
    where availability_source is not null

),

cells as (

    select
        workspace_id,
        availability_source,
        iso_weekday,
        hour_of_day,
        sum(is_booked) as booked_slots,
        sum(1 - is_booked) as available_slots

    from slot_events
    group by
        workspace_id,
        availability_source,
        iso_weekday,
        hour_of_day

),

counted as (

    select
        cells.workspace_id,
        cells.availability_source,
        cells.iso_weekday,
        cells.hour_of_day,
        workspace_sources.has_cache,
        cells.booked_slots,
        -- without a cache row the free slots are unknown, not 0
        case when workspace_sources.has_cache then cells.available_slots end as available_slots

    from cells
    inner join workspace_sources
        on
            cells.workspace_id = workspace_sources.workspace_id
            and cells.availability_source = workspace_sources.availability_source

),

final as (

    select
        workspace_id,
        availability_source,
        iso_weekday,
        hour_of_day,
        has_cache,
        booked_slots,
        available_slots,
        {{ booked_pct_columns('booked_slots', 'available_slots', 'has_cache') }}

    from counted

)

select * from final
