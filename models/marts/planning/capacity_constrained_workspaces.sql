{#-
    Who to call first: every workspace with whether it is capacity-constrained
    (at or above capacity_constrained_threshold_pct % booked on figures that
    can be trusted), its rank among the constrained, its trend over the last
    capacity_trend_runs runs of workspace_capacity_history, and why it is
    excluded when its figures cannot be trusted. The runs are read through
    int_workspace_capacity_trends, not from the history beside the mart it
    records.
-#}
{%- set threshold_pct = number_var('capacity_constrained_threshold_pct') -%}
{%- set max_unattributed_share = number_var('capacity_max_unattributed_share') -%}
{%- set flat_band_pct = number_var('capacity_trend_flat_band_pct') -%}
with

capacity as (

    select * from {{ ref('workspace_capacity_30d') }}

),

trends as (

    select * from {{ ref('int_workspace_capacity_trends') }}

),

available_slots as (

    select * from {{ ref('fct_available_slots') }}

),

next_free_slots as (

    select
        workspace_id,
        min(slot_start_at) as next_free_slot_at

    from available_slots
    where is_in_capacity_window
    group by workspace_id

),

joined as (

    select
        capacity.workspace_id,
        capacity.workspace_name,
        capacity.as_of_at,
        capacity.booked_pct,
        capacity.booked_slots,
        capacity.total_slots,
        capacity.unattributed_booked_slots,
        capacity.cache_is_stale,
        capacity.cache_covers_window,
        {{ safe_divide(
            'capacity.unattributed_booked_slots',
            'coalesce(capacity.booked_slots, 0) + capacity.unattributed_booked_slots'
        ) }} as unattributed_share,
        cast({{ max_unattributed_share }} as {{ capacity.type_double() }}) as max_unattributed_share,
        next_free_slots.next_free_slot_at,
        coalesce(trends.trend_run_count, 0) as trend_run_count,
        trends.trend_from_date,
        trends.trend_to_date,
        case
            when trends.trend_run_count >= 2
                then trends.trend_to_booked_pct - trends.trend_from_booked_pct
        end as booked_pct_change,
        {{ dbt.datediff('trends.trend_from_date', 'trends.trend_to_date', 'day') }} as trend_days  -- noqa: LT05

    from capacity
    left join trends
        on capacity.workspace_id = trends.workspace_id
    left join next_free_slots
        on capacity.workspace_id = next_free_slots.workspace_id

),

flagged as (

    select
        *,
        -- one definition, read by the exclusion below and by the consumers (dataQuality)
        coalesce(unattributed_share > max_unattributed_share, false) as has_many_unattributed_bookings

    from joined

),

classified as (

    select
        *,
        booked_pct >= {{ threshold_pct }} as is_at_or_above_threshold,
        -- the first reason that applies, in this order
        case
            when booked_pct is null then 'no_figure'
            when cache_is_stale then 'stale_cache'
            when not cache_covers_window then 'cache_short_of_window'
            when has_many_unattributed_bookings then 'many_unattributed_bookings'
        end as exclusion_reason,
        case
            when booked_pct_change > {{ flat_band_pct }} then 'rising'
            when booked_pct_change < -{{ flat_band_pct }} then 'falling'
            when booked_pct_change is not null then 'flat'
        end as trend_direction,
        {{ safe_divide('booked_pct_change', 'trend_days') }} as booked_pct_change_per_day

    from flagged

),

projected as (

    select
        *,
        case
            when exclusion_reason is not null then 'excluded'
            when is_at_or_above_threshold then 'constrained'
            else 'not_constrained'
        end as constraint_status,
        -- linear projection of the trend; NULL when it is not rising or fills after the window
        case
            when booked_pct >= 100 then 0
            when
                booked_pct_change_per_day > 0
                and (100 - booked_pct) / booked_pct_change_per_day <= {{ capacity_window_days() }}
                then cast(ceil((100 - booked_pct) / booked_pct_change_per_day) as {{ dbt.type_int() }})
        end as projected_days_until_fully_booked

    from classified

),

final as (

    select
        workspace_id,
        workspace_name,
        as_of_at,
        constraint_status,
        -- bigint on every engine (Spark's row_number is an int): the contract's type
        case
            when constraint_status = 'constrained'
                then cast(row_number() over (
                    partition by constraint_status
                    order by
                        booked_pct desc,
                        coalesce(projected_days_until_fully_booked, {{ capacity_window_days() + 1 }}),
                        coalesce(booked_pct_change, 0) desc,
                        workspace_id
                ) as {{ dbt.type_bigint() }})
        end as constrained_rank,
        exclusion_reason,
        is_at_or_above_threshold,
        booked_pct,
        booked_slots,
        total_slots,
        unattributed_booked_slots,
        unattributed_share,
        max_unattributed_share,
        has_many_unattributed_bookings,
        next_free_slot_at,
        projected_days_until_fully_booked,
        trend_run_count,
        trend_from_date,
        trend_to_date,
        booked_pct_change,
        booked_pct_change_per_day,
        trend_direction

    from projected

)

select * from final
