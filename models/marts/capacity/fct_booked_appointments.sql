{#-
    Confirmed appointments that start inside the capacity window, with the
    lead's workspace and the availability source they are attributed to
    (NULL when unattributed, with the reason).
-#}
with

appointments as (

    select * from {{ ref('stg_app__appointments') }}

),

leads as (

    select * from {{ ref('stg_app__leads') }}

),

settings as (

    select * from {{ ref('stg_app__workspace_settings') }}

),

confirmed_in_window as (

    select
        appointment_id,
        lead_id,
        booking_provider,
        start_at,
        end_at,
        case booking_provider
            when 'GHL' then ghl_calendar_id
            when 'CALENDLY' then calendly_event_type_uri
        end as calendar_identifier

    from appointments
    where
        appointment_status = 'CONFIRMED'
        and {{ is_in_capacity_window('start_at') }}

),

with_configured_calendars as (

    select
        confirmed_in_window.*,
        leads.workspace_id,
        -- an identifier is compared with the calendars of its own provider only
        case confirmed_in_window.booking_provider
            when 'GHL' then settings.ghl_default_calendar_id
            when 'CALENDLY' then settings.calendly_default_event_type_uri
        end as default_calendar_identifier,
        case confirmed_in_window.booking_provider
            when 'GHL' then settings.ghl_direct_book_calendar_id
            when 'CALENDLY' then settings.calendly_direct_book_event_type_uri
        end as direct_book_calendar_identifier

    from confirmed_in_window
    inner join leads
        on confirmed_in_window.lead_id = leads.lead_id
    left join settings
        on leads.workspace_id = settings.workspace_id

),

attributed as (

    select
        *,
        -- DEFAULT is tested first: an identifier configured for both sources counts once, as DEFAULT
        case
            when calendar_identifier = default_calendar_identifier then 'DEFAULT'
            when calendar_identifier = direct_book_calendar_identifier then 'DIRECT_BOOK'
        end as availability_source

    from with_configured_calendars

),

final as (

    select
        appointment_id,
        workspace_id,
        lead_id,
        booking_provider,
        {{ utc_to_timestamp_tz('start_at') }} as start_at,
        {{ utc_to_timestamp_tz('end_at') }} as end_at,
        calendar_identifier,
        availability_source,
        case
            when availability_source is not null then 'attributed'
            when calendar_identifier is null then 'missing_identifier'
            else 'unconfigured_calendar'
        end as attribution_status

    from attributed

)

select * from final
