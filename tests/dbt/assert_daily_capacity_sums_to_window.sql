{#-
    Summed over its days, workspace_capacity_daily gives every workspace and
    source the figures of workspace_capacity_30d_by_source. Returns the rows
    that disagree.
-#}
{#- Dagster shows this test as an asset check of workspace_capacity_daily: a test that reads
    two models must say which one it checks (dagster-dbt's meta.dagster.ref). -#}
{{ config(meta={'dagster': {'ref': {'name': 'workspace_capacity_daily'}}}) }}

with

daily as (

    select * from {{ ref('workspace_capacity_daily') }}

),

window_figures as (

    select * from {{ ref('workspace_capacity_30d_by_source') }}

),

daily_totals as (

    select
        workspace_id,
        availability_source,
        sum(booked_slots) as booked_slots,
        sum(available_slots) as available_slots

    from daily
    group by
        workspace_id,
        availability_source

),

final as (

    select
        window_figures.workspace_id,
        window_figures.availability_source,
        window_figures.booked_slots,
        daily_totals.booked_slots as daily_booked_slots,
        window_figures.available_slots,
        daily_totals.available_slots as daily_available_slots

    from window_figures
    left join daily_totals
        on
            window_figures.workspace_id = daily_totals.workspace_id
            and window_figures.availability_source = daily_totals.availability_source
    where
        daily_totals.workspace_id is null
        or window_figures.booked_slots != daily_totals.booked_slots
        or coalesce(window_figures.available_slots, -1) != coalesce(daily_totals.available_slots, -1)

)

select * from final
