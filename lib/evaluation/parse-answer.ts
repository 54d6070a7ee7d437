// A provider's answer read against the step's schema. What was wrong is said twice: in the validator's
// own words for the model's repair pass, and in words of our own for the stored error and logs.
import { z } from 'zod';

export function parseAnswer(
  content: string,
  schema: z.ZodType,
): { ok: true; value: unknown } | { ok: false; error: string; summary: string } {
  let json: unknown;
  try {
    // Servers without structured output sometimes wrap JSON in a code fence.
    // a fence around the JSON taken off; trim first: \s*```\s*$ tried at every character was quadratic
    json = JSON.parse(
      content
        .trim()
        .replace(/^```(?:json)?/, '')
        .replace(/```$/, ''),
    );
  } catch {
    return { ok: false, error: 'the answer is not JSON', summary: 'not JSON' };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    error: z.prettifyError(result.error).slice(0, 1000),
    summary: issueSummary(result.error.issues),
  };
}

/**
 * What was wrong with an answer, in words of our own for the stored error and logs: the issue codes and
 * where, with only the path segments the schema itself names. The validator's own text goes back to the
 * model in the repair pass only: it can quote the answer (an unknown key), and the answer the document.
 */
function issueSummary(issues: z.core.$ZodIssue[]): string {
  const segment = (p: PropertyKey) =>
    typeof p === 'number' ? String(p) : typeof p === 'string' && /^[a-z_]{1,40}$/.test(p) ? p : '?';
  const shown = issues.slice(0, 5).map((i) => `${i.code} at ${i.path.map(segment).join('.') || 'the top'}`);
  return `${shown.join('; ')}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''}`;
}
