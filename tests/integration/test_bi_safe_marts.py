"""BI-safe marts: the marts alone in the schema a BI tool browses.

A BI tool browses one schema and trusts what it finds there. These tests
read the built demo the way such a client does.
"""

from __future__ import annotations

import pytest

from capacity.settings import PROJECT_DIR
from capacity.warehouse import Warehouse, connect, fetch_dicts, model_schema, model_schemas

MARTS = sorted(path.stem for path in (PROJECT_DIR / "models" / "marts").rglob("*.sql"))


# --- the schema a BI tool browses holds the marts only -----------------------------------


def check_layers_in_their_schemas(warehouse: Warehouse) -> None:
    with connect(warehouse) as connection:
        rows = fetch_dicts(
            connection,
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join([warehouse.placeholder] * 3)})",
            list(model_schemas(warehouse.schema)),
        )
    by_schema: dict[str, set[str]] = {}
    for row in rows:
        by_schema.setdefault(row["table_schema"], set()).add(row["table_name"])
    assert sorted(by_schema[warehouse.schema]) == MARTS
    staging, intermediate = model_schemas(warehouse.schema)[1:]
    assert by_schema[staging] and all(name.startswith("stg_") for name in by_schema[staging])
    assert by_schema[intermediate] and all(
        name.startswith("int_") for name in by_schema[intermediate]
    )
    # capacity.warehouse finds every relation where dbt built it
    for schema, names in by_schema.items():
        assert all(model_schema(warehouse.schema, name) == schema for name in names), schema


def test_duckdb_main_schema_holds_the_marts_only(duckdb_demo: Warehouse) -> None:
    check_layers_in_their_schemas(duckdb_demo)


@pytest.mark.postgres
def test_postgres_models_schema_holds_the_marts_only(postgres_demo: Warehouse) -> None:
    check_layers_in_their_schemas(postgres_demo)
