"""Detection rules of issue 9's detect9 pass (docs/RULES.md, "Detection, generalising
further"): each a class a person can state in one sentence, shown here on sheets written in
styles the rule was not tuned on, read back through the pipeline."""

from __future__ import annotations

import datetime as dt

from helpers import columns_by_field, detect_rows, lot_of, one, reconcile_files, where, write_book, write_mapping


def test_a_table_the_mapping_file_calls_a_count_reads_its_quantity_as_what_was_counted(tmp_path):
    # the tab's name says nothing; the clinic's mapping file says it is a count, and names no column
    book = write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [["Product", "Lot", "Expiration", "Qty Received"],
                      ["Botox", "C3709C3", dt.date(2026, 12, 31), 100]],
        "Sheet2": [["Fecha", "Producto", "Lote", "Cantidad"],
                   [dt.date(2026, 5, 31), "Botox", "C3709C3", 90]],
    })
    mapping = write_mapping(tmp_path / "map.toml", '[[sheets]]\nsheet = "Sheet2"\nkind = "counts"\n')
    result = reconcile_files([book], mapping=mapping)
    lot = lot_of(result, "C3709C3")
    assert lot.count_variance == -10
    assert where(one(result, "COUNT_VARIANCE"))[1:4] == ("Sheet2", 2, "Cantidad")


def test_without_the_mapping_file_a_bare_quantity_on_an_unnamed_tab_is_no_count():
    # the same table with no word of a count anywhere: a stock movement, never a count
    det = detect_rows([["Fecha", "Producto", "Lote", "Cantidad"],
                       [dt.date(2026, 5, 31), "Botox", "C3709C3", 90]], sheet="Sheet2")
    assert det.kind is None or det.kind.value != "counts"
    assert "counted" not in columns_by_field(det)
