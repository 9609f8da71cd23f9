import { stringify } from "csv-stringify/sync";

// A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
const FORMULA_TRIGGERS = new Set(["=", "+", "-", "@", "\t", "\r"]);

/** Prefixes `'` to a field a spreadsheet would otherwise evaluate as a formula. */
export function guardFormula(field: string): string {
  return FORMULA_TRIGGERS.has(field.charAt(0)) ? `'${field}` : field;
}

/**
 * CSV lines for `records`, each field formula-guarded; fields holding `,`, `"`, CR or LF are
 * quoted with `""` doubling. Every line ends with LF.
 */
export function toCsvLines(records: readonly (readonly string[])[]): string {
  return stringify(
    records.map((record) => record.map(guardFormula)),
    { escape_formulas: false, record_delimiter: "unix", quote_record_delimiter: true, eof: true },
  );
}
