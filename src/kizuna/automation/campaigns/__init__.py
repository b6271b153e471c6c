"""Campaigns: one-off sends to a segment at a scheduled time, with content per rank and A/B
variants, measured against a holdout.

A campaign is a document (``CampaignDoc``, JSON/TOML) stored in ``campaigns`` with its status:
``draft`` → ``scheduled`` → ``sent`` (or ``cancelled``). Sending resolves the audience (an
analytics segment, saved or inline, with each member's rank; or listed customers), picks each
customer's content: the base, then the first ``by_rank`` block whose ranks include the
customer's (dormant: a discount or point-up; loyal: the sub-brand; best: a one-to-one note…),
then the customer's A/B ``variants`` draw (``experiments.variant_for``, stable per customer),
and submits everything through ``automation.sending.submit`` with the experiment
``campaign:<key>`` (holdout 10 % by default, guards, outbox with the key ``c:<key>:<customer>``).
Sending twice sends nothing new. Each treated customer's variant is written to the assignment
log, so ``campaign_results`` compares the variants and names a winner only when the difference
is significant (``experiments.compare``).

The audience is read through the analytics engine, which sees committed data only.
"""

from kizuna.automation.campaigns.document import (
    CampaignDoc,
    Content,
    RankContent,
    Variant,
    content_for,
    load_document,
)
from kizuna.automation.campaigns.results import results, variant_stats, winner
from kizuna.automation.campaigns.service import (
    audience,
    do_create,
    do_schedule,
    due,
    preview,
    send,
    send_file,
)

__all__ = [
    "CampaignDoc",
    "Content",
    "RankContent",
    "Variant",
    "audience",
    "content_for",
    "do_create",
    "do_schedule",
    "due",
    "load_document",
    "preview",
    "results",
    "send",
    "send_file",
    "variant_stats",
    "winner",
]
