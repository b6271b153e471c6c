"""Loyalty errors. Each names the field at fault so that the API and the CLI can point at it.

KizunaError (kit)
├── ValidationFailed (422)
│   ├── ProgrammeInvalid           the programme document breaks a rule (``field`` is its path)
│   │   └── StagesOverlap          two stages claim the same qualifying amount
│   ├── InvalidPoints              zero, negative or non-integer points (``points``)
│   ├── RedemptionLimit            below the minimum / above the maximum per order (``points``)
│   ├── AdjustmentRefused          manual adjustment without a reason or an actor
│   ├── ReturnWithoutOrder         a return that names no order cannot reverse points
│   └── CouponNotEligible          stage, segment, customer or minimum spend does not fit
├── NotFound (404)
│   ├── HoldNotFound / CouponNotFound / OrderNotFound
├── Conflict (409)
│   ├── InsufficientPoints         the balance (after holds) is short of the request
│   ├── IdempotencyKeyReused       the key was used for a different request
│   ├── HoldExpired                capture after the hold's timeout
│   ├── HoldNotActive              capture/release of a hold already captured or released
│   ├── CouponExpired              outside the coupon's validity
│   └── CouponUsed                 the coupon (or the customer's allowance) is used up
"""

from __future__ import annotations

from kizuna.kit.errors import Conflict, NotFound, ValidationFailed


class ProgrammeInvalid(ValidationFailed):
    code = "programme_invalid"


class StagesOverlap(ProgrammeInvalid):
    code = "stages_overlap"


class InvalidPoints(ValidationFailed):
    code = "invalid_points"


class RedemptionLimit(ValidationFailed):
    code = "redemption_limit"


class AdjustmentRefused(ValidationFailed):
    code = "adjustment_refused"


class ReturnWithoutOrder(ValidationFailed):
    code = "return_without_order"


class CouponNotEligible(ValidationFailed):
    code = "coupon_not_eligible"


class HoldNotFound(NotFound):
    code = "hold_not_found"


class CouponNotFound(NotFound):
    code = "coupon_not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class InsufficientPoints(Conflict):
    code = "insufficient_points"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class HoldExpired(Conflict):
    code = "hold_expired"


class HoldNotActive(Conflict):
    code = "hold_not_active"


class CouponExpired(Conflict):
    code = "coupon_expired"


class CouponUsed(Conflict):
    code = "coupon_used"
