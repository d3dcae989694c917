"""The DateTimeFormatter translator against Java itself (JDK's java.time, Locale.US) when a JDK
is on this machine: every pattern letter and count users write, several zones and instants."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from headwater.services.firehose.java_time import PatternError, compile_pattern, format_fields
from headwater.services.firehose.naming import local_time

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("javac") is None, reason="no JDK (java, javac) on PATH"
)

PROGRAM = """
import java.io.*; import java.time.*; import java.time.format.*;
public class Fmt { public static void main(String[] a) throws Exception {
  BufferedReader r = new BufferedReader(new InputStreamReader(System.in, "UTF-8")); String line;
  while ((line = r.readLine()) != null) { String[] p = line.split("\\t", 3);
    ZonedDateTime t = Instant.ofEpochMilli(Long.parseLong(p[0])).atZone(ZoneId.of(p[1]));
    try { System.out.println("OK\\t" + DateTimeFormatter.ofPattern(p[2]).format(t)); }
    catch (Exception e) { System.out.println("ERR"); } } } }
"""
# every letter and count users write, then whole prefixes, then patterns Java rejects
_SINGLE = "yyyy yy y uuuu M MM MMM MMMM MMMMM d dd D DD DDD H HH h hh k K a m mm s ss S SSS SSSSSS n A"
_MORE = "E EEE EEEE EEEEE e ee eee c w ww W Y YYYY Q QQQ QQQQ G GGGG X XX XXX XXXXX x xx xxx Z ZZZZ ZZZZZ O OOOO VV"
_BAD = "yyyyyy ddd HHH yyyyb 'open # { b MMMMMM"
PATTERNS = [*_SINGLE.split(" "), *_MORE.split(" "), *_BAD.split(" ")] + [
    "yyyy/MM/dd/HH/",
    "yyyy'-'MM'-'dd",
    "'it''s' yyyy",
    "''",
    "''''",
    "[yyyy]",
    "yyyy-MM-dd'T'HH:mm:ss.SSSxxx",
]
ZONES = ("UTC", "Asia/Kolkata", "America/New_York", "America/St_Johns", "Asia/Tokyo")


def test_agrees_with_java(tmp_path: Path) -> None:
    (tmp_path / "Fmt.java").write_text(PROGRAM)
    subprocess.run(["javac", "Fmt.java"], cwd=tmp_path, check=True, timeout=120)
    rng = random.Random(13)
    instants = [0, 1535365800123, 1483142400000, 1577577600000, 1514808300000, 946684799999]
    instants += [rng.randrange(0, 4_102_444_800_000) for _ in range(10)]
    cases = [(ms, zone, p) for ms in instants for zone in ZONES for p in PATTERNS]
    stdin = "".join(f"{ms}\t{zone}\t{p}\n" for ms, zone, p in cases)
    java = subprocess.run(
        ["java", "-Duser.language=en", "-Duser.country=US", "-cp", str(tmp_path), "Fmt"],
        input=stdin, capture_output=True, text=True, check=True, timeout=120,
    ).stdout.splitlines()  # fmt: skip
    assert len(java) == len(cases)
    mismatches = []
    for (ms, zone, pattern), expected in zip(cases, java, strict=True):
        try:
            mine = "OK\t" + format_fields(compile_pattern(pattern), local_time(ms, zone))
        except PatternError:
            mine = "ERR"
        if mine != expected:
            mismatches.append((ms, zone, pattern, expected, mine))
    assert mismatches == []
