"""Every clause the suite cites exists in the document it names (issue 17):
the five policy documents are in docs/policy/sources/ (short name .txt); their
section headings are parsed (一、 / (一) / 1. / 一是…), and every
``<short name> §…`` in the code, the packs and the docs must name one of them.
A citation that points to text that does not state its rule is fixed by hand
(the test cannot read meaning); where a document states no rule, the suite
says so instead of citing a neighbouring clause."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "policy" / "sources"
CN = "一二三四五六七八九十"
CITATION = re.compile(
    rf"(luan-2021|hangzhou-2024|lanzhou-2021|puyang-2020|qingyunpu-2021) "
    rf"§([{CN}]+(?:[（(][{CN}]+[)）])?(?:[{CN}\d]+)?)")


def sections(text: str) -> set[str]:
    """The citable sections of a document: 三, 三(四), 三(四)一 (一是…),
    四(三)6 (a numbered item), 五6 (an item directly under a part)."""
    found: set[str] = set()
    part = sub = None
    for line in text.splitlines():
        line = line.strip()
        if m := re.match(rf"^([{CN}]+)、", line):
            part, sub = m.group(1), None
            found.add(part)
        if part and (m := re.match(rf"^[（(]([{CN}]+)[)）]", line)):
            sub = m.group(1)
            found.add(f"{part}({sub})")
        if part and (m := re.match(r"^(\d+)[.．、]", line)):
            found.add(f"{part}({sub}){m.group(1)}" if sub else f"{part}{m.group(1)}")
        if part and sub:
            found |= {f"{part}({sub}){k}" for k in re.findall(rf"([{CN}])是", line)}
    return found


DOCUMENTS = {p.stem: sections(p.read_text(encoding="utf-8")) for p in SOURCES.glob("*.txt")}


def citations():
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    found: dict[str, set[str]] = {}
    for name in files:
        if name.startswith("docs/policy/sources/") or not name.endswith(
                (".py", ".yaml", ".yml", ".md", ".vue", ".ts")):
            continue
        path = ROOT / name
        if not path.is_file():
            continue
        for m in CITATION.finditer(path.read_text(encoding="utf-8", errors="replace")):
            clause = m.group(2).replace("（", "(").replace("）", ")")
            found.setdefault(f"{m.group(1)} §{clause}", set()).add(name)
    return found


CITED = citations()


def test_the_five_documents_are_there_and_parse():
    assert set(DOCUMENTS) == {"luan-2021", "hangzhou-2024", "lanzhou-2021", "puyang-2020",
                              "qingyunpu-2021"}
    assert {"三(四)", "三(四)一", "三(四)四", "三(六)"} <= DOCUMENTS["luan-2021"]
    assert {"四(三)6", "五6", "四(三)2"} <= DOCUMENTS["qingyunpu-2021"]
    assert "四(二)6" not in DOCUMENTS["qingyunpu-2021"]  # the citation issue 17 found
    assert len(CITED) > 50


@pytest.mark.parametrize("citation", sorted(CITED))
def test_every_citation_names_a_section_that_exists(citation):
    short, clause = citation.split(" §")
    assert clause in DOCUMENTS[short], f"{citation} (in {sorted(CITED[citation])[:3]})"


def test_a_rule_the_document_does_not_state_is_not_given_a_clause():
    text = (ROOT / "libs" / "doudi-contracts" / "src" / "doudi_contracts" / "policy" / "packs"
            / "hangzhou-2024.yaml").read_text(encoding="utf-8")
    assert "review_clause: hangzhou-2024 §五(四)" not in text  # institutions' inspection
