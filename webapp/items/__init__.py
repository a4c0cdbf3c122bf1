"""The item page a scanned label opens: a unit, key or sign, and its history."""
