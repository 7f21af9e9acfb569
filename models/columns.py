"""Column types shared by the tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from domain.money import MAX_MINOR_UNITS

_SCALE = Decimal(10) ** MAX_MINOR_UNITS


class MoneyType(TypeDecorator[Decimal]):
    """An exact money amount with up to three decimals.

    PostgreSQL stores ``NUMERIC(18, 3)``. SQLite has no exact decimal type
    (SQLAlchemy would go through ``float``), so there the amount is stored as
    an integer count of thousandths. Python code always gets ``Decimal``.
    """

    impl = Numeric(18, MAX_MINOR_UNITS)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, MAX_MINOR_UNITS, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value)
        scaled = amount * _SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(
                f"amount {amount} has more than {MAX_MINOR_UNITS} decimals"
            )
        if dialect.name == "sqlite":
            return int(scaled)
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _SCALE).normalize().quantize(Decimal("0.001"))
        return Decimal(value).quantize(Decimal("0.001"))
