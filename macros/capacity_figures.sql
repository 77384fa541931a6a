{#-
    The % booked columns every capacity model derives from its booked and
    available counts, so the NULL rules (SPEC §1, §5) live in one place.
    null_reason is a SQL expression giving why the figure has no % whatever
    its counts (no_cache_row, cache_unreadable, not_configured,
    shares_default_calendar, no_configured_calendar), NULL when it may have
    one; otherwise a total of 0 gives a NULL % ('no_slots_in_window'), never
    0 or 100. A % is NULL exactly when a reason is given.
-#}
{% macro booked_pct_columns(booked, available, null_reason) -%}
    {{ booked }} + {{ available }} as total_slots,
    case
        when {{ null_reason }} is null
            then {{ safe_divide('100 * ' ~ booked, booked ~ ' + ' ~ available) }}
    end as booked_pct,
    coalesce(
        {{ null_reason }},
        case when {{ booked }} + {{ available }} = 0 then 'no_slots_in_window' end
    ) as booked_pct_null_reason
{%- endmacro %}

{#-
    Whether a cache's slotsUtc can be read (SPEC §5), from its JSON type
    (stg_app__workspace_availability_caches.slots_json_type): only an array,
    [] included; any other JSON type, text that is not JSON and a SQL NULL
    cannot. Never NULL. Every model that tells readable caches from the others
    asks here.
-#}
{% macro slots_json_is_readable(slots_json_type) -%}
    coalesce({{ slots_json_type }} = 'array', false)
{%- endmacro %}

{#-
    A source's free slots as a count: known only from a readable cache (a JSON
    array, [] included, SPEC §5), where a count that found nothing is 0;
    without a cache row or with an unreadable one they are unknown, NULL,
    never 0. Every capacity model takes its available_slots from here.
-#}
{% macro known_available_slots(cache_is_readable, counted_free_slots) -%}
    case when {{ cache_is_readable }} then coalesce({{ counted_free_slots }}, 0) end
{%- endmacro %}
