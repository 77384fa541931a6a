{#-
    workspace_capacity_30d_by_source takes its free-slot counts from
    int_availability_caches_counted, a table of its own: both must have been
    built for the same window (a model rebuilt alone, without the var
    capacity_as_of, gets a window of its own run). Returns the sources whose
    counts are for another window than their row says.
-#}
{#- Dagster shows this test as an asset check of workspace_capacity_30d_by_source: a test that reads
    two models must say which one it checks (dagster-dbt's meta.dagster.ref). -#}
{{ config(meta={'dagster': {'ref': {'name': 'workspace_capacity_30d_by_source'}}}) }}

with

cache_counts as (

    select * from {{ ref('int_availability_caches_counted') }}

),

window_figures as (

    select * from {{ ref('workspace_capacity_30d_by_source') }}

),

final as (

    select
        window_figures.workspace_id,
        window_figures.availability_source,
        window_figures.window_start_at,
        cache_counts.window_start_at as counts_window_start_at,
        window_figures.window_end_at,
        cache_counts.window_end_at as counts_window_end_at

    from window_figures
    inner join cache_counts
        on
            window_figures.workspace_id = cache_counts.workspace_id
            and window_figures.availability_source = cache_counts.availability_source
    where
        -- the marts' timestamps are aware, the intermediate's naive UTC: compare in UTC
        {{ timestamp_tz_to_utc('window_figures.window_start_at') }} != cache_counts.window_start_at
        or {{ timestamp_tz_to_utc('window_figures.window_end_at') }} != cache_counts.window_end_at

)

select * from final
