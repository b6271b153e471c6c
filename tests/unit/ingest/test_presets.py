"""Import presets are TOML data: the generic kizuna formats plus cdnow and online-retail."""

from __future__ import annotations

import pytest

from kizuna.ingest.presets import load_preset, preset_names
from kizuna.kit.errors import UnusableInput


class TestLoadPreset:
    @pytest.mark.parametrize(
        ("kind", "name", "expected_name", "required_columns"),
        [
            pytest.param("customers", None, "kizuna", {"customer_id"}, id="customers_default"),
            pytest.param("products", "kizuna", "kizuna", {"sku"}, id="products_named"),
            pytest.param("orders", None, "kizuna", {"placed_at", "quantity"}, id="orders"),
            pytest.param(
                "events", None, "kizuna", {"event_id", "type", "occurred_at"}, id="events"
            ),
            pytest.param(
                "orders",
                "online-retail",
                "online-retail",
                {"InvoiceDate", "Quantity"},
                id="online_retail",
            ),
        ],
    )
    def test_presets_map_kizuna_fields_to_columns(
        self, kind: str, name: str | None, expected_name: str, required_columns: set[str]
    ) -> None:
        preset = load_preset(kind, name)
        assert preset.name == expected_name
        assert preset.kind == kind
        assert required_columns <= set(preset.columns.values())

    def test_cdnow_has_no_header_and_positions(self) -> None:
        preset = load_preset("orders", "cdnow-sample")
        assert preset.header is False
        assert preset.delimiter == "whitespace"
        assert preset.columns == {"customer": "1", "placed_at": "3", "quantity": "4", "amount": "5"}
        assert (preset.currency, preset.timezone) == ("USD", "America/New_York")

    def test_unknown_preset_lists_the_available_ones(self) -> None:
        with pytest.raises(UnusableInput) as caught:
            load_preset("orders", "shopify")
        assert caught.value.message == (
            "unknown preset 'shopify'; available: cdnow, cdnow-sample, kizuna, online-retail"
        )

    def test_preset_of_another_kind_is_refused(self) -> None:
        with pytest.raises(UnusableInput) as caught:
            load_preset("customers", "cdnow")
        assert caught.value.message == "preset 'cdnow' imports orders, not customers"


def test_preset_names_are_the_shipped_mappings() -> None:
    assert preset_names() == ["cdnow", "cdnow-sample", "kizuna", "online-retail"]
