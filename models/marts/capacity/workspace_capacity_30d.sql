{#-
    The mart: one row per workspace, its % booked over the capacity window,
    combined and per availability source, the unattributed bookings beside
    it, and how fresh the cached availability is (SPEC §4).
-#}
{%- set sources = [('DEFAULT', 'default'), ('DIRECT_BOOK', 'direct_book')] -%}
{%- set figure_columns = ['booked_slots', 'available_slots', 'total_slots', 'booked_pct'] -%}
{%- set freshness_columns = [
    'is_configured', 'has_cache', 'cache_is_readable', 'cache_fetched_at', 'cache_is_stale',
    'cache_last_error', 'cache_covers_window', 'invalid_slot_entries', 'enters_combined_figure',
] -%}
{%- set source_columns = figure_columns + ['booked_pct_null_reason'] + freshness_columns -%}
{%- set in_combined_columns = ['shares_default_calendar', 'booked_slots_in_combined', 'available_slots_in_combined'] -%}
with

clients as (

    select * from {{ ref('stg_app__clients') }}

),

-- Read once per source: inlined on PostgreSQL, where a CTE read twice is kept, and a
-- filter on a kept CTE is estimated blind (63 rows of 20,000 at 10,000 workspaces):
-- the two sources were joined in a nested loop, 100 million comparisons, 10 s.
capacity_by_source as {{ cte_hint({'postgres': 'not materialized'}) }} (

    select * from {{ ref('workspace_capacity_30d_by_source') }}

),

unattributed_counts as (

    select * from {{ ref('int_unattributed_bookings_counted') }}

),
{%- for source, prefix in sources %}

{{ prefix }}_capacity as (

    select
        {%- for column in source_columns + in_combined_columns %}
        {{ column }} as {{ prefix }}_{{ column }},
        {%- endfor %}
        workspace_id

    from capacity_by_source
    where availability_source = '{{ source }}'

),
{%- endfor %}

sources_side_by_side as (

    select
        default_capacity.*,
        {%- for column in source_columns + in_combined_columns %}
        direct_book_capacity.direct_book_{{ column }},
        {%- endfor %}
        default_capacity.default_enters_combined_figure
        or direct_book_capacity.direct_book_enters_combined_figure as has_combined_figure

    from default_capacity
    inner join direct_book_capacity
        on default_capacity.workspace_id = direct_book_capacity.workspace_id

),

combined as (

    select
        *,
        -- each source's share of the combined figure is decided per row upstream
        default_booked_slots_in_combined + direct_book_booked_slots_in_combined as combined_booked_slots,
        default_available_slots_in_combined + direct_book_available_slots_in_combined
            as combined_available_slots,
        -- no source enters the combined figure (SPEC §5): say why, the calendar first
        case
            when has_combined_figure then null
            when not (default_is_configured or direct_book_is_configured) then 'no_configured_calendar'
            when
                (default_is_configured and not default_has_cache)
                or (direct_book_is_configured and not direct_book_has_cache)
                then 'no_cache_row'
            else 'cache_unreadable'
        end as combined_null_reason,
        -- the workspace's freshness is that of its configured sources' caches (SPEC §5: a
        -- cache no calendar stands behind neither makes it stale nor dates or fails it)
        case when default_is_configured then default_cache_fetched_at end as default_counted_fetched_at,
        case when direct_book_is_configured then direct_book_cache_fetched_at end as direct_book_counted_fetched_at,
        case when default_is_configured then default_cache_last_error end as default_counted_last_error,
        case when direct_book_is_configured then direct_book_cache_last_error end as direct_book_counted_last_error

    from sources_side_by_side

),

figured as (

    select
        combined.*,
        {{ booked_pct_columns('combined_booked_slots', 'combined_available_slots', 'combined_null_reason') }}

    from combined

),

final as (

    select
        clients.workspace_id,
        clients.workspace_name,
        {{ utc_to_timestamp_tz(capacity_window_start()) }} as as_of_at,
        {{ utc_to_timestamp_tz(capacity_window_start()) }} as window_start_at,
        {{ utc_to_timestamp_tz(capacity_window_end()) }} as window_end_at,
        figured.combined_booked_slots as booked_slots,
        figured.combined_available_slots as available_slots,
        figured.total_slots,
        figured.booked_pct,
        {%- for source, prefix in sources %}
        {%- for column in figure_columns %}
        figured.{{ prefix }}_{{ column }},
        {%- endfor %}
        {%- endfor %}
        coalesce(unattributed_counts.unattributed_booked_slots, 0) as unattributed_booked_slots,
        figured.booked_pct_null_reason,
        figured.default_booked_pct_null_reason,
        figured.direct_book_booked_pct_null_reason,
        -- the oldest fetch of the configured sources' caches
        case
            when figured.direct_book_counted_fetched_at is null then figured.default_counted_fetched_at
            when figured.default_counted_fetched_at is null then figured.direct_book_counted_fetched_at
            when figured.default_counted_fetched_at <= figured.direct_book_counted_fetched_at
                then figured.default_counted_fetched_at
            else figured.direct_book_counted_fetched_at
        end as cache_fetched_at,
        -- stale when a configured source's cache is missing, stale or unreadable, or no
        -- source enters the combined figure; a cache no calendar stands behind does not count
        (
            not figured.has_combined_figure
            or (figured.default_is_configured and figured.default_cache_is_stale)
            or (figured.direct_book_is_configured and figured.direct_book_cache_is_stale)
        ) as cache_is_stale,
        -- the configured sources' errors; both named when both have one
        case
            when figured.default_counted_last_error is not null and figured.direct_book_counted_last_error is not null
                then
                    'DEFAULT: ' || figured.default_counted_last_error
                    || '; DIRECT_BOOK: ' || figured.direct_book_counted_last_error
            else coalesce(figured.default_counted_last_error, figured.direct_book_counted_last_error)
        end as cache_last_error,
        -- every cache whose free slots enter the combined figure covers the window
        (
            figured.has_combined_figure
            and (figured.default_cache_covers_window or not figured.default_enters_combined_figure)
            and (figured.direct_book_cache_covers_window or not figured.direct_book_enters_combined_figure)
        ) as cache_covers_window,
        {%- for source, prefix in sources %}
        {%- for column in freshness_columns %}
        figured.{{ prefix }}_{{ column }},
        {%- endfor %}
        {%- if prefix == 'direct_book' %}
        figured.direct_book_shares_default_calendar,
        {%- endif %}
        {%- endfor %}
        figured.default_invalid_slot_entries + figured.direct_book_invalid_slot_entries as invalid_slot_entries

    from clients
    inner join figured
        on clients.workspace_id = figured.workspace_id
    left join unattributed_counts
        on clients.workspace_id = unattributed_counts.workspace_id

)

select * from final
