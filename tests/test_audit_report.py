"""The audit's heat map (terminal, SVG, matplotlib) and shareable reports (HTML, Markdown), drawn from a
small audit worked by hand, and the HTML opened in a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from llmwalls.errors import InputError, LlmwallsError
from llmwalls.render import audit_view, heatmap, report

QUARTERS = ["2026Q1", "2026Q2", "2026Q3"]


def _walls(**uses: tuple[float, float]) -> dict[str, dict[str, Any]]:
    """{label: demand, limit} -> the audit's plain wall records, utilisation = demand / limit."""
    return {
        name.replace("_", " "): {
            "demand": d,
            "limit": lim,
            "utilization": d / lim,
            "range": [d / lim, d / lim],
        }
        for name, (d, lim) in uses.items()
    }


def _result() -> dict[str, Any]:
    # chat: HBM bandwidth demand per GPU vs the 2.0e12 B/s it gets (bandwidth-bound decode):
    #   Q1 0.8e12 / 2e12 = 40%, Q2 1.7e12 / 2e12 = 85%, Q3 2.4e12 / 2e12 = 120% (hit).
    # rag: memory capacity 48 GB of 80 GB = 60%, then 84 / 80 = 105% (hit); not running in Q3.
    rows = [
        ("chat", "2026Q1", _walls(memory_bandwidth=(0.8e12, 2e12), memory_capacity=(24e9, 80e9))),
        ("chat", "2026Q2", _walls(memory_bandwidth=(1.7e12, 2e12), memory_capacity=(40e9, 80e9))),
        ("chat", "2026Q3", _walls(memory_bandwidth=(2.4e12, 2e12), memory_capacity=(72e9, 80e9))),
        ("rag", "2026Q1", _walls(memory_bandwidth=(0.4e12, 2e12), memory_capacity=(48e9, 80e9))),
        ("rag", "2026Q2", _walls(memory_bandwidth=(0.5e12, 2e12), memory_capacity=(84e9, 80e9))),
    ]
    return {
        "quarters": QUARTERS,
        "rows": [
            {"workload": w, "kind": "serving", "quarter": q, "gpu": "h100-sxm", "gpus": 64,
             "model": "llama-3.1-70b", "walls": walls}
            for w, q, walls in rows
        ],
        "summary": [
            {"workload": "rag", "kind": "serving", "starves": True, "quarter": "2026Q2",
             "wall": "memory capacity",
             "quarter_pessimistic": "2026Q2", "wall_pessimistic": "memory capacity",
             "fix": {"extra_gpus": 8.0, "gpus_plan": 72.0, "tp": 8}},
            {"workload": "chat", "kind": "serving", "starves": True, "quarter": "2026Q3",
             "wall": "memory bandwidth",
             "quarter_pessimistic": "2026Q3", "wall_pessimistic": "memory bandwidth",
             "fix": {"extra_gpus": 16.0, "gpus_plan": 80.0, "tp": 8}},
        ],
    }  # fmt: skip


@pytest.fixture
def view() -> audit_view.AuditView:
    return audit_view.from_audit(_result())


def test_bands_and_values() -> None:
    # hit exactly above 1 (as every wall), near from the threshold, the lightest shade below 50%
    assert heatmap.band(0.49, 0.8) == 0
    assert heatmap.band(0.5, 0.8) == 1
    assert heatmap.band(0.8, 0.8) == 2
    assert heatmap.band(1.0, 0.8) == 2
    assert heatmap.band(1.0000001, 0.8) == 3
    assert heatmap.band(None, 0.8) is None
    assert heatmap.value_text(0.845) == "84%"  # 84.5 rounds half to even
    assert heatmap.value_text(1.2) == "120%"
    assert heatmap.value_text(12.3) == "12x"
    assert heatmap.value_text(None) == "-"


def test_view_of_the_audit(view: audit_view.AuditView) -> None:
    assert view.workloads == ("rag", "chat")  # the report's order: starving first
    chat_q3 = view.cell("chat", "2026Q3")
    assert chat_q3 is not None and chat_q3.binding is not None
    assert chat_q3.binding.wall == "memory_bandwidth"
    assert chat_q3.binding.utilization == pytest.approx(1.2)  # 2.4e12 / 2e12
    assert view.cell("rag", "2026Q3") is None
    assert view.findings[0].fix == "+8 GPUs (to 72, TP 8)"
    assert view.verdict == (
        "rag starves first: memory capacity in 2026Q2; then chat (memory bandwidth, 2026Q3)."
    )


