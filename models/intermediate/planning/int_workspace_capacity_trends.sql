{#-
    Each workspace's trend input: the latest and the oldest of its last
    capacity_trend_runs runs in workspace_capacity_history up to this as_of
    (a run recorded for a later as-of date, a backfill of the past, is not
    this run's past). capacity_constrained_workspaces turns it into a change
    and a direction. Workspaces without a run have no row.
-#}
{%- set trend_runs = positive_int_var('capacity_trend_runs') -%}
with

history as (

    select * from {{ ref('workspace_capacity_history') }}

),

recent_runs as (

    select
        workspace_id,
        as_of_date,
        booked_pct,
        row_number() over (partition by workspace_id order by as_of_date desc) as run_recency

    from history
    where as_of_date <= cast({{ capacity_window_start() }} as date)

),

trend_runs as (

    select
        workspace_id,
        as_of_date,
        booked_pct,
        run_recency,
        max(run_recency) over (partition by workspace_id) as oldest_run_recency

    from recent_runs
    where run_recency <= {{ trend_runs }}

),

final as (

    select
        workspace_id,
        count(*) as trend_run_count,
        max(case when run_recency = oldest_run_recency then as_of_date end) as trend_from_date,
        max(case when run_recency = 1 then as_of_date end) as trend_to_date,
        max(case when run_recency = oldest_run_recency then booked_pct end) as trend_from_booked_pct,
        max(case when run_recency = 1 then booked_pct end) as trend_to_booked_pct

    from trend_runs
    group by workspace_id

)

select * from final
