def table_name() -> str:
    return "orders"
