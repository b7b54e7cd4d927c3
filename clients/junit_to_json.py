"""Converts regrtest's --junit-xml file to JSON lines (one per test case), with CPython's own ElementTree.

Run by clients/regrtest.ts on the BASELINE interpreter (CPython's own allocators), never on the allocator
under test. Output: {"id", "status": "passed"|"failed"|"error"|"skipped", "message"} per line.
"""
import json
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
for case in root.iter("testcase"):
    status, message = "passed", ""
    for child in case:
        if child.tag in ("failure", "error", "skipped"):
            status = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
            text = (child.text or "").strip()
            message = child.get("message") or (text.splitlines()[-1] if text else "")
            break
    print(json.dumps({"id": case.get("name"), "status": status, "message": message[:500]}))
