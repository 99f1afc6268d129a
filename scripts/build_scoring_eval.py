"""Build the labelled scoring evaluation sets from the writers' files and the labellers' labels.

    .venv/bin/python scripts/build_scoring_eval.py disputes  # the labellers' disagreements: labels/disputes_*
    .venv/bin/python scripts/build_scoring_eval.py build     # settled labels: *.dev.jsonl and *.test.jsonl

evaluation/scoring/raw/ holds what the independent writers wrote; labels/ what each labeller said on their
own (labellerN_*.jsonl) and what the third person settled where two disagreed (adjudicator_*.jsonl). A
label both labellers gave is kept; a disputed one takes the adjudicator's. Pairs: the better variant is
the one both labellers chose, else the adjudicator's choice. The split into development and test halves is
made once, by a fixed seed, with both halves of a pair on the same side; nothing is fitted on the test half.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "evaluation" / "scoring"
RAW, LABELS = ROOT / "raw", ROOT / "labels"
CONVERSATION_FIELDS = ("resolved", "complaint", "deescalated", "politeness", "efficiency", "complaint_peak_turn")
SPLIT_SEED = "cxqa-scoring-eval-split-2026-12-08"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def annotations(kind: str, key: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = defaultdict(list)
    for path in sorted(LABELS.glob(f"labeler*_{kind}.jsonl")):
        for row in read_jsonl(path):
            found[row[key]].append(row)
    return found


def adjudications(kind: str, key: str) -> dict[str, dict]:
    path = LABELS / f"adjudicator_{kind}.jsonl"
    return {row[key]: row for row in read_jsonl(path)} if path.is_file() else {}


def disputed_fields(first: dict, second: dict, fields: tuple[str, ...]) -> dict[str, list]:
    disputes = {}
    for name in fields:
        if name == "complaint_peak_turn" and not (first.get("complaint") and second.get("complaint")):
            continue
        if name == "deescalated" and not (first.get("complaint") and second.get("complaint")):
            continue  # follows from the settled complaint label
        if first.get(name) != second.get(name):
            disputes[name] = [first.get(name), second.get(name)]
    return disputes


def disputes() -> None:
    """Write what the two labellers disagree on, for the adjudicator."""
    kinds = {"conversations": ("conversation_id", CONVERSATION_FIELDS), "pairs": ("pair_id", ("better",)),
             "posts": ("id", ("complaint",)), "replies": ("id", ("politeness",))}
    for kind, (key, fields) in kinds.items():
        rows = []
        for item_id, given in sorted(annotations(kind, key).items()):
            if len(given) < 2:
                continue
            fields_in_dispute = disputed_fields(given[0], given[1], fields)
            if kind == "conversations" and given[0].get("complaint") != given[1].get("complaint"):
                fields_in_dispute["deescalated"] = [given[0].get("deescalated"), given[1].get("deescalated")]
                fields_in_dispute["complaint_peak_turn"] = [given[0].get("complaint_peak_turn"),
                                                            given[1].get("complaint_peak_turn")]
            if fields_in_dispute:
                rows.append({key: item_id, "disputed": fields_in_dispute})
        if rows:
            write_jsonl(LABELS / f"disputes_{kind}.jsonl", rows)
        print(f"{kind}: {len(rows)} items with a dispute")


def settle(given: list[dict], settled: dict | None, fields: tuple[str, ...]) -> dict | None:
    """Both labellers' value where they agree, else the adjudicator's; None when a dispute is unsettled."""
    if len(given) < 2:
        return None
    result = {}
    for name in fields:
        values = {json.dumps(row.get(name)) for row in given[:2]}
        if len(values) == 1:
            result[name] = given[0].get(name)
        elif settled is not None and name in settled:
            result[name] = settled[name]
        else:
            result[name] = None if name in ("deescalated", "complaint_peak_turn") else "__unsettled__"
    if any(value == "__unsettled__" for value in result.values()):
        return None
    if "deescalated" in fields:  # a conversation: the de-escalation labels follow the settled complaint
        if result["complaint"] is False:
            result["deescalated"], result["complaint_peak_turn"] = None, None
        elif not isinstance(result["deescalated"], bool):
            return None
    return result


def split(ids: list[str], groups: dict[str, str]) -> tuple[set[str], set[str]]:
    """Half the groups (a pair is one group) to development, half to test, by a fixed seed."""
    group_ids = sorted({groups.get(item, item) for item in ids})
    random.Random(SPLIT_SEED).shuffle(group_ids)
    test_groups = set(group_ids[: len(group_ids) // 2])
    test = {item for item in ids if groups.get(item, item) in test_groups}
    return set(ids) - test, test


def build() -> None:
    conversations = [row for path in sorted(RAW.glob("conversations_*.jsonl")) for row in read_jsonl(path)]
    given, settled = annotations("conversations", "conversation_id"), adjudications("conversations",
                                                                                    "conversation_id")
    pair_given, pair_settled = annotations("pairs", "pair_id"), adjudications("pairs", "pair_id")
    labelled, unsettled = [], 0
    for row in conversations:
        cid = row["conversation_id"]
        labels = settle(given.get(cid, []), settled.get(cid), CONVERSATION_FIELDS)
        if labels is None:
            unsettled += 1
            continue
        out = {key: value for key, value in row.items() if key not in ("pair", "scenario", "company", "domain")}
        out["labels"] = labels
        out["annotations"] = [{k: a.get(k) for k in ("labeler", *CONVERSATION_FIELDS)} for a in given[cid][:2]]
        if row.get("pair"):
            pair_id = row["pair"]["id"]
            choice = settle(pair_given.get(pair_id, []), pair_settled.get(pair_id), ("better",))
            if choice is not None:
                out["pair"] = {"id": pair_id, "focus": row["pair"]["focus"], "better": choice["better"] == cid,
                               "writer_intended_better": row["pair"]["variant"] == "better"}
        labelled.append(out)
    groups = {row["conversation_id"]: row["pair"]["id"] for row in labelled if "pair" in row}
    dev, test = split([row["conversation_id"] for row in labelled], groups)
    for name, chosen in (("dev", dev), ("test", test)):
        write_jsonl(ROOT / f"conversations.{name}.jsonl",
                    [row for row in labelled if row["conversation_id"] in chosen])
    print(f"conversations: {len(labelled)} labelled ({len(dev)} dev, {len(test)} test), {unsettled} unsettled")
    for kind, field, raw_name in (("posts", "complaint", "posts"), ("replies", "politeness", "service_turns")):
        items, item_given, item_settled = read_jsonl(RAW / f"{raw_name}.jsonl"), annotations(kind, "id"), \
            adjudications(kind, "id")
        rows = []
        for item in items:
            labels = settle(item_given.get(item["id"], []), item_settled.get(item["id"]), (field,))
            if labels is not None:
                own = [{"labeler": a["labeler"], field: a[field]} for a in item_given[item["id"]][:2]]
                rows.append({**item, "labels": labels, "annotations": own})
        item_dev, item_test = split([row["id"] for row in rows], {})
        for name, chosen in (("dev", item_dev), ("test", item_test)):
            write_jsonl(ROOT / f"{kind}.{name}.jsonl", [row for row in rows if row["id"] in chosen])
        print(f"{kind}: {len(rows)} labelled ({len(item_dev)} dev, {len(item_test)} test)")


if __name__ == "__main__":
    {"disputes": disputes, "build": build}[sys.argv[1] if len(sys.argv) > 1 else "build"]()
