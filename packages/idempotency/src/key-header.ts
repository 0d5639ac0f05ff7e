import { ParseError, parseItem } from "structured-headers";
import { problem, ProblemError } from "./problem.js";
import { idempotencyKeySchema } from "./key.js";

const HEADER = "Idempotency-Key";

// RFC 9110 §5.5: whitespace around a field value is not part of it. Parsers already strip it per
// line, but this function may be handed a value that did not come through one. A loop, not a
// regex: `/[ \t]+$/` retries from every space of a long run, quadratic on a header of spaces.
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

// Node (and Fetch's Headers.get) join repeated field lines with ", ". A key never holds a space,
// bare or as a String's content, so a value with ", " outside a well-formed String can only be
// several lines (or a list, which is as wrong): one key per request, or which one would we honour?
// Checked before trimming, in case the caller kept the trailing ", " an empty last line joins as.
// Next's request Headers do not keep it: bare "k" plus an empty line arrives as "k,", which is also
// a legitimate single bare key, so that one combination is taken as the key "k," (a String plus an
// empty line is still refused, as a malformed String).
const LINE_SEPARATOR = ", ";

/**
 * The idempotency key carried by an `Idempotency-Key` field value (`Headers.get`'s answer):
 * either the IETF draft's RFC 8941 String (`"abc-1"`), whose content is the key, or Stripe's
 * bare form (`abc-1`), taken as is. Both then obey the key rules of `idempotencyKeySchema`.
 * Throws a 400 ProblemError: `idempotency_key_missing` for no header, `idempotency_key_invalid`
 * for anything else that is not exactly one valid key.
 */
export function idempotencyKeyFromHeader(raw: string | null): string {
  if (raw === null) {
    throw new ProblemError(problem("idempotency_key_missing", `The ${HEADER} header is required for this request.`));
  }
  const value = trimOws(raw);
  const repeated = raw.includes(LINE_SEPARATOR);

  // Only a leading DQUOTE makes a String: a bare key may hold ; , : / ( ) * ? @ % that an
  // sf-token or other item would read as structure, so bare keys never meet the parser.
  if (!value.startsWith('"')) {
    if (repeated) throw repeatedHeader();
    return validKey(value);
  }

  let item: ReturnType<typeof parseItem>;
  try {
    item = parseItem(value);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    // `"a", "b"` fails as one Item; saying "repeated" tells the client what it actually did.
    if (repeated) throw repeatedHeader();
    throw invalid(
      `The ${HEADER} header starts with a double quote but is not a well-formed RFC 8941 String (${error.message}). Send "<key>" with \\" and \\\\ escaped, or the bare key.`,
    );
  }
  const [content, parameters] = item;
  if (parameters.size > 0) {
    throw invalid(`The ${HEADER} header must be a plain RFC 8941 String, without parameters (found ;${[...parameters.keys()].join(", ;")}).`);
  }
  if (typeof content !== "string") {
    // Unreachable while a leading DQUOTE selects sf-string; kept so a library change cannot let a non-string through as a key.
    throw invalid(`The ${HEADER} header must be an RFC 8941 String or a bare key.`);
  }
  return validKey(content, `The content of the ${HEADER} String is not a valid key: `);
}

function validKey(key: string, context = ""): string {
  const parsed = idempotencyKeySchema.safeParse(key);
  if (!parsed.success) {
    throw invalid(`${context}${parsed.error.issues[0]?.message ?? "invalid key"}.`);
  }
  return parsed.data;
}

function repeatedHeader(): ProblemError {
  return invalid(
    `The ${HEADER} header appeared more than once (its value holds ", ", which joins repeated lines and which no key contains); send exactly one ${HEADER} line with one key.`,
  );
}

function invalid(detail: string): ProblemError {
  return new ProblemError(problem("idempotency_key_invalid", detail));
}
