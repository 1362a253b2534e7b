"""docs/policy/<pack>.md: for each of the five documents, clause → rule → test.

    uv run python scripts/policy_docs.py          # rewrite docs/policy/*.md
    uv run python scripts/policy_docs.py --check  # exit 1 when a file is stale

For every section of the document that the suite cites: the rules of the
jurisdiction's policy pack under it — eligibility's (label, the document's
words, the condition as staff read it), then funding's, the service catalogue's,
institutions' and the local parameters — the other places that cite it,
and the tests that check it (a test file that names the rule or the clause).
``tests/test_policy_docs.py`` keeps the files current and checks that every
pack rule has a test."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "policy"
CN = "一二三四五六七八九十"
CITATION = re.compile(
    rf"(luan-2021|hangzhou-2024|lanzhou-2021|puyang-2020|qingyunpu-2021) "
    rf"§([{CN}]+(?:[（(][{CN}]+[)）])?(?:[{CN}\d]+)?)")
PACKS_DIR = "libs/doudi-contracts/src/doudi_contracts/policy/packs/"
PART_LABELS = {"eligibility": "资格认定", "funding": "资金结算", "services": "服务目录",
               "institutions": "养护机构", "parameters": "地方参数"}
AREAS = ((PACKS_DIR, "政策包"), ("services/eligibility/", "资格认定"),
         ("services/funding/", "资金结算"), ("services/institutions/", "养护机构"),
         ("services/services-log/", "服务记录"), ("gateway/", "网关"), ("libs/", "共用库"),
         ("departments/", "部门接口"))


def tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [n for n in out.split() if n.endswith((".py", ".yaml", ".yml"))
            and not n.startswith(("docs/", "scripts/")) and (ROOT / n).is_file()]


def is_test(name: str) -> bool:
    return ("/tests/" in name or name.startswith("tests/")) and \
        name != "tests/test_policy_docs.py"  # it names rules only to check these pages


def clause_key(text: str) -> str:
    return text.replace("（", "(").replace("）", ")")


def order(clause: str) -> tuple:
    digits = {c: i for i, c in enumerate(CN, 1)}
    return tuple(digits.get(ch, 0) if not ch.isdigit() else 100 + int(ch) for ch in clause)


def collect() -> tuple[dict, dict]:
    """(cited, tests): per document, clause -> {area files}; and clause/rule id -> tests."""
    cited: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    texts = {name: (ROOT / name).read_text(encoding="utf-8", errors="replace")
             for name in tracked()}
    for name, text in texts.items():
        if is_test(name):
            continue
        if name.startswith(PACKS_DIR):
            part = ""
            for line in text.splitlines():
                top = re.match(r"([a-z_]+):", line)
                if top:
                    part = top.group(1)
                for m in CITATION.finditer(line):
                    where = f"{name}#{part}" if part in PART_LABELS else name
                    cited[m.group(1)][clause_key(m.group(2))].add(where)
            continue
        for m in CITATION.finditer(text):
            cited[m.group(1)][clause_key(m.group(2))].add(name)
    return cited, {n: t for n, t in texts.items() if is_test(n)}


def tests_naming(needle: str, tests: dict[str, str]) -> list[str]:
    """``file::test_function`` for each test function whose text names ``needle``."""
    found = []
    for name, text in sorted(tests.items()):
        if needle not in text:
            continue
        for block in re.split(r"\n(?=def |async def |class )", text):
            m = re.match(r"(?:async )?def (test_\w+)", block)
            if m and needle in block:
                found.append(f"`{name}::{m.group(1)}`")
    return found


def place(name: str) -> str:
    """A citing file, with the pack part for a policy pack."""
    path, _, part = name.partition("#")
    return f"`{path}`（{PART_LABELS[part]}部分）" if part else f"`{path}`"


def other_parts(pack_id: str) -> dict[str, list[str]]:
    """clause -> lines for the rules of the pack's funding, services, institutions
    and parameters parts (eligibility's rules are listed with their conditions)."""
    from doudi_contracts import policy

    doc = policy.load(pack_id)
    out: dict[str, list[str]] = defaultdict(list)

    def add(clauses: str, line: str) -> None:
        for m in CITATION.finditer(clauses):
            out[clause_key(m.group(2))].append(line)

    funding = doc.get("funding") or {}
    for key, clause in (funding.get("clauses") or {}).items():
        add(clause, f"- **资金结算** `{key}`")
    integration = funding.get("integration") or {}
    if integration:
        add(integration["clause"], f"- **资金结算** 补贴整合：{integration.get('excess', '')}")
    items: dict[str, list[str]] = defaultdict(list)
    for item in (doc.get("services") or {}).get("items") or ():
        items[item["clause"]].append(item["name"])
    for clause, names in items.items():
        add(clause, "- **服务目录** " + "、".join(names))
    bank = (doc.get("services") or {}).get("time_bank")
    if bank:
        add(bank["clause"], "- **服务目录** 时间银行：可转赠给 "
            + "、".join(bank.get("transfer_relations") or ()))
    inst = doc.get("institutions") or {}
    if inst.get("infection_block"):
        block = inst["infection_block"]
        add(block["clause"], f"- **养护机构** 传染病未解除不得集中入住 — 原文：{block['wording']}")
    if inst.get("co_housing_post"):
        post = inst["co_housing_post"]
        add(post["clause"], f"- **养护机构** 入住{post['min_households']}户及以上的联养点配置"
            f"{post['posts']}名公益岗 — 原文：{post['wording']}")
    for name, entry in (doc.get("parameters") or {}).items():
        add(entry["clause"],
            f"- **地方参数** `{name}`（{entry['set_by']}）— 原文：{entry['wording']}")
    return out


def render(pack_id: str, cited: dict[str, set[str]], tests: dict[str, str]) -> str:
    from doudi_eligibility.policy import default_registry

    pack = default_registry().get(pack_id)
    rules = [*pack.general, *(g.rule for g in pack.groups),
             *(r for spec in pack.modes.values() for r in spec.rules),
             *(r for _, r in pack.priority)]
    by_clause: dict[str, list] = defaultdict(list)
    for rule in rules:
        by_clause[clause_key(rule.clause.split(" §", 1)[1])].append(rule)
    lines = [f"# {pack.title}（{pack_id}）", "",
             f"文件：{pack.document}；适用区划 {pack.jurisdiction}；"
             f"生效 {pack.effective_from.isoformat()}。原文：`sources/{pack_id}.txt`。",
             "", "由 `scripts/policy_docs.py` 生成，勿手改；`tests/test_policy_docs.py` "
             "检查其为最新、且每条规则都有测试。", ""]
    others = other_parts(pack_id)
    for clause in sorted(set(cited) | set(by_clause) | set(others), key=order):
        lines += [f"## §{clause}", ""]
        lines += others.get(clause, [])
        for rule in by_clause.get(clause, ()):
            lines += [f"- **规则 `{rule.id}`** {rule.label}",
                      f"  - 条件：{rule.text}"]
            if rule.wording:
                lines.append(f"  - 原文：{rule.wording}")
            found = tests_naming(rule.id, tests)
            lines.append("  - 测试：" + ("、".join(found) if found else "（无）"))
        places = sorted(cited.get(clause, ()))
        areas = sorted({next(label for prefix, label in AREAS if f.startswith(prefix))
                        for f in places})
        if places:
            lines.append("- 引用处（" + "、".join(areas) + "）：" +
                         "、".join(place(p) for p in places))
        found = tests_naming(f"{pack_id} §{clause}", tests)
        if found:
            lines.append("- 按条款检查的测试：" + "、".join(found))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_all() -> dict[Path, str]:
    cited, tests = collect()
    from doudi_contracts.policy import PACK_IDS as packs

    return {OUT / f"{p}.md": render(p, cited.get(p, {}), tests) for p in packs}


def main(argv: list[str]) -> int:
    files = render_all()
    if "--check" in argv:
        stale = [p.name for p, text in files.items()
                 if not p.is_file() or p.read_text(encoding="utf-8") != text]
        if stale:
            print("stale: " + ", ".join(stale) + " (run uv run python scripts/policy_docs.py)")
            return 1
        return 0
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
