// Positions and their versions. Editing a position adds a version (the row lock on the position
// serialises concurrent edits, so versions are 1, 2, 3 … without gaps); archiving only marks the
// position, so every version stays readable and every job keeps pointing at the one it used.
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { positions, positionVersions } from './schema.ts';
import { traced } from './trace.ts';

export interface PositionTexts {
  title: string;
  jobDescription: string;
  studyCaseBrief: string;
  scoringRubric: string;
}

export interface PositionView extends PositionTexts {
  id: string;
  version: number;
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** microsecond-exact created_at for cursors */
  cursorTime: string;
}

const cursorTime = sql<string>`to_char(${positions.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const viewColumns = {
  id: positions.id,
  version: positions.currentVersion,
  archivedAt: positions.archivedAt,
  createdAt: positions.createdAt,
  updatedAt: positions.updatedAt,
  cursorTime,
  title: positionVersions.title,
  jobDescription: positionVersions.jobDescription,
  studyCaseBrief: positionVersions.studyCaseBrief,
  scoringRubric: positionVersions.scoringRubric,
};

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Positions as they stand: each with the texts of its current version. */
function currentViews(db: Database | Transaction) {
  return db
    .select(viewColumns)
    .from(positions)
    .innerJoin(
      positionVersions,
      and(
        eq(positionVersions.positionId, positions.id),
        eq(positionVersions.version, positions.currentVersion),
      ),
    );
}

async function createPositionUntraced(
  db: Database,
  clientId: string,
  texts: PositionTexts,
): Promise<PositionView> {
  return db.transaction(async (tx) => {
    const [p] = await tx.insert(positions).values({ clientId }).returning({ id: positions.id });
    await tx.insert(positionVersions).values({ positionId: p!.id, version: 1, ...texts });
    const [view] = await currentViews(tx).where(eq(positions.id, p!.id));
    return view!;
  });
}

/** The position as of `version` (default: its current one), only if it belongs to the client. */
async function getPositionUntraced(
  db: Database,
  clientId: string,
  id: string,
  version?: number,
): Promise<PositionView | undefined> {
  const [view] = await db
    .select({ ...viewColumns, version: positionVersions.version })
    .from(positions)
    .innerJoin(
      positionVersions,
      and(
        eq(positionVersions.positionId, positions.id),
        version === undefined
          ? eq(positionVersions.version, positions.currentVersion)
          : eq(positionVersions.version, version),
      ),
    )
    .where(and(eq(positions.clientId, clientId), eq(positions.id, id)));
  return view;
}

async function listPositionVersionsUntraced(db: Database, clientId: string, id: string) {
  return db
    .select({
      version: positionVersions.version,
      title: positionVersions.title,
      createdAt: positionVersions.createdAt,
    })
    .from(positionVersions)
    .innerJoin(positions, eq(positions.id, positionVersions.positionId))
    .where(and(eq(positions.clientId, clientId), eq(positions.id, id)))
    .orderBy(positionVersions.version);
}

export interface PositionListOptions {
  limit: number;
  includeArchived: boolean;
  after?: { createdAt: string; id: string };
}

async function listPositionsUntraced(db: Database, clientId: string, o: PositionListOptions) {
  const conditions = [eq(positions.clientId, clientId)];
  if (!o.includeArchived) conditions.push(isNull(positions.archivedAt));
  if (o.after) {
    conditions.push(
      sql`(${positions.createdAt}, ${positions.id}) < (${o.after.createdAt}::timestamptz, ${o.after.id}::uuid)`,
    );
  }
  return currentViews(db)
    .where(and(...conditions))
    .orderBy(desc(positions.createdAt), desc(positions.id))
    .limit(o.limit);
}

export type EditOutcome =
  | { kind: 'updated'; position: PositionView }
  | { kind: 'not-found' }
  | { kind: 'archived' };

/**
 * Adds a version with the changed texts. `ifVersion` (from If-Match) refuses an edit based on a stale
 * read. An edit that changes nothing adds no version.
 */
async function editPositionUntraced(
  db: Database,
  clientId: string,
  id: string,
  changes: Partial<PositionTexts>,
  ifVersion?: number,
): Promise<EditOutcome | { kind: 'stale'; current: number }> {
  return db.transaction(async (tx) => {
    const [locked] = await tx
      .select({ version: positions.currentVersion, archivedAt: positions.archivedAt })
      .from(positions)
      .where(and(eq(positions.clientId, clientId), eq(positions.id, id)))
      .for('update');
    if (!locked) return { kind: 'not-found' as const };
    if (locked.archivedAt) return { kind: 'archived' as const };
    if (ifVersion !== undefined && ifVersion !== locked.version) {
      return { kind: 'stale' as const, current: locked.version };
    }
    const [current] = await tx
      .select()
      .from(positionVersions)
      .where(and(eq(positionVersions.positionId, id), eq(positionVersions.version, locked.version)));
    const next = {
      title: changes.title ?? current!.title,
      jobDescription: changes.jobDescription ?? current!.jobDescription,
      studyCaseBrief: changes.studyCaseBrief ?? current!.studyCaseBrief,
      scoringRubric: changes.scoringRubric ?? current!.scoringRubric,
    };
    const unchanged = (Object.keys(next) as (keyof PositionTexts)[]).every((k) => next[k] === current![k]);
    if (!unchanged) {
      const version = locked.version + 1;
      await tx.insert(positionVersions).values({ positionId: id, version, ...next });
      await tx
        .update(positions)
        .set({ currentVersion: version, updatedAt: sql`now()` })
        .where(eq(positions.id, id));
    }
    const [view] = await currentViews(tx).where(eq(positions.id, id));
    return { kind: 'updated' as const, position: view! };
  });
}

/** Archives (idempotent): the position is hidden from lists and takes no new evaluations. */
async function archivePositionUntraced(db: Database, clientId: string, id: string): Promise<boolean> {
  const rows = await db
    .update(positions)
    .set({ archivedAt: sql`coalesce(${positions.archivedAt}, now())`, updatedAt: sql`now()` })
    .where(and(eq(positions.clientId, clientId), eq(positions.id, id)))
    .returning({ id: positions.id });
  return rows.length === 1;
}

export const createPosition = traced('createPosition', createPositionUntraced);
export const getPosition = traced('getPosition', getPositionUntraced);
export const listPositionVersions = traced('listPositionVersions', listPositionVersionsUntraced);
export const listPositions = traced('listPositions', listPositionsUntraced);
export const editPosition = traced('editPosition', editPositionUntraced);
export const archivePosition = traced('archivePosition', archivePositionUntraced);
