{#-
    The % booked columns every capacity model derives from its booked and
    available counts, so the NULL rules (SPEC §1) live in one place: without
    a cache row available is NULL, so total and % are NULL ('no_cache_row');
    a total of 0 gives a NULL % ('no_slots_in_window'), never 0 or 100; a
    DIRECT_BOOK that is DEFAULT's calendar again has no % of its own
    ('shares_default_calendar': its bookings all count as DEFAULT).
-#}
{% macro booked_pct_columns(booked, available, has_cache, shares_default_calendar='false') -%}
    {{ booked }} + {{ available }} as total_slots,
    case
        when not {{ shares_default_calendar }}
            then {{ safe_divide('100 * ' ~ booked, booked ~ ' + ' ~ available) }}
    end as booked_pct,
    case
        when not {{ has_cache }} then 'no_cache_row'
        when {{ shares_default_calendar }} then 'shares_default_calendar'
        when {{ booked }} + {{ available }} = 0 then 'no_slots_in_window'
    end as booked_pct_null_reason
{%- endmacro %}
