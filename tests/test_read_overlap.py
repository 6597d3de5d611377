"""Reading a run's files on both cores (issue 10): a workbook parsed in the guarded child is
forked before the next file is read, and finished after.  The sheets, their order and the
error a person sees must be what reading the files one by one gives."""

from __future__ import annotations


import openpyxl
import pytest
import readers_files as rf
from readers_files import no_child_left

from lotsync import pipeline
from lotsync.readers import ReadError, read_path


def visits_workbook(path, n: int = 50):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Treatments"
    ws.append(["Date", "Product", "Lot #", "Units Used"])
    for i in range(n):
        ws.append([f"1/{i % 28 + 1}/2025", "Botox 100U", "C3709C3", i % 40 + 1])
    wb.save(path)
    return path


def aborting_workbook(path):
    """A cell at XFD1048576 whose `r` follows a tab: the scan cannot vouch for it, and
    calamine aborts on it in the child."""
    return rf.write(path, rf.with_sheet_xml(
        rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b"</sheetData>",
                            b'<row r="1048576"><c\tr="XFD1048576"><v>1</v></c></row></sheetData>')))


def test_files_read_together_give_the_sheets_of_each_file_in_order(tmp_path):
    inventory = rf.write(tmp_path / "inventory.xlsx", rf.xlsx_bytes(rf.small_workbook()))
    visits = visits_workbook(tmp_path / "visits.xlsx")
    csv = tmp_path / "counts.csv"
    csv.write_text("Product,Lot,Counted\nBotox 100U,C3709C3,3\n")
    together = pipeline.read_sources([str(inventory), str(csv), str(visits)])
    one_by_one = read_path(inventory) + read_path(csv) + read_path(visits)
    assert [(s.file, s.sheet, s.rows, s.notes) for s in together] == \
        [(s.file, s.sheet, s.rows, s.notes) for s in one_by_one]
    assert [s.sheet for s in together] == ["Inventory", None, "Treatments"]
    assert no_child_left()


def test_the_first_files_damage_is_reported_when_a_later_file_is_not_a_spreadsheet(tmp_path):
    damaged = aborting_workbook(tmp_path / "damaged.xlsx")
    pdf = rf.write(tmp_path / "scan.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    with pytest.raises(ReadError) as err:
        pipeline.read_sources([str(damaged), str(pdf)])
    assert "damaged.xlsx" in str(err.value) and "looks damaged" in str(err.value)
    assert no_child_left()


def test_a_later_files_error_is_reported_and_no_child_is_left_running(tmp_path):
    inventory = rf.write(tmp_path / "inventory.xlsx", rf.xlsx_bytes(rf.small_workbook()))
    pdf = rf.write(tmp_path / "scan.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    with pytest.raises(ReadError) as err:
        pipeline.read_sources([str(inventory), str(pdf)])
    assert "scan.xlsx" in str(err.value) and "PDF" in str(err.value)
    assert no_child_left()


def test_a_damaged_second_workbook_is_reported_after_the_first_is_read(tmp_path):
    inventory = rf.write(tmp_path / "inventory.xlsx", rf.xlsx_bytes(rf.small_workbook()))
    damaged = aborting_workbook(tmp_path / "damaged.xlsx")
    with pytest.raises(ReadError) as err:
        pipeline.read_sources([str(inventory), str(damaged)])
    assert "damaged.xlsx" in str(err.value) and "looks damaged" in str(err.value)
    assert no_child_left()


def test_a_recorded_run_starts_each_file_and_records_the_inputs_in_order(tmp_path):
    from lotsync.nightly.history import InputRecorder

    inventory = rf.write(tmp_path / "inventory.xlsx", rf.xlsx_bytes(rf.small_workbook()))
    visits = visits_workbook(tmp_path / "visits.xlsx")
    rec = InputRecorder(read=pipeline.SourceReader())
    sheets = pipeline.read_sources([str(inventory), str(visits)], rec)
    assert [s.sheet for s in sheets] == ["Inventory", "Treatments"]
    plain = InputRecorder()
    pipeline.read_sources([str(inventory), str(visits)], plain.read)
    assert rec.inputs == plain.inputs and len(rec.inputs) == 2
    assert no_child_left()


def test_the_workbook_reader_shares_equal_text_and_keeps_every_cell_as_calamine_gives_it(tmp_path):
    import datetime as dt

    from python_calamine import CalamineWorkbook

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Date", "Product", "Units", "Paid", "Note"])
    for i in range(30):
        ws.append([dt.date(2026, 1, 1 + i % 3), "Botox 100U", [20, 1.0, 0.0, -0.0, True][i % 5],
                   [True, 1, 0, False, None][i % 5], None if i % 2 else "same note"])
    path = tmp_path / "shared.xlsx"
    wb.save(path)
    sheet = read_path(path)[0]
    reference = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    reference = [[None if c == "" and c.__class__ is str else c for c in r] for r in reference]
    assert [[(type(c), repr(c)) for c in r] for r in sheet.rows] == \
        [[(type(c), repr(c)) for c in r] for r in reference]
    assert sheet.cells_shared
    assert sheet.rows[1][1] is sheet.rows[2][1] and sheet.rows[1][0] is sheet.rows[4][0]
    assert sheet.rows[1][4] is sheet.rows[3][4]


def test_a_folder_of_many_small_workbooks_reads_under_a_low_open_file_limit(tmp_path):
    # review: every file's child, pipe and thread were started at once; 80 daily exports
    # under `ulimit -n 64` exited 2 naming a healthy file ("Too many open files")
    import resource
    import subprocess
    import sys
    folder = tmp_path / "exports"
    folder.mkdir()
    rf.write(folder / "inventory.xlsx", rf.xlsx_bytes(rf.small_workbook()))
    for i in range(40):
        visits_workbook(folder / f"visits-{i:03d}.xlsx", n=1)

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    done = subprocess.run([sys.executable, "-m", "lotsync", "check", str(folder)], capture_output=True,
                          text=True, preexec_fn=low_limit, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "Too many open files" not in done.stdout + done.stderr
    assert done.stdout.count("visits table") == 40
