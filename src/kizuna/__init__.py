"""kizuna (絆): CRM, loyalty and marketing automation for online shops."""

__version__ = "0.1.0"
