"""The estate registry on the desktop: buildings, units, signs and keys; import and export."""
