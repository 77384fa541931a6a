{#- The provider tokens are secrets: they are deliberately not selected. -#}
with

source as (

    select * from {{ source('app', 'WorkspaceSettings') }}

),

renamed as (

    select
        {{ adapter.quote('id') }} as workspace_settings_id,
        {{ adapter.quote('clientId') }} as workspace_id,
        upper(nullif(trim(cast({{ adapter.quote('meetingBookingProvider') }} as {{ dbt.type_string() }})), ''))
            as meeting_booking_provider,
        {{ normalize_calendar_id(adapter.quote('ghlDefaultCalendarId')) }} as ghl_default_calendar_id,
        {{ normalize_calendar_id(adapter.quote('ghlDirectBookCalendarId')) }} as ghl_direct_book_calendar_id,
        {{ normalize_calendar_uri(adapter.quote('calendlyEventTypeUri')) }} as calendly_default_event_type_uri,
        {{ normalize_calendar_uri(adapter.quote('calendlyDirectBookEventTypeUri')) }}
            as calendly_direct_book_event_type_uri

    from source

)

select * from renamed
