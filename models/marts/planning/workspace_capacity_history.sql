{#-
    The mart's figures recorded per run: one row per workspace and as-of
    date. Re-running an as-of date replaces that day's rows (delete+insert on
    the key), never duplicates them; full refreshes are refused so history
    cannot be wiped by accident (drop the table on purpose to restart it).
    Backfill a past date by running with capacity_as_of set to it.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['workspace_id', 'as_of_date'],
        incremental_strategy='delete+insert',
        full_refresh=false,
        on_schema_change='append_new_columns',
    )
}}
{#- as_of_at's UTC day, for as_of_date and the key's text alike (a plain cast of
    the aware as_of_at would give the day in the session's time zone) -#}
{%- set as_of_utc_date = 'cast(' ~ timestamp_tz_to_utc('as_of_at') ~ ' as date)' %}

with

capacity as (

    select * from {{ ref('workspace_capacity_30d') }}

),

final as (

    select
        workspace_id,
        {{ as_of_utc_date }} as as_of_date,
        as_of_at,
        window_start_at,
        window_end_at,
        booked_slots,
        available_slots,
        total_slots,
        booked_pct,
        booked_pct_null_reason,
        default_booked_slots,
        default_available_slots,
        default_booked_pct,
        direct_book_booked_slots,
        direct_book_available_slots,
        direct_book_booked_pct,
        unattributed_booked_slots,
        cache_fetched_at,
        cache_is_stale,
        cache_covers_window,
        {{ utc_to_timestamp_tz(run_started_at_literal()) }} as recorded_at,
        -- appended after recorded_at: on_schema_change adds it to existing history (NULL before)
        invalid_slot_entries,
        -- the key, last: a history recorded before it existed gets it appended
        -- (on_schema_change) rather than its columns shifted
        {{ surrogate_key(['workspace_id', as_of_utc_date]) }} as workspace_as_of_date_id

    from capacity

)

select * from final
