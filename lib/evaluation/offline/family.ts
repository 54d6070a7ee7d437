// A family of interchangeable terms in the offline evaluator's vocabulary.

export interface Family {
  id: string;
  label: string;
  terms: string[];
  /** matched only with this exact spelling (ambiguous words: REST vs "the rest of the team") */
  exact?: string[];
  /** requirement families that credentials prove on their own (a licence line is evidence) */
  credential?: boolean;
  /** common to many fields (tests, docs, dashboards): a requirement, but not what defines the role */
  generic?: boolean;
  /** the field the family belongs to (software, clinical, data): decides what an ambiguous term means */
  field?: string;
}

/** Tags every family of a field's list with the field. */
export const inField = (field: string, families: Family[]): Family[] =>
  families.map((f) => ({ ...f, field }));

/** "a | b | c" → ["a", "b", "c"]: keeps long term lists readable. */
export const words = (list: string): string[] =>
  list
    .split('|')
    .map((t) => t.trim())
    .filter(Boolean);
