import { expect, test } from "bun:test";
import { DrizzleQueryError } from "drizzle-orm/errors";
import {
  asDatabaseUnavailable,
  DatabaseUnavailableError,
  errorLogFields,
  sqliteFailureOf,
  troubleOfCode,
} from "../../src/db/unavailable.ts";

test.each([
  ["SQLITE_BUSY", "database locked"],
  ["SQLITE_BUSY_SNAPSHOT", "database locked"],
  ["SQLITE_LOCKED", "database locked"],
  ["SQLITE_LOCKED_SHAREDCACHE", "database locked"],
  ["SQLITE_FULL", "disk full"],
  ["SQLITE_READONLY", "database read-only"],
  ["SQLITE_READONLY_DBMOVED", "database read-only"],
  ["SQLITE_IOERR_WRITE", null],
  ["SQLITE_CONSTRAINT_PRIMARYKEY", null],
  ["SQLITE_BUSYNESS", null],
])("%s → %p", (code, trouble) => {
  expect(troubleOfCode(code)).toBe(trouble as ReturnType<typeof troubleOfCode>);
});

test("the SQLite code is found under Drizzle's wrapper, extended code first", () => {
  const driver = Object.assign(new Error("disk I/O error"), {
    code: "SQLITE_IOERR",
    extendedCode: "SQLITE_IOERR_WRITE",
  });
  const wrapped = new DrizzleQueryError("insert into t values (?)", ["x".repeat(10_000)], driver);
  expect(sqliteFailureOf(wrapped)).toEqual({ code: "SQLITE_IOERR_WRITE", message: "disk I/O error" });
  // The log line names the code and SQLite's message, not the statement and its parameters.
  expect(errorLogFields(wrapped)).toEqual({ error: "disk I/O error", sqlite_code: "SQLITE_IOERR_WRITE" });
  expect(sqliteFailureOf(new Error("plain"))).toBeNull();
  expect(sqliteFailureOf(Object.assign(new Error("closed"), { code: "CLIENT_CLOSED" }))).toBeNull();
});

test("a lock, a full disk or a read-only file becomes a DatabaseUnavailableError naming it", () => {
  const busy = new DrizzleQueryError(
    "select 1",
    [],
    Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" }),
  );
  const unavailable = asDatabaseUnavailable(busy);
  expect(unavailable).toBeInstanceOf(DatabaseUnavailableError);
  expect(unavailable).toMatchObject({
    trouble: "database locked",
    sqliteCode: "SQLITE_BUSY",
    message: "database locked (SQLITE_BUSY)",
  });
  expect(errorLogFields(busy)).toEqual({
    error: "database locked (SQLITE_BUSY)",
    trouble: "database locked",
    sqlite_code: "SQLITE_BUSY",
  });
  expect(asDatabaseUnavailable(new Error("nope"))).toBeNull();
  const known = new DatabaseUnavailableError("disk full", "SQLITE_FULL");
  expect(asDatabaseUnavailable(known)).toBe(known);
});
