"""Imports every domain's models so that Alembic and tests see one MetaData. Nothing else."""

from kizuna.accounts import models as account_models
from kizuna.analytics import models as analytics_models
from kizuna.automation import models as automation_models
from kizuna.automation.journeys import models as journey_models
from kizuna.catalog import models as catalog_models
from kizuna.channels import models as channel_models
from kizuna.clv import store as clv_store
from kizuna.customers import models as customer_models
from kizuna.events import models as event_models
from kizuna.feedback import models as feedback_models
from kizuna.kit.db import Base
from kizuna.loyalty import models as loyalty_models
from kizuna.orders import aftersales_models as order_aftersales_models
from kizuna.orders import models as order_models
from kizuna.recommend import models as recommend_models

__all__ = [
    "Base",
    "account_models",
    "analytics_models",
    "automation_models",
    "catalog_models",
    "channel_models",
    "clv_store",
    "customer_models",
    "event_models",
    "feedback_models",
    "journey_models",
    "loyalty_models",
    "order_aftersales_models",
    "order_models",
    "recommend_models",
]
