import { expect, test } from "bun:test";
import { fields, table } from "../../src/cli/output.ts";
import { age, duration, eventDetail, shortStorePath, when } from "../../src/domain/format.ts";

test("tables align columns, right-align numbers and keep one line per row whatever a cell holds", () => {
  const rows = [
    { id: "web-01", n: 3, note: "ok" },
    { id: "db-1", n: 120, note: "line one\nline two\u001b[31m" },
  ];
  expect(
    table(
      [
        { header: "MACHINE", value: (r) => r.id },
        { header: "N", value: (r) => String(r.n), right: true },
        { header: "NOTE", value: (r) => r.note },
      ],
      rows,
    ),
  ).toBe(["MACHINE    N  NOTE", "web-01     3  ok", "db-1     120  line one⏎line two�[31m", ""].join("\n"));
  expect(table([{ header: "A", value: () => "" }], [])).toBe("A\n");
  expect(
    fields([
      ["machine", "web-01"],
      ["system state", "ok"],
    ]),
  ).toBe("machine:      web-01\nsystem state: ok\n");
});

test("store paths, ages and times as people read them", () => {
  expect(shortStorePath("/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11")).toBe(
    "0c3i5jw…-nixos-system-web-01-24.11",
  );
  expect(shortStorePath("/not/a/store/path")).toBe("/not/a/store/path");
  expect(shortStorePath(null)).toBe("-");
  expect([duration(5), duration(119), duration(120), duration(7199), duration(7200), duration(172800)]).toEqual([
    "5s",
    "119s",
    "2m",
    "119m",
    "2h",
    "2d",
  ]);
  const now = Date.parse("2026-11-27T10:00:00Z");
  expect(age("2026-11-27T09:58:00Z", now)).toBe("2m");
  expect(age("2026-11-27T10:00:05Z", now)).toBe("0s");
  expect(age(null, now)).toBe("-");
  expect(when("2026-11-27T09:58:12.345Z")).toBe("2026-11-27 09:58");
});

test("an event's detail reads as key=value pairs, not JSON", () => {
  expect(eventDetail('{"batch_index":1,"reason":"error rate up in eu-west"}')).toBe(
    'batch_index=1 reason="error rate up in eu-west"',
  );
  expect(eventDetail('{"release_id":"rel-1","batch_sizes":[2,3,7],"force":true,"note":""}')).toBe(
    'release_id=rel-1 batch_sizes=[2,3,7] force=true note=""',
  );
  expect(eventDetail('{"reason":"a=b"}')).toBe('reason="a=b"');
  expect(eventDetail("{}")).toBe("-");
  expect(eventDetail("[1,2]")).toBe("[1,2]");
  expect(eventDetail("not json")).toBe("not json");
});
