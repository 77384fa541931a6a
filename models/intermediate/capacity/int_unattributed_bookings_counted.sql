{#-
    Per workspace, its confirmed in-window bookings that no availability
    source could be attributed to (missing identifier or unconfigured
    calendar): reported beside the combined figure, never inside it.
    workspace_capacity_30d reads it here rather than the bookings fact its
    by-source parent already counts.
-#}
with

booked_appointments as (

    select * from {{ ref('fct_booked_appointments') }}

),

final as (

    select
        workspace_id,
        count(*) as unattributed_booked_slots

    from booked_appointments
    where availability_source is null
    group by workspace_id

)

select * from final
