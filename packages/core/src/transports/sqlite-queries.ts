import type { DatabaseSync, StatementSync } from "node:sqlite";

/**
 * The SQL of the SQLite store. Every statement on the receive, settle and publish paths reaches
 * rows through an index or the primary key (tests check the query plans), so their cost does not
 * grow with the backlog. `INDEXED BY` pins the group indexes where the planner could otherwise
 * prefer the ready index and walk every message in flight.
 */
export const QUERIES = {
  /** A grouped message is parked when its group already has messages: only the head is receivable. */
  insert: `INSERT INTO mailroom_messages (queue, body, meta, group_id, visible_at, enqueued_at, parked)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4 IS NOT NULL AND EXISTS (SELECT 1 FROM mailroom_messages
      INDEXED BY mailroom_messages_group WHERE queue = ?1 AND group_id = ?4))`,
  /** Due unparked messages in due order, from after the cursor `(?3, ?4)`. */
  due: `SELECT seq, visible_at, group_id FROM mailroom_messages
    WHERE queue = ?1 AND parked = 0 AND visible_at <= ?2 AND (visible_at, seq) > (?3, ?4)
    ORDER BY visible_at, seq LIMIT ?5`,
  /** The first messages of a group, head first. */
  groupRun: `SELECT seq, visible_at FROM mailroom_messages INDEXED BY mailroom_messages_group
    WHERE queue = ?1 AND group_id = ?2 ORDER BY seq LIMIT ?3`,
  /** Whether a message of the group is in flight (received, visibility not run out). */
  groupBusy: `SELECT 1 AS busy FROM mailroom_messages INDEXED BY mailroom_messages_group_unparked
    WHERE queue = ?1 AND group_id = ?2 AND parked = 0 AND in_flight = 1 AND visible_at > ?3 LIMIT 1`,
  take: `UPDATE mailroom_messages SET visible_at = ?1, receive_count = receive_count + 1, receipt = ?2,
    in_flight = 1, parked = 0 WHERE seq = ?3 RETURNING seq, body, meta, receive_count, group_id`,
  /** Park the group's unparked messages after `?3` (their visibility ran out behind a new run). */
  parkAfter: `UPDATE mailroom_messages INDEXED BY mailroom_messages_group_unparked SET parked = 1, in_flight = 0
    WHERE queue = ?1 AND group_id = ?2 AND parked = 0 AND seq > ?3`,
  ack: "DELETE FROM mailroom_messages WHERE seq = ?1 AND receipt = ?2 RETURNING queue, group_id",
  /** Make the group's first message receivable (after its head left). */
  promoteHead: `UPDATE mailroom_messages SET parked = 0
    WHERE seq = (SELECT seq FROM mailroom_messages INDEXED BY mailroom_messages_group
      WHERE queue = ?1 AND group_id = ?2 ORDER BY seq LIMIT 1) AND parked = 1`,
  /** A message given back waits behind any earlier message of its group, whatever its own time. */
  reschedule: `UPDATE mailroom_messages AS m SET visible_at = ?1, receipt = NULL, in_flight = 0,
    receive_count = receive_count - ?2,
    parked = (group_id IS NOT NULL AND EXISTS (SELECT 1 FROM mailroom_messages AS g
      INDEXED BY mailroom_messages_group WHERE g.queue = m.queue AND g.group_id = m.group_id AND g.seq < m.seq))
    WHERE seq = ?3 AND receipt = ?4 RETURNING queue, group_id`,
  extend: "UPDATE mailroom_messages SET visible_at = ?1 WHERE seq = ?2 AND receipt = ?3",
  received: "SELECT meta, receive_count FROM mailroom_messages WHERE seq = ?1 AND receipt = ?2",
  toDead: `INSERT INTO mailroom_dead_letters (queue, body, meta, reason, attempts, dead_lettered_at, group_id)
    SELECT queue, body, ?1, ?2, receive_count, ?3, group_id FROM mailroom_messages WHERE seq = ?4 AND receipt = ?5`,
  depth: `SELECT coalesce(sum(visible_at <= ?1), 0) AS ready,
    coalesce(sum(visible_at > ?1 AND in_flight = 0), 0) AS delayed,
    coalesce(sum(visible_at > ?1 AND in_flight = 1), 0) AS inflight FROM mailroom_messages WHERE queue = ?2`,
  queues: "SELECT queue FROM mailroom_messages UNION SELECT queue FROM mailroom_dead_letters",
  deadCount: "SELECT count(*) AS n FROM mailroom_dead_letters WHERE queue = ?1",
  deadList: "SELECT * FROM mailroom_dead_letters WHERE queue = ?1 ORDER BY seq LIMIT ?2",
  deadDelete: "DELETE FROM mailroom_dead_letters WHERE seq = ?1",
  /** The queue's oldest `?2` dead letters, gone for good. */
  deadPurge: `DELETE FROM mailroom_dead_letters WHERE seq IN (SELECT seq FROM mailroom_dead_letters
    WHERE queue = ?1 ORDER BY seq LIMIT ?2)`,
  dropMessages: "DELETE FROM mailroom_messages WHERE queue = ?1",
  dropDeadLetters: "DELETE FROM mailroom_dead_letters WHERE queue = ?1",
} as const;

/** The store's prepared statements, by the names of `QUERIES`. */
export type Statements = { readonly [K in keyof typeof QUERIES]: StatementSync };

/** Prepare every statement of `QUERIES` on `db` (after `openSchema`). */
export function prepareStatements(db: DatabaseSync): Statements {
  const entries = Object.entries(QUERIES).map(([name, sql]) => [name, db.prepare(sql)]);
  return Object.fromEntries(entries) as Statements;
}