def test_terminal_heat_map(view: audit_view.AuditView) -> None:
    text = heatmap.terminal_text(view)
    lines = text.splitlines()
    rag = next(line for line in lines if line.startswith("rag "))
    chat = next(line for line in lines if line.startswith("chat "))
    # rag: 48/80 = 60% memory capacity (ok band), 84/80 = 105% (hit), not running
    assert rag.split()[1:] == ["▒M", "60%", "█M", "105%", "·", "-"]
    # chat: bandwidth binds every quarter: 40% (low), 85% (near), 120% (hit)
    assert chat.split()[1:] == ["░B", "40%", "▓B", "85%", "█B", "120%"]
    assert "letters: M memory capacity, B memory bandwidth" in text
    # one wall in focus: memory capacity of chat is 24/80 = 30%, 40/80 = 50%, 72/80 = 90%
    focus = heatmap.terminal_text(view, wall="memory_capacity")
    chat = next(line for line in focus.splitlines() if line.startswith("chat "))
    assert chat.split()[1:] == ["░M", "30%", "▒M", "50%", "▓M", "90%"]
    # ranked by the quarter the wall is hit, then by the peak: rag hits memory capacity in 2026Q2 (84/80)
    assert focus.replace("\n", " ").endswith(
        "Closest to the memory capacity wall: rag (hit in 2026Q2, peak 105% in 2026Q2), "
        "chat (peak 90% in 2026Q3)."
    )
    assert "…" not in text + focus


def test_terminal_heat_map_fits_100_columns_for_a_long_horizon(view: audit_view.AuditView) -> None:
    # 40 quarters (the 120-month maximum) wrap into blocks; every line within 100 columns; every quarter shown
    quarters = tuple(f"{2026 + i // 4}Q{i % 4 + 1}" for i in range(40))
    long = audit_view.AuditView(
        title="t", roadmap="r", quarters=quarters, workloads=("a-workload-with-a-rather-long-name-indeed",),
        cells=tuple(
            audit_view.Cell("a-workload-with-a-rather-long-name-indeed", q, "p", "g", 8, "m",
                            (audit_view.WallUse("compute", 12.3),))
            for q in quarters
        ),
    )  # fmt: skip
    text = heatmap.terminal_text(long, width=100)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert all(q in text for q in quarters)
    assert text.count("█C  12x") == 40
    assert "a-workload-with-a-rather-long-name-indeed" in text  # on its own line, not cut


def test_svg_heat_map_is_well_formed(view: audit_view.AuditView) -> None:
    root = ET.fromstring(heatmap.svg(view))
    ns = "{http://www.w3.org/2000/svg}"
    fills = [r.get("fill") for r in root.iter(f"{ns}rect")]
    assert len(fills) == 2 * 3  # every workload x quarter
    # hit cells (rag Q2, chat Q3) in the hit colour, the not-running cell in grey
    assert fills.count(heatmap.BAND_FILLS[3]) == 2
    assert fills.count(heatmap.NA_FILL) == 1
    tips = [t.text or "" for t in root.iter(f"{ns}title")]
    assert any("memory bandwidth: 120%" in t for t in tips)


