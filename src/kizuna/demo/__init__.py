"""The demo shop: a deterministic synthetic Japanese online shop, loaded like a CSV import."""

from kizuna.demo.load import DemoReport, run_demo

__all__ = ["DemoReport", "run_demo"]
