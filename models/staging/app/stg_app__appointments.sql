with

source as (

    select * from {{ source('app', 'Appointment') }}

),

renamed as (

    select
        {{ adapter.quote('id') }} as appointment_id,
        {{ adapter.quote('leadId') }} as lead_id,
        upper(trim(cast({{ adapter.quote('provider') }} as {{ dbt.type_string() }}))) as booking_provider,
        upper(trim(cast({{ adapter.quote('status') }} as {{ dbt.type_string() }}))) as appointment_status,
        cast({{ adapter.quote('startAt') }} as {{ dbt.type_timestamp() }}) as start_at,
        cast({{ adapter.quote('endAt') }} as {{ dbt.type_timestamp() }}) as end_at,
        {{ normalize_calendar_id(adapter.quote('ghlAppointmentId')) }} as ghl_appointment_id,
        {{ normalize_calendar_id(adapter.quote('calendlyScheduledEventUri')) }} as calendly_scheduled_event_uri,
        {{ normalize_calendar_id(adapter.quote('ghlCalendarId')) }} as ghl_calendar_id,
        {{ normalize_calendar_uri(adapter.quote('calendlyEventTypeUri')) }} as calendly_event_type_uri,
        cast({{ adapter.quote('createdAt') }} as {{ dbt.type_timestamp() }}) as created_at,
        cast({{ adapter.quote('updatedAt') }} as {{ dbt.type_timestamp() }}) as updated_at

    from source

)

select * from renamed
