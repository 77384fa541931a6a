{#-
    The spine of the capacity marts: every workspace × availability source
    (DEFAULT, DIRECT_BOOK), whether the source has a calendar configured,
    its cache row's freshness as of the window start, and whether it enters
    the workspace's combined figure (SPEC §5: configured, and its cache
    readable; one calendar counted once).
-#}
with

clients as (

    select * from {{ ref('stg_app__clients') }}

),

settings as (

    select * from {{ ref('stg_app__workspace_settings') }}

),

caches as (

    select * from {{ ref('int_availability_caches_counted') }}

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

with_caches as (

    select
        workspace_sources.workspace_id,
        workspace_sources.availability_source,
        workspace_sources.is_configured,
        workspace_sources.shares_default_calendar,
        caches.availability_cache_id is not null as has_cache,
        -- only a JSON array can be read; [] is readable and means no free slot
        {{ slots_json_is_readable('caches.slots_json_type') }} as cache_is_readable,
        caches.availability_cache_id,
        caches.fetched_at as cache_fetched_at,
        caches.last_error as cache_last_error,
        case
            when caches.availability_cache_id is null then workspace_sources.is_configured
            when not {{ slots_json_is_readable('caches.slots_json_type') }} then true
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

),

with_shared_calendar as (

    select
        *,
        -- which cache a calendar shared by both sources enters through: DEFAULT's when it
        -- is configured and readable, else a readable DIRECT_BOOK cache that shares it
        max(
            case when availability_source = 'DEFAULT' and is_configured and cache_is_readable then 1 else 0 end
        ) over (partition by workspace_id) as default_enters_flag,
        max(case when shares_default_calendar and cache_is_readable then 1 else 0 end)
            over (partition by workspace_id) as shared_direct_book_readable_flag

    from with_caches

),

final as (

    select
        {{ surrogate_key(['workspace_id', 'availability_source']) }} as workspace_source_id,
        workspace_id,
        availability_source,
        is_configured,
        shares_default_calendar,
        has_cache,
        cache_is_readable,
        availability_cache_id,
        cache_fetched_at,
        cache_last_error,
        cache_is_stale,
        cache_covers_window,
        -- why the source has no % of its own whatever its counts (SPEC §1, §5): the
        -- cache first (no row, unreadable: its free slots are unknown), then the calendar
        case
            when not has_cache then 'no_cache_row'
            when not cache_is_readable then 'cache_unreadable'
            when not is_configured then 'not_configured'
            when shares_default_calendar then 'shares_default_calendar'
        end as source_null_reason,
        -- its free slots enter the combined figure: configured, readable, and not
        -- DEFAULT's calendar again when DEFAULT's own cache already gives them
        is_configured
        and cache_is_readable
        and not (shares_default_calendar and default_enters_flag = 1) as enters_combined_figure,
        -- its bookings enter the combined figure with the free slots of their calendar:
        -- a DIRECT_BOOK that is DEFAULT's calendar again has none of its own (they are
        -- DEFAULT's), and DEFAULT's enter through that DIRECT_BOOK's cache when DEFAULT's
        -- own cache cannot
        case
            when shares_default_calendar then false
            when is_configured and cache_is_readable then true
            else availability_source = 'DEFAULT' and shared_direct_book_readable_flag = 1
        end as bookings_enter_combined_figure

    from with_shared_calendar

)

select * from final
