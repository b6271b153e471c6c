"""A small, hand-made shop for the recommendation tests: two categories, repeat and one-off
items, stock states, buyers, a browser and a cold customer (rows written with the ORM)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from kizuna.catalog.models import Category, Product
from kizuna.customers.models import Customer
from kizuna.events.models import Event
from kizuna.orders.models import Order, OrderLine

REGULARS = 30
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
PRODUCTS = {
    # sku: (category code, price, stock status)
    "BEAN-A": ("coffee", 1600, "in_stock"),
    "BEAN-B": ("coffee", 1700, "in_stock"),
    "BEAN-C": ("coffee", 1650, "out_of_stock"),
    "BEAN-D": ("coffee", 5000, "in_stock"),
    "BEAN-E": ("coffee", 1500, "low_stock"),
    "MUG-1": ("mugs", 2500, "in_stock"),
    "MUG-2": ("mugs", 2600, "in_stock"),
    "MUG-3": ("mugs", 2550, "discontinued"),
}


class Shop:
    """Writes the shop; ``ids`` maps each customer's external id to its database id."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ids: dict[str, int] = {}
        self.orders = 0

    def products(self) -> None:
        codes = {}
        for code in ("coffee", "mugs"):
            category = Category(code=code, name=code)
            self.session.add(category)
            self.session.flush()
            codes[code] = category.id
        for sku, (code, price, stock) in PRODUCTS.items():
            self.session.add(
                Product(sku=sku, name=sku, category_id=codes[code], price=price, stock_status=stock)
            )
        self.session.flush()

    def customer(self, key: str, *, member: bool = True, prefecture: str = "東京都") -> int:
        person = Customer(external_id=key, is_member=member, prefecture=prefecture)
        self.session.add(person)
        self.session.flush()
        self.ids[key] = person.id
        return person.id

    def order(self, key: str, *skus: str, days: int = 0) -> None:
        self.orders += 1
        placed = START + timedelta(days=days)
        order = Order(
            order_number=f"T{self.orders:05d}",
            customer_id=self.ids[key],
            placed_at=placed,
            status="paid",
            currency="JPY",
        )
        self.session.add(order)
        self.session.flush()
        for no, sku in enumerate(skus, 1):
            price = PRODUCTS[sku][1]
            self.session.add(
                OrderLine(
                    order_id=order.id,
                    line_no=no,
                    sku=sku,
                    quantity=1,
                    unit_price=price,
                    amount=price,
                )
            )

    def view(
        self,
        key: str | None,
        sku: str,
        *,
        anonymous: str | None = None,
        days: int = 0,
        kind: str = "product_view",
    ) -> None:
        n = len(self.session.new) + self.orders * 1000 + days * 7
        self.session.add(
            Event(
                event_key=f"e-{key}-{anonymous}-{sku}-{days}-{kind}-{n}",
                customer_id=self.ids[key] if key else None,
                anonymous_id=anonymous,
                type=kind,
                occurred_at=START + timedelta(days=days, minutes=len(sku)),
                sku=sku,
            )
        )


def build_shop(session: Session) -> Shop:
    """The standard test shop.

    - 30 regulars buy BEAN-A on three orders; their first order also has MUG-1 (one-off) and,
      for half of them, BEAN-C (now out of stock) and MUG-3 (now discontinued).
    - ``target`` bought MUG-1 once and BEAN-A twice, BEAN-B once.
    - ``browser`` never bought, viewed mugs on two days; ``cold`` has no signal (大阪府).
    - anonymous visitors view BEAN-A with BEAN-B in the same visit.
    """
    shop = Shop(session)
    shop.products()
    for n in range(REGULARS):
        key = f"regular-{n}"
        shop.customer(key)
        first = ["BEAN-A", "MUG-1"] + (["BEAN-C", "MUG-3"] if n % 2 else [])
        shop.order(key, *first, days=n)
        shop.order(key, "BEAN-A", days=n + 30)
        shop.order(key, "BEAN-A", "BEAN-E" if n % 4 == 0 else "BEAN-A", days=n + 60)
    shop.customer("target")
    shop.order("target", "MUG-1", "BEAN-A", days=1)
    shop.order("target", "BEAN-A", "BEAN-B", days=40)
    shop.customer("browser")
    for day in (70, 71):
        shop.view("browser", "MUG-2", days=day)
        shop.view("browser", "MUG-1", days=day)
    shop.customer("cold", prefecture="大阪府")
    shop.customer("guest", member=False)
    for n in range(6):
        shop.view(None, "BEAN-A", anonymous=f"anon-{n}", days=80)
        shop.view(None, "BEAN-B", anonymous=f"anon-{n}", days=80)
    session.flush()
    return shop
