"""Stage benefits as data: a registry of benefit types, each with a label and a cost model.

A stage in the programme lists its benefits; ``type`` is the discriminator. Each type says in
words what the member gets (``label``) and what it costs the shop in a month given that stage's
activity (``monthly_cost``), which feeds the dashboard's benefit-cost table:

=====================  =====================================================  ====================
type                   what the member gets                                   monthly cost model
=====================  =====================================================  ====================
``discount``           ``percent`` off goods                                  spend × percent
``free_shipping``      no shipping fee from ``min_order`` yen                 orders × fee
``fee_waiver``         a named fee (gift wrap, COD…) waived                   orders × fee
``priority_shipping``  ships first; same-day when ``same_day``                orders × cost
``early_access``       buys ``days_before_launch`` days before launch         none
``dedicated_support``  a dedicated support contact                            members × cost
``birthday_gift``      the product the member buys most (or a fixed SKU)      birthdays × value
``digital_gift``       a digital gift, monthly or on reaching the stage       members or newcomers
=====================  =====================================================  ====================

Pure: the figures come in as ``StageActivity``; ``benefits.monthly_benefit_cost`` fetches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from kizuna.kit.money import format_yen
from kizuna.loyalty.calc import percent_of


@dataclass(frozen=True, slots=True)
class StageActivity:
    """One stage's month: members, members with a birthday, members who reached the stage,
    orders, orders at or above ``free_shipping_orders``' thresholds, and goods spend (yen)."""

    members: int = 0
    birthdays: int = 0
    newcomers: int = 0
    orders: int = 0
    spend: int = 0
    orders_from: dict[int, int] | None = None


class _Benefit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label_en: ClassVar[str] = ""
    label_ja: ClassVar[str] = ""

    def label(self, language: str = "en") -> str:
        """What the member gets, in words."""
        values = {
            k: format_yen(v) if k.endswith("yen") else v for k, v in self.model_dump().items()
        }
        return (self.label_ja if language == "ja" else self.label_en).format(**values)

    def monthly_cost(self, activity: StageActivity) -> int:
        """Yen this benefit costs the shop in a month of ``activity``."""
        return 0


class Discount(_Benefit):
    type: Literal["discount"] = "discount"
    percent: Decimal = Field(gt=0, le=100)
    label_en: ClassVar[str] = "{percent}% member discount"
    label_ja: ClassVar[str] = "会員割引 {percent}%"

    def monthly_cost(self, activity: StageActivity) -> int:
        return percent_of(activity.spend, self.percent)


class FreeShipping(_Benefit):
    type: Literal["free_shipping"] = "free_shipping"
    min_order_yen: int = Field(default=0, ge=0)
    fee_yen: int = Field(default=600, ge=0, description="The standard fee waived (for costing)")
    label_en: ClassVar[str] = "Free shipping from {min_order_yen}"
    label_ja: ClassVar[str] = "{min_order_yen}以上で送料無料"

    def monthly_cost(self, activity: StageActivity) -> int:
        return (activity.orders_from or {}).get(self.min_order_yen, activity.orders) * self.fee_yen


class FeeWaiver(_Benefit):
    type: Literal["fee_waiver"] = "fee_waiver"
    fee: str = Field(min_length=1, max_length=60)
    fee_yen: int = Field(ge=0)
    label_en: ClassVar[str] = "{fee} fee waived"
    label_ja: ClassVar[str] = "{fee}無料"

    def monthly_cost(self, activity: StageActivity) -> int:
        return activity.orders * self.fee_yen


class PriorityShipping(_Benefit):
    type: Literal["priority_shipping"] = "priority_shipping"
    same_day: bool = False
    cost_per_order_yen: int = Field(default=0, ge=0)
    label_en: ClassVar[str] = "Priority shipping (same day: {same_day})"
    label_ja: ClassVar[str] = "優先発送（当日発送: {same_day}）"

    def monthly_cost(self, activity: StageActivity) -> int:
        return activity.orders * self.cost_per_order_yen


class EarlyAccess(_Benefit):
    type: Literal["early_access"] = "early_access"
    days_before_launch: int = Field(gt=0, le=365)
    label_en: ClassVar[str] = "Early access {days_before_launch} days before launch"
    label_ja: ClassVar[str] = "新商品を発売{days_before_launch}日前から購入可能"


class DedicatedSupport(_Benefit):
    type: Literal["dedicated_support"] = "dedicated_support"
    contact: str = Field(min_length=1, max_length=200)
    cost_per_member_yen: int = Field(default=0, ge=0)
    label_en: ClassVar[str] = "Dedicated support: {contact}"
    label_ja: ClassVar[str] = "専用サポート窓口: {contact}"

    def monthly_cost(self, activity: StageActivity) -> int:
        return activity.members * self.cost_per_member_yen


class BirthdayGift(_Benefit):
    type: Literal["birthday_gift"] = "birthday_gift"
    gift: Literal["most_bought_product", "sku"] = "most_bought_product"
    sku: str | None = None
    value_yen: int = Field(ge=0)
    label_en: ClassVar[str] = "Birthday gift ({gift}, up to {value_yen})"
    label_ja: ClassVar[str] = "誕生日プレゼント（{gift}、{value_yen}まで）"

    def monthly_cost(self, activity: StageActivity) -> int:
        return activity.birthdays * self.value_yen


class DigitalGift(_Benefit):
    type: Literal["digital_gift"] = "digital_gift"
    description: str = Field(min_length=1, max_length=200)
    value_yen: int = Field(ge=0)
    frequency: Literal["monthly", "on_reaching_stage"] = "monthly"
    label_en: ClassVar[str] = "Digital gift: {description}"
    label_ja: ClassVar[str] = "デジタルギフト: {description}"

    def monthly_cost(self, activity: StageActivity) -> int:
        count = activity.members if self.frequency == "monthly" else activity.newcomers
        return count * self.value_yen


Benefit = Annotated[
    Discount
    | FreeShipping
    | FeeWaiver
    | PriorityShipping
    | EarlyAccess
    | DedicatedSupport
    | BirthdayGift
    | DigitalGift,
    Field(discriminator="type"),
]
BENEFIT_TYPES: dict[str, type[_Benefit]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        Discount,
        FreeShipping,
        FeeWaiver,
        PriorityShipping,
        EarlyAccess,
        DedicatedSupport,
        BirthdayGift,
        DigitalGift,
    )
}
