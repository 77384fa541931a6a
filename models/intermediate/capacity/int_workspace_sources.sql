{#-
    The spine of the capacity marts: every workspace × availability source
    (DEFAULT, DIRECT_BOOK), whether the source has a calendar configured,
    and its cache row's freshness as of the window start.
-#}
with

clients as (

    select * from {{ ref('stg_app__clients') }}

),

settings as (

    select * from {{ ref('stg_app__workspace_settings') }}

),

caches as (

    select * from {{ ref('stg_app__workspace_availability_caches') }}

),

availability_sources as (

    select 'DEFAULT' as availability_source
    union all
    select 'DIRECT_BOOK' as availability_source

),

workspace_sources as (

    select
        clients.workspace_id,
        availability_sources.availability_source,
        case availability_sources.availability_source
            when 'DEFAULT'
                then coalesce(settings.ghl_default_calendar_id, settings.calendly_default_event_type_uri)
            else coalesce(settings.ghl_direct_book_calendar_id, settings.calendly_direct_book_event_type_uri)
        end is not null as is_configured,
        -- one calendar behind both sources: its bookings all count as DEFAULT (SPEC §1),
        -- and its free slots must not be counted a second time as DIRECT_BOOK's
        availability_sources.availability_source = 'DIRECT_BOOK'
        and coalesce(
            settings.ghl_direct_book_calendar_id = settings.ghl_default_calendar_id
            or settings.calendly_direct_book_event_type_uri = settings.calendly_default_event_type_uri,
            false
        ) as shares_default_calendar

    from clients
    cross join availability_sources
    left join settings
        on clients.workspace_id = settings.workspace_id

),

final as (

    select
        workspace_sources.workspace_id,
        workspace_sources.availability_source,
        workspace_sources.is_configured,
        workspace_sources.shares_default_calendar,
        caches.availability_cache_id is not null as has_cache,
        caches.availability_cache_id,
        caches.fetched_at as cache_fetched_at,
        caches.last_error as cache_last_error,
        case
            when caches.availability_cache_id is null then workspace_sources.is_configured
            when caches.fetched_at is null then true
            when caches.fetched_at < {{ capacity_stale_before() }} then true
            else caches.last_error is not null
        end as cache_is_stale,
        coalesce(
            caches.range_start_at <= {{ capacity_window_start() }}
            and caches.range_end_at >= {{ capacity_window_end() }},
            false
        ) as cache_covers_window

    from workspace_sources
    left join caches
        on
            workspace_sources.workspace_id = caches.workspace_id
            and workspace_sources.availability_source = caches.availability_source

)

select * from final
