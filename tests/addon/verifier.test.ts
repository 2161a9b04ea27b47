// A program the verifier rejects: the error carries the log, a short reason and the C line.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BpfError, BpfObject, VerifierError } from "#bpf";
import { addonFixture, addonFixtures, requireBpf } from "../helpers/kernel.ts";

describe.skipIf(!requireBpf())("verifier rejection", () => {
  let path: string;
  beforeAll(async () => { path = await addonFixture("verifier_reject"); });

  function rejection(): VerifierError {
    using obj = BpfObject.open(path);
    try {
      obj.load();
    } catch (err) {
      return err as VerifierError;
    }
    throw new Error("the verifier accepted a NULL dereference");
  }

  it("throws VerifierError with the log, the reason and the failing C line", () => {
    const error = rejection();
    expect(error).toBeInstanceOf(VerifierError);
    expect(error).toBeInstanceOf(BpfError);
    expect(error.kind).toBe("verifier");
    expect(error.program).toBe("deref_without_check");

    // The whole verifier log: instructions, register states, the reason.
    expect(error.log).toMatch(/call bpf_map_lookup_elem/);
    expect(error.log).toMatch(/map_value_or_null/);
    expect(error.log).not.toMatch(/BEGIN PROG LOAD LOG/);

    // The short reason names the invalid access and nothing else.
    expect(error.summary.length).toBeGreaterThan(0);
    expect(error.summary.join("\n")).toMatch(/invalid mem access 'map_value_or_null'/);
    expect(error.summary.join("\n")).not.toMatch(/processed \d+ insns/);

    // The C line: found by searching the fixture, so editing the fixture cannot break the test.
    const sourceLines = readFileSync(join(addonFixtures, "verifier_reject.bpf.c"), "utf8").split("\n");
    const expectedLine = sourceLines.findIndex((l) => l.includes("*count += 1;")) + 1;
    expect(expectedLine).toBeGreaterThan(0);
    expect(error.sourceLine).toBeDefined();
    expect(error.sourceLine!.file).toMatch(/(^|\/)verifier_reject\.bpf\.c$/);
    expect(error.sourceLine!.line).toBe(expectedLine);
    expect(error.sourceLine!.text).toContain("*count += 1;");

    // The message alone is enough for a student: program, place and reason.
    expect(error.message).toContain("deref_without_check");
    expect(error.message).toContain(`verifier_reject.bpf.c:${expectedLine}`);
    expect(error.message).toContain("invalid mem access");
  });

  it("a second load() after a rejection fails clearly instead of crashing", () => {
    using obj = BpfObject.open(path);
    expect(() => obj.load()).toThrow(VerifierError);
    expect(() => obj.load()).toThrow(BpfError);
    expect(obj.loaded).toBe(false);
    expect(() => obj.map("seen")).toThrow(/until load\(\)/);
  });
});
