import { describe, expect, it } from "vitest";
import { csvField, parseCsv } from "../../scripts/import-pools";

describe("the import's output file", () => {
  it("neutralises customer names a spreadsheet would run as formulas, and reads back what it wrote", () => {
    for (const name of ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2", "@SUM(A1)", "\tTab Ltd", "\rCR Ltd"]) {
      const field = csvField(name);
      const [row] = parseCsv(`${field}\n`);
      expect(row!.fields[0]).toBe(`'${name}`);
    }
    expect(csvField("Acme, Ltd")).toBe('"Acme, Ltd"');
    expect(csvField("Acme Ltd")).toBe("Acme Ltd");
    expect(csvField(-5)).toBe("-5"); // numbers are the file's own, not a customer's text
  });
});
