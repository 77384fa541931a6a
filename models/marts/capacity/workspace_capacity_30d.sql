{#-
    The mart: one row per workspace, its % booked over the capacity window,
    combined and per availability source, the unattributed bookings beside
    it, and how fresh the cached availability is (SPEC §4).
-#}
{%- set sources = [('DEFAULT', 'default'), ('DIRECT_BOOK', 'direct_book')] -%}
{%- set figure_columns = [
    'booked_slots', 'available_slots', 'total_slots', 'booked_pct', 'booked_pct_null_reason',
] -%}
{%- set freshness_columns = [
    'is_configured', 'has_cache', 'cache_fetched_at', 'cache_is_stale', 'cache_last_error',
    'cache_covers_window', 'invalid_slot_entries',
] -%}
with

clients as (

    select * from {{ ref('stg_app__clients') }}

),

capacity_by_source as (

    select * from {{ ref('workspace_capacity_30d_by_source') }}

),

booked_appointments as (

    select * from {{ ref('fct_booked_appointments') }}

),

unattributed_counts as (

    select
        workspace_id,
        count(*) as unattributed_booked_slots

    from booked_appointments
    where availability_source is null
    group by workspace_id

),
{%- for source, prefix in sources %}

{{ prefix }}_capacity as (

    select
        {%- for column in figure_columns + freshness_columns %}
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
        {%- for column in figure_columns + freshness_columns %}
        direct_book_capacity.direct_book_{{ column }},
        {%- endfor %}
        default_capacity.default_has_cache or direct_book_capacity.direct_book_has_cache as has_any_cache

    from default_capacity
    inner join direct_book_capacity
        on default_capacity.workspace_id = direct_book_capacity.workspace_id

),

combined as (

    select
        *,
        -- only the sources with a cache row make up the combined figure
        case when default_has_cache then default_booked_slots else 0 end
        + case when direct_book_has_cache then direct_book_booked_slots else 0 end as cached_booked_slots,
        coalesce(default_available_slots, 0) + coalesce(direct_book_available_slots, 0) as cached_available_slots

    from sources_side_by_side

),

final as (

    select
        clients.workspace_id,
        clients.workspace_name,
        {{ capacity_window_start() }} as as_of_at,
        {{ capacity_window_start() }} as window_start_at,
        {{ capacity_window_end() }} as window_end_at,
        case when combined.has_any_cache then combined.cached_booked_slots end as booked_slots,
        case when combined.has_any_cache then combined.cached_available_slots end as available_slots,
        case
            when combined.has_any_cache then combined.cached_booked_slots + combined.cached_available_slots
        end as total_slots,
        case
            when combined.has_any_cache
                then {{ safe_divide(
                    '100 * combined.cached_booked_slots',
                    'combined.cached_booked_slots + combined.cached_available_slots'
                ) }}
        end as booked_pct,
        case
            when not combined.has_any_cache then 'no_cache_row'
            when combined.cached_booked_slots + combined.cached_available_slots = 0 then 'no_slots_in_window'
        end as booked_pct_null_reason,
        {%- for source, prefix in sources %}
        {%- for column in figure_columns %}
        combined.{{ prefix }}_{{ column }},
        {%- endfor %}
        {%- endfor %}
        coalesce(unattributed_counts.unattributed_booked_slots, 0) as unattributed_booked_slots,
        -- the oldest fetch of the sources that have one
        case
            when combined.direct_book_cache_fetched_at is null then combined.default_cache_fetched_at
            when combined.default_cache_fetched_at is null then combined.direct_book_cache_fetched_at
            when combined.default_cache_fetched_at <= combined.direct_book_cache_fetched_at
                then combined.default_cache_fetched_at
            else combined.direct_book_cache_fetched_at
        end as cache_fetched_at,
        -- stale when any source is (a configured source without a cache is), or there is no cache at all
        (
            not combined.has_any_cache
            or combined.default_cache_is_stale
            or combined.direct_book_cache_is_stale
        ) as cache_is_stale,
        coalesce(combined.default_cache_last_error, combined.direct_book_cache_last_error) as cache_last_error,
        (
            combined.has_any_cache
            and (combined.default_cache_covers_window or not combined.default_has_cache)
            and (combined.direct_book_cache_covers_window or not combined.direct_book_has_cache)
        ) as cache_covers_window,
        {%- for source, prefix in sources %}
        {%- for column in freshness_columns %}
        combined.{{ prefix }}_{{ column }},
        {%- endfor %}
        {%- endfor %}
        combined.default_invalid_slot_entries + combined.direct_book_invalid_slot_entries as invalid_slot_entries

    from clients
    inner join combined
        on clients.workspace_id = combined.workspace_id
    left join unattributed_counts
        on clients.workspace_id = unattributed_counts.workspace_id

)

select * from final
