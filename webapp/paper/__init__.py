"""The printed forms: the rulebook's paper forms filled from the records, as A4 PDFs with
real text (``pdf.Paper``), and the pages that offer them."""
