"""Inventory model for the demo project: warehouses, items, and a ledger of changes."""

from dataclasses import dataclass, field


@dataclass
class Ledger:
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def receive(self, warehouse: str, item: str, quantity: int) -> int:
        key = (warehouse, item)
        self.counts[key] = self.counts.get(key, 0) + quantity
        return self.counts[key]

    def ship(self, warehouse: str, item: str, quantity: int) -> int:
        key = (warehouse, item)
        current = self.counts.get(key, 0)
        if quantity > current:
            raise ValueError(f"cannot ship {quantity} of {item} from {warehouse}: only {current} in stock")
        self.counts[key] = current - quantity
        return self.counts[key]
