{#-
    The window's slot events, what the daily and weekday × hour marts count:
    one row per free slot (from the slots fact) or attributed confirmed
    booking (from the bookings fact) starting inside the capacity window,
    with its workspace, availability source and start instant (UTC).
    Unattributed bookings have no source and are not slot events. Whether a
    source's free slots are known at all (a readable cache) is decided with
    int_workspace_sources by the marts (macro known_available_slots).
-#}
with

available_slots as (

    select * from {{ ref('fct_available_slots') }}

),

booked_appointments as (

    select * from {{ ref('fct_booked_appointments') }}

),

free_slot_events as (

    select
        'available|' || available_slot_id as slot_event_id,
        workspace_id,
        availability_source,
        -- naive UTC again (the marts' facts are instants): a date or an hour of it is UTC's
        {{ timestamp_tz_to_utc('slot_start_at') }} as event_at,
        false as is_booked

    from available_slots
    where is_in_capacity_window

),

booking_events as (

    select
        -- the bookings fact holds the window's confirmed appointments only
        'booked|' || appointment_id as slot_event_id,
        workspace_id,
        availability_source,
        {{ timestamp_tz_to_utc('start_at') }} as event_at,
        true as is_booked

    from booked_appointments
    where availability_source is not null

),

final as (

    select * from free_slot_events
    union all
    select * from booking_events

)

select * from final
