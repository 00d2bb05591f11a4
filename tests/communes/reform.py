"""A province before and after the 1/7/2025 reform, loaded through the ◆ commands.

The province, its units and the mergers are invented for the tests (Tỉnh Minh Hòa does not
exist): two districts dissolved on 01/07/2025 with five old communes, and three new units
directly under the province formed from them (2:1, 1:1, 2:1).
"""

from pathlib import Path

from .. import files

UNIT_HEADER = ["code", "name", "kind", "parent_code", "active_from", "active_to"]
REFORM = "01/07/2025"
UNITS = [
    ["MH", "Tỉnh Minh Hòa", "tinh", "", "", ""],
    ["MH-H1", "Huyện Đông Hòa", "huyen", "MH", "", REFORM],
    ["MH-H2", "Thị xã Tây Hòa", "thi_xa", "MH", "", REFORM],
    ["MH-A", "Xã An Lạc", "xa", "MH-H1", "", REFORM],
    ["MH-B", "Xã Bình Minh", "xa", "MH-H1", "", REFORM],
    ["MH-C", "Thị trấn Đông Hòa", "thi_tran", "MH-H1", "", REFORM],
    ["MH-D", "Phường Tây Sơn", "phuong", "MH-H2", "", REFORM],
    ["MH-E", "Phường Tây Hồ", "phuong", "MH-H2", "", REFORM],
    ["MH-01", "Xã Đông An", "xa", "MH", REFORM, ""],
    ["MH-02", "Xã Đông Hòa", "xa", "MH", REFORM, ""],
    ["MH-03", "Phường Tây Hòa", "phuong", "MH", REFORM, ""],
]
OLD_COMMUNES = ["MH-A", "MH-B", "MH-C", "MH-D", "MH-E"]
NEW_COMMUNES = ["MH-01", "MH-02", "MH-03"]
SUCCESSION_HEADER = ["predecessor_code", "successor_code", "effective_date"]
SUCCESSIONS = [
    ["MH-A", "MH-01", REFORM],
    ["MH-B", "MH-01", REFORM],
    ["MH-C", "MH-02", REFORM],
    ["MH-D", "MH-03", REFORM],
    ["MH-E", "MH-03", REFORM],
]


def load_reform(folder: Path) -> None:
    """The units with their dates, then who became whom."""
    files.run("import_units", str(files.write_csv(folder, "don-vi.csv", [UNIT_HEADER, *UNITS])))
    files.run(
        "import_successions",
        str(files.write_csv(folder, "ke-thua.csv", [SUCCESSION_HEADER, *SUCCESSIONS])),
    )