class _Assets(HTMLParser):
    """Every attribute that would make a browser load something."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "srcset", "data", "poster") or (tag == "link" and name == "href"):
                self.loads.append(f"{tag} {name}={value}")
            if name == "href" and value and tag not in ("a",):
                self.loads.append(f"{tag} href={value}")


def test_html_is_self_contained(view: audit_view.AuditView) -> None:
    page = report.html(view)
    parser = _Assets()
    parser.feed(page)
    assert parser.loads == []
    assert not re.search(r"@import|url\(|<script", page)
    # heat maps of the binding wall and of memory bandwidth, and the chart of the one pool (h100-sxm)
    assert parser.tags.count("svg") == 3
    assert "rag starves first" in page
    assert len(page.encode()) < 100_000


def test_markdown_summary(view: audit_view.AuditView) -> None:
    md = report.markdown(view)
    assert "| rag | 2026Q2 | memory capacity | 2026Q2 (memory capacity) | +8 GPUs (to 72, TP 8) |" in md
    assert "**rag starves first: memory capacity in 2026Q2; then chat (memory bandwidth, 2026Q3).**" in md
    assert all(len(line) <= 100 for line in md.split("```text")[1].split("```")[0].splitlines())


def test_writes_refuse_an_existing_file_without_force(view: audit_view.AuditView, tmp_path: Path) -> None:
    target = tmp_path / "audit.html"
    size = report.write_html(view, str(target))
    assert target.stat().st_size == size > 0
    with pytest.raises(LlmwallsError, match="exists; pass --force"):
        report.write_markdown(view, str(target))
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    report.write_markdown(view, str(target), force=True)
    assert target.read_text(encoding="utf-8").startswith("## ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.html"]  # no temporary file left


def test_matplotlib_heat_map(view: audit_view.AuditView, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "heat.png"
    heatmap.save(view, str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "heat.svg"
    heatmap.save(view, str(svg), wall="memory_bandwidth")
    ET.fromstring(svg.read_text(encoding="utf-8"))
    with pytest.raises(InputError, match=r"\.png or \.svg"):
        heatmap.save(view, str(tmp_path / "heat.jpg"))


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_html_report_renders_in_headless_chromium(view: audit_view.AuditView, tmp_path: Path) -> None:
    """A real browser lays the report out: the screenshot is large and carries the heat map's hit colour.
    CI installs Chromium (.ci/run); elsewhere the test is skipped when it is absent."""
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed; CI installs it (apt-get install chromium, see .ci/run)")
        pytest.skip("Chromium not installed (apt-get install chromium): the HTML report was not opened")
    image = pytest.importorskip("PIL.Image")
    page = tmp_path / "audit.html"
    report.write_html(view, str(page))
    shot = tmp_path / "shot.png"
    profile = tmp_path / "chromium-profile"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1200,1400", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert shot.stat().st_size > 20_000  # a blank 1200x1400 PNG compresses to a few kB
    with image.open(shot) as img:
        rgb = img.convert("RGB")
        assert rgb.size == (1200, 1400)
        raw = rgb.tobytes()
    pixels = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]
    white = sum(1 for p in pixels if p == (255, 255, 255))
    assert white < 0.97 * len(pixels)  # text, tables and the heat map cover more than 3% of the page

    # the hit fill #d73027 = (215, 48, 39) of the heat map and the tables, within anti-aliasing
    def near(p: tuple[int, int, int], q: tuple[int, int, int]) -> bool:
        return all(abs(a - b) <= 6 for a, b in zip(p, q, strict=True))

    assert sum(1 for p in pixels if near(p, (215, 48, 39))) > 500


# ------------------------------------------------------------------------------------------------ CLI


def test_cli_writes_the_reports_of_the_shipped_example(cli: Any, tmp_path: Path) -> None:
    html, md, svg = tmp_path / "a.html", tmp_path / "a.md", tmp_path / "a.svg"
    r = cli("audit", "example", "--wall", "memory_bandwidth", "--html", str(html), "--markdown", str(md),
            "--heatmap", str(svg))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "Memory bandwidth utilisation per workload and quarter" in r.stdout
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert 10_000 < html.stat().st_size < 100_000  # ~28 kB for the example's 3 workloads x 6 quarters
    assert "starves first" in md.read_text(encoding="utf-8")
    ET.fromstring(svg.read_text(encoding="utf-8"))
    assert f"wrote {html}" in r.stderr
    # an existing file is refused before the audit runs, and left as it was
    before = md.read_bytes()
    r = cli("audit", "example", "--markdown", str(md))
    assert r.exit_code == 2 and "exists; pass --force" in r.stderr and r.stdout == ""
    assert md.read_bytes() == before
    assert cli("audit", "example", "--markdown", str(md), "--force").exit_code == 0
    r = cli("audit", "example", "--heatmap", str(tmp_path / "a.jpg"))
    assert r.exit_code == 2 and ".svg or .png" in r.stderr


def test_cli_template_writes_a_roadmap_that_audits(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    r = cli("audit", "--template", str(path))
    assert r.exit_code == 0 and path.is_file()
    assert cli("audit", "--template", str(path)).exit_code == 2  # not over the edited copy
    r = cli("audit", str(path))
    assert r.exit_code == 0, r.stderr
    assert "Which workload starves first" in r.stdout


def test_cli_unknown_roadmap_name(cli: Any) -> None:
    r = cli("audit", "no-such-roadmap")
    assert r.exit_code == 2
    assert "no shipped roadmap of that name (shipped: example" in r.stderr
    r = cli("audit")
    assert r.exit_code == 2 and "--template" in r.stderr


def test_cli_template_with_other_options_is_refused(cli: Any, tmp_path: Path) -> None:
    # --template writes a file and stops: a --json asked for alongside it would get no JSON, so say so
    r = cli("audit", "example", "--template", str(tmp_path / "t.toml"), "--json")
    assert r.exit_code == 2 and "drop ROADMAP, --json" in r.stderr and r.stdout == ""
    assert not (tmp_path / "t.toml").exists()
