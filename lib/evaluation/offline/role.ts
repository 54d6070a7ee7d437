// The role a job description is for ("Data Analyst", "Registered Nurse") and the titles of a CV's roles,
// as stemmed words: a CV's years in the job's own role are relevant experience even where its lines name
// few of the job's tools ("Financial Analyst" for a data analyst, "Nursing Assistant" for a nurse).
import { reader } from '../nlp.ts';

/** The title part of a heading or role line: before the employer, the dates or a subtitle. */
const titlePart = (line: string) =>
  line
    .replace(/^[#\s\-•*]+/, '')
    .split(/[,(|:–—]|\s-\s|\s(?:at|bei|chez)\s|\b(?:19|20)\d{2}\b/)[0]!
    .trim();

const stems = new Map<string, string[]>();

/** Stemmed words of a role line's title ("Certified Nursing Assistant, Sunrise…" → certifi, nurs, assist). */
export function titleStems(line: string): string[] {
  const title = titlePart(line).slice(0, 80);
  let s = stems.get(title);
  if (!s) {
    const its = reader().its;
    const tokens = reader().readDoc(title).tokens();
    const types = tokens.out(its.type) as string[];
    s = (tokens.out(its.stem as unknown as typeof its.value) as string[])
      .filter((_, i) => types[i] === 'word')
      .map((w) => w.toLowerCase());
    if (stems.size >= 512) stems.delete(stems.keys().next().value!);
    stems.set(title, s);
  }
  return s;
}

/** The job's role word, stemmed: the last word of the description's title line ("Data Analyst, …" → analyst). */
export function jobRoleOf(jobDescription: string): string | undefined {
  const first = jobDescription.split('\n').find((l) => l.trim());
  return first ? titleStems(first).at(-1) : undefined;
}
