import type { DatabaseSync } from "node:sqlite";

const TABLES = `
CREATE TABLE IF NOT EXISTS mailroom_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body BLOB NOT NULL,
  meta TEXT NOT NULL,
  group_id TEXT,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  in_flight INTEGER NOT NULL DEFAULT 0,
  receipt TEXT,
  enqueued_at INTEGER NOT NULL,
  parked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS mailroom_dead_letters (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body BLOB NOT NULL,
  meta TEXT NOT NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  dead_lettered_at INTEGER NOT NULL,
  group_id TEXT
);
CREATE INDEX IF NOT EXISTS mailroom_dead_letters_queue ON mailroom_dead_letters (queue, seq);
`;

// `parked` = 1: a FIFO group's message waiting behind an earlier one of its group. Only unparked
// rows (ungrouped messages, each group's head, messages in flight) are in the receive's range
// of the ready index, so a receive never walks past a group's backlog.
const INDEXES = `
DROP INDEX IF EXISTS mailroom_messages_due;
CREATE INDEX IF NOT EXISTS mailroom_messages_ready ON mailroom_messages (queue, parked, visible_at, seq);
CREATE INDEX IF NOT EXISTS mailroom_messages_group ON mailroom_messages (queue, group_id, seq)
  WHERE group_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS mailroom_messages_group_unparked ON mailroom_messages (queue, group_id, seq)
  WHERE parked = 0 AND group_id IS NOT NULL;
`;

/** Files of Mailroom 0.1 let only a group's first message be received: park the others. */
const PARK_GROUP_BACKLOGS = `
UPDATE mailroom_messages AS m SET parked = 1
WHERE group_id IS NOT NULL AND EXISTS (SELECT 1 FROM mailroom_messages AS g
  WHERE g.queue = m.queue AND g.group_id = m.group_id AND g.seq < m.seq)`;

/**
 * Create the queue's tables and indexes, or bring a file of an earlier schema up to date (columns
 * added, group backlogs parked). One immediate transaction, so processes opening the same file at
 * once migrate it once.
 */
export function openSchema(db: DatabaseSync): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(TABLES);
    const addedParked = addColumn(db, "mailroom_messages", "parked", "INTEGER NOT NULL DEFAULT 0");
    addColumn(db, "mailroom_dead_letters", "group_id", "TEXT");
    db.exec(INDEXES);
    if (addedParked) db.exec(PARK_GROUP_BACKLOGS);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

function addColumn(db: DatabaseSync, table: string, column: string, type: string): boolean {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  if (columns.some((c) => c.name === column)) return false;
  db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  return true;
}
