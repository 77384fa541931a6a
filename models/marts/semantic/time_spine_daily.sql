{#- One row per day, 2020 to 2035: the time spine MetricFlow needs to aggregate by time. -#}
with

days as (

    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('2020-01-01' as date)",
        end_date="cast('2036-01-01' as date)"
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
